// The synthetic dataset's metadata: FMA's real genres.csv, and a tracks.csv in FMA's exact 52-column
// format whose tracks are balanced over fma_small's 8 top genres, carry real subgenres of their top
// genre, and are split 80/10/10 per genre with every artist in one split only. A pure function of
// (seed, track count, options): the same inputs give byte-identical CSV text.
import * as fs from "node:fs";
import * as path from "node:path";
import { Rng } from "../../util/random";
import { parseGenresCsv, type GenreTree } from "../genres";
import { formatTrackRow, tracksCsvHeaderRows, type TrackValue } from "../tracks";
import { formatCsvRow } from "../csv";
import { FMA_SMALL_GENRES, KNOWN_BAD_CLIPS, type Split } from "../schema";
import { derivedSeed, SEED_STREAM } from "./seeds";
import type { Mp3Bitrate } from "./mp3";
import { artistName, freeText, madeUpWord, titleText } from "./names";
import type { SubgenreRef } from "./textures";

/** FMA's real genres.csv (163 genres, sha1 d2f3a75b…), shipped with the package. */
export const SYNTH_GENRES_CSV_PATH = path.join(__dirname, "genres.csv");

export function readSynthGenresCsv(): string {
  return fs.readFileSync(SYNTH_GENRES_CSV_PATH, "utf8");
}

let cachedTree: GenreTree | null = null;
export function synthGenreTree(): GenreTree {
  if (!cachedTree) cachedTree = parseGenresCsv(readSynthGenresCsv(), SYNTH_GENRES_CSV_PATH);
  return cachedTree;
}

export interface SynthTrack {
  trackId: number;
  genreTop: string;
  /** track.genres: the top genre and/or subgenres of it. */
  genres: number[];
  genresAll: number[];
  /** The subgenres in `genres` (not the top genre), for the texture. */
  subgenres: SubgenreRef[];
  split: Split;
  artistId: number;
  sampleRate: number;
  channels: 1 | 2;
  kbps: Mp3Bitrate;
  bad: "no-audio" | "short" | null;
  /** All tracks.csv columns by flat name. */
  values: Record<string, TrackValue>;
}

export interface MetadataOptions {
  tracks: number;
  seed: number;
  withBadClips: boolean;
}

/** Audio formats of the clips, FMA-like (mostly 44.1 kHz stereo) with weights. */
export const CLIP_FORMATS: ReadonlyArray<{ sampleRate: number; channels: 1 | 2; weight: number }> = [
  { sampleRate: 44100, channels: 2, weight: 0.62 },
  { sampleRate: 44100, channels: 1, weight: 0.1 },
  { sampleRate: 48000, channels: 2, weight: 0.1 },
  { sampleRate: 32000, channels: 2, weight: 0.06 },
  { sampleRate: 22050, channels: 1, weight: 0.06 },
  { sampleRate: 22050, channels: 2, weight: 0.03 },
  { sampleRate: 24000, channels: 1, weight: 0.03 },
];

/** track.bit_rate of the (imaginary) full track → the bit rate the small synthetic clip is encoded at. */
export const CLIP_KBPS_FOR_BIT_RATE: Readonly<Record<number, Mp3Bitrate>> = { 320000: 128, 256000: 96, 192000: 96, 128000: 64 };

const LICENSES = [
  "Attribution-NonCommercial-ShareAlike 3.0 International",
  "Attribution-Noncommercial-No Derivative Works 3.0 United States",
  "Attribution-NonCommercial-NoDerivatives (aka Music Sharing) 3.0 International",
  "Attribution-NonCommercial 3.0 International",
  "Attribution 4.0 International",
  "Creative Commons Attribution-NonCommercial-NoDerivatives 4.0",
];
const ALBUM_TYPES = ["Album", "Album", "Album", "Single Tracks", "Single Tracks", "Live Performance", "Radio Program", "Contest"];
const TAGS = ["lo-fi", "live", "instrumental", "experimental", "dance", "acoustic", "noise", "ambient", "diy", "field recording"];
const LOCATIONS: ReadonlyArray<[string, number, number]> = [
  ["Brooklyn, NY", 40.6781784, -73.9441579],
  ["Berlin, Germany", 52.5200066, 13.404954],
  ["Portland, OR", 45.5230622, -122.6764816],
  ["Montréal, Québec", 45.5016889, -73.567256],
  ["Lagos, Nigeria", 6.5243793, 3.3792057],
  ["Mexico City", 19.4326077, -99.133208],
  ["Tokyo", 35.6894875, 139.6917064],
  ["Glasgow, Scotland", 55.864237, -4.251806],
];
const LANGUAGES: Readonly<Record<string, string[]>> = {
  International: ["es", "fr", "pt", "tr", "hi", "ar", "sw"],
  default: ["en"],
};

const MS_PER_DAY = 86400000;
const FMA_FIRST = Date.UTC(2008, 10, 25); // FMA opened in Nov 2008
const FMA_LAST = Date.UTC(2017, 2, 30);

function weightedFormat(rng: Rng): (typeof CLIP_FORMATS)[number] {
  let r = rng.next();
  for (const f of CLIP_FORMATS) {
    r -= f.weight;
    if (r < 0) return f;
  }
  return CLIP_FORMATS[0];
}

function sometimes<T>(rng: Rng, p: number, make: () => T): T | null {
  return rng.next() < p ? make() : null;
}

function dateBetween(rng: Rng, from: number, to: number): Date {
  return new Date(from + Math.floor(rng.next() * ((to - from) / 1000)) * 1000);
}

/** Split sizes of `n` tracks of one genre: 80/10/10, at least one validation/test track from 3 tracks on. */
export function splitSizes(n: number): Record<Split, number> {
  const validation = n >= 3 ? Math.max(1, Math.round(n / 10)) : 0;
  const test = n >= 3 ? Math.max(1, Math.round(n / 10)) : 0;
  return { training: n - validation - test, validation, test };
}

/** Real subgenres (descendants) of a top genre, by id. */
function subgenresOf(tree: GenreTree, topId: number): number[] {
  return tree.genres.filter((g) => g.topLevel === topId && g.id !== topId).map((g) => g.id);
}

interface Artist {
  genre: string;
  split: Split;
  name: string;
  values: Record<string, TrackValue>;
  albums: Album[];
}
interface Album {
  artist: Artist;
  title: string;
  size: number;
  values: Record<string, TrackValue>;
}

function makeArtist(rng: Rng, genre: string, split: Split): Artist {
  const name = artistName(rng);
  const created = dateBetween(rng, FMA_FIRST, FMA_LAST - 400 * MS_PER_DAY);
  const loc = sometimes(rng, 0.5, () => rng.pick(LOCATIONS));
  const begin = sometimes(rng, 0.3, () => rng.int(1975, 2012));
  return {
    genre,
    split,
    name,
    albums: [],
    values: {
      "artist.active_year_begin": begin === null ? null : new Date(Date.UTC(begin, 0, 1)),
      "artist.active_year_end": begin !== null && rng.next() < 0.2 ? new Date(Date.UTC(begin + rng.int(1, 8), 0, 1)) : null,
      "artist.associated_labels": sometimes(rng, 0.15, () => `${madeUpWord(rng)} Records, ${madeUpWord(rng)} Tapes`),
      "artist.bio": sometimes(rng, 0.6, () => freeText(rng, name)),
      "artist.comments": rng.next() < 0.7 ? 0 : rng.int(1, 6),
      "artist.date_created": created,
      "artist.favorites": rng.int(0, 40),
      "artist.latitude": loc ? loc[1] : null,
      "artist.location": loc ? loc[0] : null,
      "artist.longitude": loc ? loc[2] : null,
      "artist.members": sometimes(rng, 0.2, () => `${madeUpWord(rng)} ${madeUpWord(rng)}\n${madeUpWord(rng)} ${madeUpWord(rng)}`),
      "artist.name": name,
      "artist.related_projects": sometimes(rng, 0.1, () => `${madeUpWord(rng)}, ${madeUpWord(rng)}`),
      "artist.tags": rng.next() < 0.6 ? [] : [rng.pick(TAGS), madeUpWord(rng).toLowerCase()],
      "artist.website": sometimes(rng, 0.5, () => `http://www.${name.replace(/[^A-Za-z]/g, "").toLowerCase() || "artist"}.com`),
      "artist.wikipedia_page": sometimes(rng, 0.05, () => `http://en.wikipedia.org/wiki/${name.replace(/ /g, "_")}`),
    },
  };
}

function makeAlbum(rng: Rng, artist: Artist, size: number): Album {
  const title = titleText(rng);
  const created = dateBetween(rng, (artist.values["artist.date_created"] as Date).getTime(), FMA_LAST);
  return {
    artist,
    title,
    size,
    values: {
      "album.comments": rng.next() < 0.8 ? 0 : rng.int(1, 4),
      "album.date_created": created,
      "album.date_released": sometimes(rng, 0.7, () => dateBetween(rng, created.getTime() - 800 * MS_PER_DAY, created.getTime())),
      "album.engineer": sometimes(rng, 0.1, () => `${madeUpWord(rng)} ${madeUpWord(rng)}`),
      "album.favorites": rng.int(0, 12),
      "album.information": sometimes(rng, 0.45, () => freeText(rng, title)),
      "album.listens": rng.int(100, 60000),
      "album.producer": sometimes(rng, 0.12, () => `${madeUpWord(rng)} ${madeUpWord(rng)}`),
      "album.tags": rng.next() < 0.85 ? [] : [rng.pick(TAGS)],
      "album.title": title,
      "album.tracks": size + (rng.next() < 0.5 ? rng.int(0, 10) : 0),
      "album.type": rng.pick(ALBUM_TYPES),
    },
  };
}

/** Partition `count` tracks into artist groups of 1–4 tracks (each artist then has 1–2 albums). */
function artistSizes(rng: Rng, count: number): number[] {
  const sizes: number[] = [];
  let left = count;
  while (left > 0) {
    const s = Math.min(left, rng.pick([1, 1, 2, 2, 3, 4]));
    sizes.push(s);
    left -= s;
  }
  return sizes;
}

/** Draw track.genres for a track of top genre `topId`: the top genre and/or 1–2 of its real subgenres. */
function drawGenres(rng: Rng, tree: GenreTree, topId: number): number[] {
  const subs = subgenresOf(tree, topId);
  const r = rng.next();
  if (r < 0.3 || subs.length === 0) return [topId];
  // Weight subgenres by their real #tracks (sqrt, so rare ones appear too).
  const pickSub = () => {
    const w = subs.map((id) => Math.sqrt(tree.get(id).tracks));
    let x = rng.next() * w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < subs.length; i++) {
      x -= w[i];
      if (x < 0) return subs[i];
    }
    return subs[subs.length - 1];
  };
  const chosen = new Set<number>([pickSub()]);
  if (r > 0.75) chosen.add(pickSub());
  if (r > 0.6 && r <= 0.75) chosen.add(topId);
  return [...chosen].sort((a, b) => a - b);
}

/** Build every synthetic track's metadata, ordered by track id. */
export function synthesizeTracks(opts: MetadataOptions, tree: GenreTree = synthGenreTree()): SynthTrack[] {
  if (!Number.isInteger(opts.tracks) || opts.tracks < FMA_SMALL_GENRES.length) {
    throw new Error(`--tracks must be an integer ≥ ${FMA_SMALL_GENRES.length} (one per genre), got ${opts.tracks}`);
  }
  const rng = new Rng(derivedSeed(opts.seed, 0, SEED_STREAM.metadata));
  const genres = [...FMA_SMALL_GENRES];
  const perGenre = genres.map((_, i) => Math.floor(opts.tracks / genres.length) + (i < opts.tracks % genres.length ? 1 : 0));

  // Artists per genre and split (so splits are artist-disjoint and stratified), albums per artist.
  const albums: Album[] = [];
  genres.forEach((genre, gi) => {
    const sizes = splitSizes(perGenre[gi]);
    for (const split of ["training", "validation", "test"] as const) {
      for (const size of artistSizes(rng, sizes[split])) {
        const artist = makeArtist(rng, genre, split);
        const twoAlbums = size >= 2 && rng.next() < 0.4;
        const first = twoAlbums ? rng.int(1, size - 1) : size;
        artist.albums.push(makeAlbum(rng, artist, first));
        if (twoAlbums) artist.albums.push(makeAlbum(rng, artist, size - first));
        albums.push(...artist.albums);
      }
    }
  });
  rng.shuffle(albums);

  // Track ids: increasing from 2 with FMA-like gaps (albums uploaded together get near-consecutive ids),
  // spread over FMA's id range; the known-bad ids are reserved for --with-bad-clips.
  const reserved = new Set(KNOWN_BAD_CLIPS.map((c) => c.trackId));
  const meanGap = Math.max(2, Math.min(18, 150000 / opts.tracks));
  let nextId = 2;
  let nextArtistId = 1;
  let nextAlbumId = 1;
  const artistIds = new Map<Artist, number>();
  const tracks: SynthTrack[] = [];
  for (const album of albums) {
    const artist = album.artist;
    if (!artistIds.has(artist)) {
      artistIds.set(artist, nextArtistId);
      nextArtistId += rng.int(1, 6);
    }
    const albumId = nextAlbumId;
    nextAlbumId += rng.int(1, 4);
    for (let k = 0; k < album.size; k++) {
      while (reserved.has(nextId)) nextId++;
      tracks.push(makeTrack(rng, tree, nextId, album, artistIds.get(artist)!, albumId, k + 1, null));
      nextId += k + 1 < album.size ? rng.int(1, 2) : 1 + Math.floor(rng.next() * 2 * meanGap * album.size);
    }
  }
  if (opts.withBadClips) {
    KNOWN_BAD_CLIPS.forEach((clip, i) => {
      const genre = genres[i % genres.length];
      const artist = makeArtist(rng, genre, "training");
      const album = makeAlbum(rng, artist, 1);
      artistIds.set(artist, nextArtistId);
      nextArtistId += 1;
      tracks.push(makeTrack(rng, tree, clip.trackId, album, artistIds.get(artist)!, nextAlbumId++, 1, clip.problem));
    });
  }
  tracks.sort((a, b) => a.trackId - b.trackId);
  return tracks;
}

function makeTrack(
  rng: Rng,
  tree: GenreTree,
  trackId: number,
  album: Album,
  artistId: number,
  albumId: number,
  number: number,
  bad: SynthTrack["bad"],
): SynthTrack {
  const artist = album.artist;
  const top = tree.rootByTitle(artist.genre);
  if (!top) throw new Error(`genre "${artist.genre}" is not a root of genres.csv`);
  const trackGenres = drawGenres(rng, tree, top.id);
  const genresAll = tree.withAncestors(trackGenres);
  const bitRate = rng.pick([320000, 320000, 320000, 256000, 256000, 256000, 192000, 192000, 128000]);
  const format = weightedFormat(rng);
  const albumCreated = (album.values["album.date_created"] as Date).getTime();
  const created = dateBetween(rng, albumCreated, Math.min(FMA_LAST, albumCreated + 3 * MS_PER_DAY));
  const languages = LANGUAGES[artist.genre] ?? LANGUAGES.default;
  const listens = Math.floor(Math.exp(rng.uniform(4, 10.5)));
  const values: Record<string, TrackValue> = {
    ...album.values,
    ...artist.values,
    "album.id": albumId,
    "artist.id": artistId,
    "set.split": artist.split,
    "set.subset": "small",
    "track.bit_rate": bitRate,
    "track.comments": rng.next() < 0.85 ? 0 : rng.int(1, 3),
    "track.composer": sometimes(rng, 0.05, () => `${madeUpWord(rng)} ${madeUpWord(rng)}`),
    "track.date_created": created,
    "track.date_recorded": sometimes(rng, 0.05, () => dateBetween(rng, albumCreated - 2000 * MS_PER_DAY, albumCreated)),
    "track.duration": rng.int(95, 420),
    "track.favorites": rng.next() < 0.5 ? 0 : rng.int(1, 25),
    "track.genre_top": artist.genre,
    "track.genres": trackGenres,
    "track.genres_all": genresAll,
    "track.information": sometimes(rng, 0.08, () => freeText(rng, "This track")),
    "track.interest": Math.floor(listens * rng.uniform(1.1, 3)),
    "track.language_code": rng.next() < 0.45 ? rng.pick(languages) : null,
    "track.license": rng.next() < 0.97 ? rng.pick(LICENSES) : null,
    "track.listens": listens,
    "track.lyricist": sometimes(rng, 0.03, () => `${madeUpWord(rng)} ${madeUpWord(rng)}`),
    "track.number": number,
    "track.publisher": sometimes(rng, 0.03, () => `${madeUpWord(rng)} Publishing`),
    "track.tags": rng.next() < 0.9 ? [] : [rng.pick(TAGS), rng.pick(TAGS)].filter((t, i, a) => a.indexOf(t) === i),
    "track.title": titleText(rng),
  };
  const subgenres = trackGenres.filter((id) => id !== top.id).map((id) => ({ id, title: tree.title(id) }));
  return {
    trackId,
    genreTop: artist.genre,
    genres: trackGenres,
    genresAll,
    subgenres,
    split: artist.split,
    artistId,
    sampleRate: format.sampleRate,
    channels: format.channels,
    kbps: CLIP_KBPS_FOR_BIT_RATE[bitRate],
    bad,
    values,
  };
}

/** tracks.csv text: FMA's 3 header rows, one row per track, LF line ends (as pandas writes it). */
export function formatTracksCsv(tracks: readonly SynthTrack[]): string {
  const lines = tracksCsvHeaderRows().map((row) => formatCsvRow(row));
  for (const t of tracks) lines.push(formatTrackRow(t.trackId, t.values));
  return lines.join("\n") + "\n";
}
