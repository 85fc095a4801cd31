// The synthetic dataset: FMA format (checked with the real loaders and against ../shared's tracks.csv),
// splits, genres, determinism across runs and worker counts, decodable clips of the right length,
// known-bad mimicry, resumption, and a crude check that genres differ in their audio.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { openDataset, loadGenres, loadTracks, audioPath, KNOWN_BAD_CLIPS, FMA_SMALL_GENRES } from "../../src/data";
import { decodeMp3, toMono, AudioDecodeError } from "../../src/audio";
import { sharedDir } from "../../src/util/fs";
import {
  generateSyntheticDataset,
  ensureSyntheticDataset,
  synthesizeTracks,
  formatSynthTracksCsv as formatTracksCsv,
  synthSplitSizes as splitSizes,
  renderSynthClip as renderClip,
  synthPaths,
  SYNTH_SUBGENRE_MODIFIERS,
  SYNTH_GENRE_FAMILIES,
  type SynthClipJob as ClipJob,
} from "../../src/data/synth";
import { UsageError } from "../../src/util/errors";

const TRACKS = 24; // 3 per genre → 1/1/1 per split
const DURATION = 3;
const SEED = 7;
let tmp: string;
let dirA: string; // workers: 1
let dirB: string; // workers: 2
let threads: number[] = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-synth-"));
  dirA = path.join(tmp, "a");
  dirB = path.join(tmp, "b");
  const a = await generateSyntheticDataset(dirA, { tracks: TRACKS, duration: DURATION, seed: SEED, workers: 1, progress: false });
  const b = await generateSyntheticDataset(dirB, { tracks: TRACKS, duration: DURATION, seed: SEED, workers: 2, progress: false });
  threads = [a.threads, b.threads];
});

after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function sha1(file: string): string {
  return createHash("sha1").update(fs.readFileSync(file)).digest("hex");
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

test("tracks.csv has exactly the header of FMA's tracks.csv (../shared/fma-sample)", (t) => {
  const shared = sharedDir();
  if (!shared || !fs.existsSync(path.join(shared, "fma-sample", "tracks.csv"))) {
    t.skip("../shared/fma-sample absent");
    return;
  }
  const real = fs.readFileSync(path.join(shared, "fma-sample", "tracks.csv"), "utf8").split("\n").slice(0, 3);
  const ours = fs.readFileSync(synthPaths(dirA).tracksCsv, "utf8").split("\n").slice(0, 3);
  assert.deepEqual(ours, real);
});

test("genres.csv is FMA's real file (sha1 from fma_metadata's checksums)", () => {
  assert.equal(sha1(synthPaths(dirA).genresCsv), "d2f3a75be03441d324ef9815d23bad33d149c831");
  assert.equal(loadGenres(synthPaths(dirA).genresCsv).size, 163);
});

test("every subgenre modifier names a real subgenre of an fma_small top genre", () => {
  const tree = loadGenres(synthPaths(dirA).genresCsv);
  const tops = new Set(FMA_SMALL_GENRES.map((g) => tree.rootByTitle(g)!.id));
  const titles = new Map(tree.genres.map((g) => [g.title, g]));
  for (const title of Object.keys(SYNTH_SUBGENRE_MODIFIERS)) {
    const g = titles.get(title);
    assert.ok(g, `"${title}" is not in genres.csv`);
    assert.ok(tops.has(g.topLevel) && g.parent !== null, `"${title}" is not a subgenre of an fma_small genre`);
  }
  assert.deepEqual(Object.keys(SYNTH_GENRE_FAMILIES).sort(), [...FMA_SMALL_GENRES].sort());
});

test("the real loaders open it: 8 balanced top genres, subset small, clips where audioPath says", () => {
  const ds = openDataset(dirA);
  assert.equal(ds.subset, "small");
  assert.equal(ds.audioLayout, "nested");
  assert.equal(ds.tracks.size, TRACKS);
  const counts = ds.tracks.genreCounts();
  assert.deepEqual(counts.map((c) => c.genre).sort(), [...FMA_SMALL_GENRES].sort());
  for (const c of counts) assert.equal(c.count, TRACKS / 8);
  assert.deepEqual(ds.checkAudio().missing, []);
  const ids = ds.tracks.trackIds();
  assert.equal(ids[0], 2, "ids start at 2 like FMA");
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], "ids increase");
  assert.ok(ids.some((id, i) => i > 0 && id - ids[i - 1] > 1), "ids have gaps");
  // Every id is in its NNN folder.
  assert.ok(fs.existsSync(audioPath(path.join(dirA, "fma_small"), ids[ids.length - 1])));
});

test("text fields with commas, quotes and newlines round-trip through the loader", () => {
  const tracks = synthesizeTracks({ tracks: 400, seed: SEED, withBadClips: false });
  const file = path.join(tmp, "tracks400.csv");
  fs.writeFileSync(file, formatTracksCsv(tracks));
  const table = loadTracks(file, { genres: loadGenres(synthPaths(dirA).genresCsv) });
  assert.equal(table.size, 400);
  const tricky = (s: unknown) => typeof s === "string" && /[,"\n]/.test(s);
  let seen = 0;
  for (const t of tracks) {
    const r = table.byId(t.trackId)!;
    for (const key of ["track.title", "album.title", "artist.name", "artist.bio", "album.information", "artist.location"]) {
      if (tricky(t.values[key])) {
        seen++;
        assert.equal(r.values[key], t.values[key], `track ${t.trackId} ${key}`);
      }
    }
    assert.deepEqual(r.genres, t.genres);
    assert.equal(r.split, t.split);
  }
  assert.ok(seen > 50, `only ${seen} tricky fields`);
});

test("splits: 80/10/10 per genre (fma_small: 800/100/100), artist-disjoint", () => {
  assert.deepEqual(splitSizes(1000), { training: 800, validation: 100, test: 100 });
  assert.deepEqual(splitSizes(50), { training: 40, validation: 5, test: 5 });
  assert.deepEqual(splitSizes(3), { training: 1, validation: 1, test: 1 });
  const tracks = synthesizeTracks({ tracks: 800, seed: 3, withBadClips: false });
  for (const g of FMA_SMALL_GENRES) {
    const of = tracks.filter((t) => t.genreTop === g);
    assert.equal(of.length, 100);
    assert.equal(of.filter((t) => t.split === "training").length, 80, g);
    assert.equal(of.filter((t) => t.split === "validation").length, 10, g);
    assert.equal(of.filter((t) => t.split === "test").length, 10, g);
  }
  const splitOf = new Map<number, Set<string>>();
  for (const t of tracks) {
    const id = t.values["artist.id"] as number;
    if (!splitOf.has(id)) splitOf.set(id, new Set());
    splitOf.get(id)!.add(t.split);
  }
  for (const [artist, splits] of splitOf) assert.equal(splits.size, 1, `artist ${artist} in ${[...splits].join(", ")}`);
  assert.ok(splitOf.size > 100 && splitOf.size < 800, `${splitOf.size} artists: some must have several tracks`);
  // The small generated set loads with the same per-genre splits.
  const ds = openDataset(dirA);
  for (const split of ["training", "validation", "test"] as const) assert.equal(ds.tracks.split(split).size, 8);
});

test("genres are real subgenres of genre_top; genres_all adds every ancestor", () => {
  const ds = openDataset(dirA);
  const tree = ds.genres;
  const tracks = synthesizeTracks({ tracks: 400, seed: SEED, withBadClips: false });
  let differs = 0;
  for (const t of tracks) {
    const top = tree.rootByTitle(t.genreTop)!;
    assert.ok(t.genres.length >= 1 && t.genres.length <= 3);
    const expected = new Set<number>();
    for (const g of t.genres) {
      assert.equal(tree.get(g).topLevel, top.id, `track ${t.trackId}: genre ${g} is not under ${t.genreTop}`);
      for (let p: number | null = g; p !== null; p = tree.get(p).parent) expected.add(p);
    }
    assert.deepEqual(t.genresAll, [...expected].sort((a, b) => a - b));
    if (t.genresAll.length !== t.genres.length) differs++;
  }
  assert.ok(differs > 100, `genres_all differs from genres for only ${differs} tracks`);
  assert.ok(new Set(tracks.flatMap((t) => t.genres)).size > 40, "many distinct subgenres");
});

test("same seed → byte-identical files with 1 or 2 workers; another seed → different", async () => {
  assert.deepEqual(threads, [1, 2], "dirB must really have been rendered by 2 worker threads");
  const filesA = listFiles(dirA);
  assert.deepEqual(listFiles(dirB), filesA);
  assert.equal(filesA.filter((f) => f.endsWith(".mp3")).length, TRACKS);
  for (const f of filesA) assert.ok(fs.readFileSync(path.join(dirA, f)).equals(fs.readFileSync(path.join(dirB, f))), f);
  const other = formatTracksCsv(synthesizeTracks({ tracks: TRACKS, seed: SEED + 1, withBadClips: false }));
  assert.notEqual(other, fs.readFileSync(synthPaths(dirA).tracksCsv, "utf8"));
  const t = synthesizeTracks({ tracks: TRACKS, seed: SEED, withBadClips: false })[0];
  const job = (seed: number): ClipJob => ({
    seed,
    trackId: t.trackId,
    genreTop: t.genreTop,
    subgenres: t.subgenres,
    topGenres: [...FMA_SMALL_GENRES],
    sampleRate: t.sampleRate,
    channels: t.channels,
    kbps: t.kbps,
    encoder: "lame-wasm",
    duration: DURATION,
    bad: null,
    id3: { title: "x", artist: "y", album: "z", track: "1" },
  });
  const [x, y] = [await renderClip(job(SEED)), await renderClip(job(SEED + 1))];
  assert.ok(!Buffer.from(x).equals(Buffer.from(y)), "another seed renders other audio");
});

test("clips decode with their track's sample rate and channels, DURATION ± 0.1 s, not silent", async () => {
  const ds = openDataset(dirA);
  const formats = new Map(synthesizeTracks({ tracks: TRACKS, seed: SEED, withBadClips: false }).map((t) => [t.trackId, t]));
  for (const id of ds.tracks.trackIds()) {
    const audio = await decodeMp3(fs.readFileSync(ds.audioPathOf(id)), String(id));
    const t = formats.get(id)!;
    assert.equal(audio.sampleRate, t.sampleRate, `track ${id}`);
    assert.equal(audio.channels.length, t.channels, `track ${id}`);
    assert.ok(Math.abs(audio.durationS - DURATION) <= 0.1, `track ${id}: ${audio.durationS} s`);
    const mono = toMono(audio.channels);
    let peak = 0;
    for (let i = 0; i < mono.length; i++) peak = Math.max(peak, Math.abs(mono[i]));
    assert.ok(peak > 0.05 && peak <= 1.05, `track ${id}: peak ${peak}`);
  }
});

test("--with-bad-clips adds FMA's known-bad ids: 3 without audio, 3 far too short", async () => {
  const dir = path.join(tmp, "bad");
  await generateSyntheticDataset(dir, { tracks: 8, duration: 4, seed: 1, workers: 1, withBadClips: true, progress: false });
  const ds = openDataset(dir);
  assert.equal(ds.tracks.size, 8 + KNOWN_BAD_CLIPS.length);
  for (const clip of KNOWN_BAD_CLIPS) {
    assert.ok(ds.tracks.byId(clip.trackId), `track ${clip.trackId} listed`);
    const bytes = fs.readFileSync(ds.audioPathOf(clip.trackId));
    if (clip.problem === "no-audio") {
      await assert.rejects(decodeMp3(bytes, String(clip.trackId)), AudioDecodeError);
    } else {
      const audio = await decodeMp3(bytes, String(clip.trackId), { minDurationS: 0.1 });
      assert.ok(audio.durationS < 0.2 * 4, `short clip ${clip.trackId}: ${audio.durationS} s`);
    }
  }
  // Without the flag the ids are never used.
  const plain = synthesizeTracks({ tracks: 8000, seed: 1, withBadClips: false }).map((t) => t.trackId);
  for (const clip of KNOWN_BAD_CLIPS) assert.ok(!plain.includes(clip.trackId));
});

test("rerunning resumes: only missing clips are written, results identical; other parameters are refused", async () => {
  const ids = openDataset(dirA).tracks.trackIds();
  const victim = audioPath(path.join(dirA, "fma_small"), ids[5]);
  fs.rmSync(victim);
  const r = await generateSyntheticDataset(dirA, { tracks: TRACKS, duration: DURATION, seed: SEED, workers: 1, progress: false });
  assert.equal(r.clipsWritten, 1);
  assert.equal(r.clipsSkipped, TRACKS - 1);
  for (const f of listFiles(dirA)) assert.ok(fs.readFileSync(path.join(dirA, f)).equals(fs.readFileSync(path.join(dirB, f))), f);
  assert.deepEqual(await ensureSyntheticDataset(dirA, { tracks: TRACKS, duration: DURATION, seed: SEED }), { created: false, tracks: TRACKS });
  await assert.rejects(generateSyntheticDataset(dirA, { tracks: TRACKS, duration: DURATION, seed: SEED + 1, progress: false }), UsageError);
});

/** Spectral centroid (Hz, of 2048-sample frames by a naive real DFT on 64 bins) and onset rate (per s). */
function clipStats(x: Float32Array, sr: number): { centroid: number; onsets: number } {
  const frame = 1024;
  const hop = 512;
  const bins = 48;
  let num = 0;
  let den = 0;
  const energies: number[] = [];
  for (let start = 0; start + frame <= x.length; start += hop * 4) {
    let e = 0;
    for (let k = 1; k <= bins; k++) {
      const f = (k / bins) * 0.5 * sr * 0.5; // up to sr/4
      const w = (2 * Math.PI * f) / sr;
      let re = 0;
      let im = 0;
      for (let i = 0; i < frame; i += 2) {
        re += x[start + i] * Math.cos(w * i);
        im += x[start + i] * Math.sin(w * i);
      }
      const m = re * re + im * im;
      num += f * m;
      den += m;
      e += m;
    }
    energies.push(e);
  }
  let onsets = 0;
  for (let i = 1; i < energies.length; i++) if (energies[i] > 2 * energies[i - 1] + 1e-6) onsets++;
  return { centroid: num / Math.max(den, 1e-12), onsets: onsets / (x.length / sr) };
}

test("learnable: per-genre audio statistics are not all alike", async () => {
  const ds = openDataset(dirA);
  const byGenre = new Map<string, { centroid: number; onsets: number }[]>();
  for (const r of ds.tracks.records) {
    const audio = await decodeMp3(fs.readFileSync(ds.audioPathOf(r.trackId)), String(r.trackId));
    const s = clipStats(toMono(audio.channels), audio.sampleRate);
    if (!byGenre.has(r.genreTop!)) byGenre.set(r.genreTop!, []);
    byGenre.get(r.genreTop!)!.push(s);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const centroids = [...byGenre.values()].map((v) => mean(v.map((s) => s.centroid)));
  const onsets = [...byGenre.values()].map((v) => mean(v.map((s) => s.onsets)));
  const spread = (xs: number[]) => Math.max(...xs) / Math.max(1e-9, Math.min(...xs));
  assert.ok(spread(centroids) > 1.3 || spread(onsets) > 1.5, `centroids ${centroids.map((c) => c.toFixed(0))}, onsets ${onsets.map((o) => o.toFixed(2))}`);
});
