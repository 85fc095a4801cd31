// One FMA dataset on disk: metadata (tracks.csv, genres.csv) plus the clips of one subset. Two layouts:
//   nested: DIR/fma_metadata/{tracks,genres}.csv + DIR/fma_<subset>/NNN/NNNNNN.mp3  (real FMA, synthetic)
//   flat:   DIR/{tracks,genres}.csv + DIR/audio/NNNNNN.mp3                      (../shared/fma-sample)
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../util/errors";
import { shellCommand } from "../util/shell";
import { loadGenres, type GenreTree } from "./genres";
import { loadTracks, audioPath, flatAudioPath, type TrackTable } from "./tracks";
import { SUBSETS, type Subset } from "./schema";

export type AudioLayout = "nested" | "flat";

export interface FmaDataset {
  /** The folder given to openDataset, resolved. */
  root: string;
  /** The folder holding tracks.csv and genres.csv. */
  metadataDir: string;
  /** The clip folder of the subset, or null when no audio is there (metadata only). */
  audioDir: string | null;
  audioLayout: AudioLayout;
  subset: Subset;
  /** Tracks of `subset` (which includes the smaller subsets' tracks). */
  tracks: TrackTable;
  /** Every track in tracks.csv. */
  allTracks: TrackTable;
  genres: GenreTree;
  /** Where the clip of `trackId` is (or would be); throws a UsageError when there is no audio folder. */
  audioPathOf(trackId: number): string;
  /** Which of `tracks` have their clip file on disk. */
  checkAudio(): { present: number[]; missing: number[] };
}

interface Layout {
  metadataDir: string;
  audioDir: string;
  audioLayout: AudioLayout;
}

/** Where metadata and audio are (or would be) for `subset`; null when no tracks.csv is found. */
function resolveLayout(root: string, subset: Subset): Layout | null {
  const nestedMeta = path.join(root, "fma_metadata");
  if (fs.existsSync(path.join(nestedMeta, "tracks.csv"))) {
    return { metadataDir: nestedMeta, audioDir: path.join(root, `fma_${subset}`), audioLayout: "nested" };
  }
  if (fs.existsSync(path.join(root, "tracks.csv"))) {
    const audioDir = path.join(root, "audio");
    return { metadataDir: root, audioDir, audioLayout: hasNumberedFolders(audioDir) ? "nested" : "flat" };
  }
  return null;
}

function hasNumberedFolders(dir: string): boolean {
  if (!isDir(dir)) return false;
  return fs.readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory() && /^\d{3}$/.test(e.name));
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** openDataset's subset when none is asked: the smallest whose DIR/fma_<subset> folder exists, else "small". */
export function defaultDatasetSubset(dir: string): Subset {
  const root = path.resolve(dir);
  return SUBSETS.find((s) => isDir(path.join(root, `fma_${s}`))) ?? "small";
}

/** The command that fetches what is missing. */
export function downloadHint(dir: string, subset: Subset): string {
  return `run: ${shellCommand(["fmalab", "download", "--subset", subset, "--dir", dir])}`;
}

/**
 * What is missing for `subset` under `dir` (no folder, no tracks.csv/genres.csv, audio not downloaded or
 * empty), each line ending with the `fmalab download` hint. Empty when ready. Cheap: parses nothing.
 */
export function checkDataset(dir: string, subset: Subset): string[] {
  if (!(SUBSETS as readonly string[]).includes(subset)) {
    return [`unknown subset "${subset}"; expected one of ${SUBSETS.join(", ")}`];
  }
  const root = path.resolve(dir);
  const hint = downloadHint(dir, subset);
  if (!isDir(root)) return [`dataset folder ${root} does not exist; ${hint}`];
  const layout = resolveLayout(root, subset);
  if (!layout) {
    return [
      `no tracks.csv (looked for ${path.join(root, "fma_metadata", "tracks.csv")} and ${path.join(root, "tracks.csv")}); ${hint}`,
    ];
  }
  const problems: string[] = [];
  if (!fs.existsSync(path.join(layout.metadataDir, "genres.csv"))) {
    problems.push(`no genres.csv beside ${path.join(layout.metadataDir, "tracks.csv")}; ${hint}`);
  }
  if (!isDir(layout.audioDir)) {
    problems.push(`fma_${subset} audio not downloaded: no folder ${layout.audioDir}; ${hint}`);
  } else if (!containsClip(layout.audioDir, layout.audioLayout)) {
    problems.push(`audio folder ${layout.audioDir} holds no NNNNNN.mp3 clips; ${hint}`);
  }
  return problems;
}

function containsClip(audioDir: string, layout: AudioLayout): boolean {
  const isClip = (name: string) => /^\d{6}\.mp3$/i.test(name);
  if (layout === "flat") return fs.readdirSync(audioDir).some(isClip);
  for (const e of fs.readdirSync(audioDir, { withFileTypes: true })) {
    if (e.isDirectory() && /^\d{3}$/.test(e.name) && fs.readdirSync(path.join(audioDir, e.name)).some(isClip)) return true;
  }
  return false;
}

/** Throw one UsageError listing everything checkDataset finds missing (for commands that need audio). */
export function assertDatasetReady(dir: string, subset: Subset): void {
  const problems = checkDataset(dir, subset);
  if (problems.length > 0) {
    throw new UsageError(`dataset ${dir} is not ready for subset ${subset}:\n  - ${problems.join("\n  - ")}`);
  }
}

export interface OpenDatasetOptions {
  /** Default: the smallest subset whose fma_<subset> folder exists, else "small". */
  subset?: Subset;
}

/**
 * Open the dataset under `dir` (either layout), parsing genres.csv then tracks.csv (checking every genre
 * id). A missing audio folder is allowed (audioDir null): checkDataset says what to download.
 */
export function openDataset(dir: string, opts: OpenDatasetOptions = {}): FmaDataset {
  const root = path.resolve(dir);
  const subset = opts.subset ?? defaultDatasetSubset(root);
  if (!(SUBSETS as readonly string[]).includes(subset)) {
    throw new UsageError(`unknown subset "${subset}"; expected one of ${SUBSETS.join(", ")}`);
  }
  const layout = resolveLayout(root, subset);
  if (!layout) {
    throw new UsageError(`no FMA metadata under ${root}:\n  - ${checkDataset(dir, subset).join("\n  - ")}`);
  }
  const genresFile = path.join(layout.metadataDir, "genres.csv");
  if (!fs.existsSync(genresFile)) throw new UsageError(`no genres.csv in ${layout.metadataDir}; ${downloadHint(dir, subset)}`);
  const genres = loadGenres(genresFile);
  const allTracks = loadTracks(path.join(layout.metadataDir, "tracks.csv"), { genres });
  const tracks = allTracks.subset(subset);
  const audioDir = isDir(layout.audioDir) ? layout.audioDir : null;
  const audioLayout = layout.audioLayout;

  const audioPathOf = (trackId: number): string => {
    if (audioDir === null) {
      throw new UsageError(`no audio for fma_${subset} (no folder ${layout.audioDir}); ${downloadHint(dir, subset)}`);
    }
    return audioLayout === "nested" ? audioPath(audioDir, trackId) : flatAudioPath(audioDir, trackId);
  };

  return {
    root,
    metadataDir: layout.metadataDir,
    audioDir,
    audioLayout,
    subset,
    tracks,
    allTracks,
    genres,
    audioPathOf,
    checkAudio() {
      const present: number[] = [];
      const missing: number[] = [];
      for (const r of tracks.records) {
        if (audioDir !== null && fs.existsSync(audioPathOf(r.trackId))) present.push(r.trackId);
        else missing.push(r.trackId);
      }
      return { present, missing };
    },
  };
}

/** One line about missing clips, naming the track ids (the first `max` of them). */
export function formatMissingAudio(missing: readonly number[], dataset: Pick<FmaDataset, "subset" | "audioDir">, max = 20): string {
  if (missing.length === 0) return `all clips of fma_${dataset.subset} are present`;
  const shown = missing.slice(0, max).map((id) => String(id).padStart(6, "0"));
  const more = missing.length > max ? ` and ${missing.length - max} more` : "";
  return `${missing.length} clip(s) of fma_${dataset.subset} missing in ${dataset.audioDir ?? "(no audio folder)"}: track ${shown.join(", ")}${more}`;
}
