// The embedded default dataset: an FMA-shaped synthetic fma_small (real genres.csv, FMA-format tracks.csv,
// MP3 clips in fma_small/NNN/NNNNNN.mp3) generated deterministically from a seed, resumably, on worker
// threads. Same seed and options → byte-identical files whatever the number of workers.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { PROJECT_ROOT, removeStaleTempFiles, writeFileAtomic, writeJsonAtomic } from "../../util/fs";
import { UsageError } from "../../util/errors";
import { ProgressBar } from "../../util/progress";
import { FMA_SMALL_GENRES, KNOWN_BAD_CLIPS } from "../schema";
import { audioPath } from "../tracks";
import { renderClip, type ClipJob } from "./clip";
import { CLIP_FORMATS, CLIP_KBPS_FOR_BIT_RATE, formatTracksCsv, readSynthGenresCsv, splitSizes, synthesizeTracks, type SynthTrack } from "./metadata";
import { AMBIGUOUS_FRACTION, GENRE_FAMILIES, SUBGENRE_MODIFIERS } from "./textures";
import type { WorkerReply, WorkerRequest } from "./worker";

// Public names carry "synth" so they cannot collide with other stages in src/index.ts.
export { renderClip as renderSynthClip, textureForJob as synthTextureForJob, type ClipJob as SynthClipJob } from "./clip";
export { derivedSeed as synthTrackSeed } from "./seeds";
export {
  synthesizeTracks,
  formatTracksCsv as formatSynthTracksCsv,
  splitSizes as synthSplitSizes,
  synthGenreTree,
  CLIP_FORMATS as SYNTH_CLIP_FORMATS,
  type SynthTrack,
} from "./metadata";
export {
  drawTexture as drawSynthTexture,
  familyFor as synthFamilyFor,
  GENRE_FAMILIES as SYNTH_GENRE_FAMILIES,
  SUBGENRE_MODIFIERS as SYNTH_SUBGENRE_MODIFIERS,
  type Texture as SynthTexture,
  type FamilySpec as SynthFamilySpec,
} from "./textures";
export { renderTexture as renderSynthTexture } from "./audio";
export { encodeMp3 as encodeSynthMp3 } from "./mp3";
import { mp3EncoderInfo, resolveMp3Encoder, type Mp3Encoder } from "./mp3";
import { nativeLame } from "../../native/lame";
import { computeSettings, type AudioEngine } from "../../native/settings";

/** Bumped whenever the generator's output changes (recorded in synth.json; a mismatch forces a new dir). */
export const SYNTH_VERSION = 1;
/** 50 tracks per genre (40/5/5): synth + feature cache + a few epochs fit in minutes on 2 cores. */
export const DEFAULT_SYNTH_TRACKS = 400;
export const DEFAULT_SYNTH_SEED = 20240;
export const DEFAULT_SYNTH_DURATION = 30;

export interface SynthOptions {
  /** Number of tracks (besides bad clips), ≥ 8; default 400. */
  tracks?: number;
  seed?: number;
  /** Clip length in seconds; default 30. */
  duration?: number;
  /** Worker threads; default: all cores. 1 renders in this thread. Output does not depend on it. */
  workers?: number;
  /** Add the 6 known-bad fma_small ids: 3 clips without audio, 3 far shorter than `duration`. */
  withBadClips?: boolean;
  /** Which LAME encodes the clips: `auto` (default) = libmp3lame when it loads, else its WASM build; `wasm`; `native`. */
  encoder?: AudioEngine;
  /** Progress on stderr (default true: a bar on a terminal, a plain line every few seconds elsewhere; off with --quiet). */
  progress?: boolean;
}

export interface SynthResult {
  dir: string;
  tracks: number;
  clipsWritten: number;
  clipsSkipped: number;
  bytesWritten: number;
  seconds: number;
  /** Threads that rendered: the worker count, or 1 when rendered in this thread. */
  threads: number;
}

/** What synth.json records; the first fields identify the dataset (a resume must match them). */
export interface SynthManifest {
  format: "fmalab-synth";
  version: number;
  seed: number;
  tracks: number;
  duration: number;
  withBadClips: boolean;
  status: "generating" | "complete";
  [key: string]: unknown;
}

interface ResolvedOptions {
  tracks: number;
  seed: number;
  duration: number;
  workers: number;
  withBadClips: boolean;
  encoder: Mp3Encoder;
  progress: boolean;
}

function resolveOptions(opts: SynthOptions): ResolvedOptions {
  const tracks = opts.tracks ?? DEFAULT_SYNTH_TRACKS;
  const seed = opts.seed ?? DEFAULT_SYNTH_SEED;
  const duration = opts.duration ?? DEFAULT_SYNTH_DURATION;
  if (!Number.isInteger(tracks) || tracks < FMA_SMALL_GENRES.length || tracks > 100000) {
    throw new UsageError(`tracks must be an integer in ${FMA_SMALL_GENRES.length}..100000, got ${tracks}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UsageError(`seed must be an integer in 0..4294967295, got ${seed}`);
  if (!(duration > 0 && duration <= 600)) throw new UsageError(`duration must be in (0, 600] seconds, got ${duration}`);
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  const workers = opts.workers ?? cores;
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`workers must be an integer ≥ 1, got ${workers}`);
  return {
    tracks,
    seed,
    duration,
    workers,
    withBadClips: opts.withBadClips ?? false,
    encoder: resolveMp3Encoder(opts.encoder ?? computeSettings().audio),
    progress: opts.progress ?? true,
  };
}

/** Paths of a synthetic dataset under `dir` (the real FMA layout). */
export function synthPaths(dir: string) {
  const root = path.resolve(dir);
  return {
    root,
    metadataDir: path.join(root, "fma_metadata"),
    tracksCsv: path.join(root, "fma_metadata", "tracks.csv"),
    genresCsv: path.join(root, "fma_metadata", "genres.csv"),
    audioDir: path.join(root, "fma_small"),
    manifest: path.join(root, "synth.json"),
  };
}

function manifestFor(o: ResolvedOptions, tracks: readonly SynthTrack[], status: SynthManifest["status"]): SynthManifest {
  const per = (split: string) => tracks.filter((t) => t.split === split && t.bad === null).length;
  return {
    format: "fmalab-synth",
    version: SYNTH_VERSION,
    seed: o.seed,
    tracks: o.tracks,
    duration: o.duration,
    withBadClips: o.withBadClips,
    status,
    // Part of the dataset's identity: the same seed gives the same bytes with the same encoder.
    encoder: mp3EncoderInfo(o.encoder),
    subset: "small",
    genres: [...FMA_SMALL_GENRES],
    splits: { training: per("training"), validation: per("validation"), test: per("test") },
    splitPerGenre: FMA_SMALL_GENRES.map((g, i) => {
      const n = Math.floor(o.tracks / FMA_SMALL_GENRES.length) + (i < o.tracks % FMA_SMALL_GENRES.length ? 1 : 0);
      return { genre: g, ...splitSizes(n) };
    }),
    badClips: o.withBadClips ? KNOWN_BAD_CLIPS.map((c) => ({ trackId: c.trackId, problem: c.problem })) : [],
    notes: [
      "Synthetic audio, not music from FMA: each top genre is a family of synthesised textures (tempo, drum pattern, timbre, scale, noise, effects) with overlapping parameter ranges; subgenres shift them.",
      `${Math.round(AMBIGUOUS_FRACTION * 100)}% of tracks borrow parts of another genre's texture (ambiguous on purpose).`,
      "genres.csv is FMA's real genres.csv. track.bit_rate is FMA-like (of the imaginary full track); clips are encoded smaller: clipKbpsForBitRate.",
      "Splits are 80/10/10 per genre and artist-disjoint. Track ids skip FMA's known-bad ids unless withBadClips adds them.",
    ],
    clipFormats: CLIP_FORMATS,
    clipKbpsForBitRate: CLIP_KBPS_FOR_BIT_RATE,
    ambiguousFraction: AMBIGUOUS_FRACTION,
    textureFamilies: GENRE_FAMILIES,
    subgenreModifiers: SUBGENRE_MODIFIERS,
  };
}

function readManifest(file: string): SynthManifest | null {
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as SynthManifest;
  } catch {
    return null;
  }
}

/** Refuse to write into a folder holding other data: real FMA metadata, or a synthetic set with other parameters. */
function checkTarget(o: ResolvedOptions, p: ReturnType<typeof synthPaths>): void {
  const m = readManifest(p.manifest);
  if (m === null) {
    if (fs.existsSync(p.tracksCsv)) {
      throw new UsageError(`${p.root} already holds an FMA dataset (fma_metadata/tracks.csv) that is not synthetic (no synth.json); choose another --dir`);
    }
    return;
  }
  // A dataset being generated keeps the encoder it began with, so that all its clips share one.
  const begun = (m.encoder as { name?: Mp3Encoder } | undefined)?.name;
  if (m.status === "generating" && begun && begun !== o.encoder) {
    if (begun === "lame-native" && o.encoder === "lame-wasm" && !nativeLame()) {
      throw new UsageError(`${p.root} was begun with libmp3lame, which is not available now: delete it to regenerate with the WASM encoder, or install libmp3lame0`);
    }
    o.encoder = begun;
  }
  const same = m.format === "fmalab-synth" && m.version === SYNTH_VERSION && m.seed === o.seed && m.tracks === o.tracks && m.duration === o.duration && m.withBadClips === o.withBadClips;
  if (!same) {
    throw new UsageError(
      `${p.root} holds a synthetic dataset made with other parameters (version ${m.version}, seed ${m.seed}, tracks ${m.tracks}, duration ${m.duration}, withBadClips ${m.withBadClips}); ` +
        `delete it or choose another --dir (asked: version ${SYNTH_VERSION}, seed ${o.seed}, tracks ${o.tracks}, duration ${o.duration}, withBadClips ${o.withBadClips})`,
    );
  }
}

function jobFor(o: ResolvedOptions, t: SynthTrack): ClipJob {
  return {
    seed: o.seed,
    trackId: t.trackId,
    genreTop: t.genreTop,
    subgenres: t.subgenres,
    topGenres: [...FMA_SMALL_GENRES],
    sampleRate: t.sampleRate,
    channels: t.channels,
    kbps: t.kbps,
    encoder: o.encoder,
    duration: o.duration,
    bad: t.bad,
    id3: {
      title: String(t.values["track.title"] ?? ""),
      artist: String(t.values["artist.name"] ?? ""),
      album: String(t.values["album.title"] ?? ""),
      track: String(t.values["track.number"] ?? ""),
    },
  };
}

/**
 * Generate (or finish generating) the synthetic dataset under `dir`: fma_metadata/{tracks,genres}.csv,
 * fma_small/NNN/NNNNNN.mp3 and synth.json. Clips already present are kept (every file is written
 * atomically, so a present file is complete); the CSVs are rewritten with identical bytes.
 */
export async function generateSyntheticDataset(dir: string, opts: SynthOptions = {}): Promise<SynthResult> {
  const o = resolveOptions(opts);
  const p = synthPaths(dir);
  const started = Date.now();
  checkTarget(o, p);
  const tracks = synthesizeTracks({ tracks: o.tracks, seed: o.seed, withBadClips: o.withBadClips });
  fs.mkdirSync(p.metadataDir, { recursive: true });
  removeStaleTempFiles(p.metadataDir);
  removeStaleTempFiles(p.root);
  writeFileAtomic(p.genresCsv, readSynthGenresCsv());
  writeFileAtomic(p.tracksCsv, formatTracksCsv(tracks));
  writeJsonAtomic(p.manifest, manifestFor(o, tracks, "generating"));

  const folders = new Set(tracks.map((t) => path.dirname(audioPath(p.audioDir, t.trackId))));
  for (const f of folders) removeStaleTempFiles(f);
  const todo = tracks.filter((t) => !fs.existsSync(audioPath(p.audioDir, t.trackId)));
  const skipped = tracks.length - todo.length;
  const bar = new ProgressBar({ total: tracks.length, label: "synth clips", unit: "clips", initial: skipped, silent: !o.progress });
  let bytesWritten = 0;
  const threads = await runJobs(
    todo.map((t) => ({ job: jobFor(o, t), target: audioPath(p.audioDir, t.trackId) })),
    Math.min(o.workers, Math.max(1, todo.length)),
    (bytes) => {
      bytesWritten += bytes;
      bar.tick(1, { written: formatMiB(bytesWritten) });
    },
  );
  bar.finish();
  writeJsonAtomic(p.manifest, manifestFor(o, tracks, "complete"));
  return {
    dir: p.root,
    tracks: tracks.length,
    clipsWritten: todo.length,
    clipsSkipped: skipped,
    bytesWritten,
    seconds: (Date.now() - started) / 1000,
    threads,
  };
}

function formatMiB(n: number): string {
  return `${(n / 1048576).toFixed(1)}MiB`;
}

/**
 * Make sure the synthetic dataset with these options is complete under `dir`; generates (or resumes)
 * it when not. `created` is false when it was already complete.
 */
export async function ensureSyntheticDataset(dir: string, opts: SynthOptions = {}): Promise<{ created: boolean; tracks: number }> {
  const o = resolveOptions(opts);
  const p = synthPaths(dir);
  const m = readManifest(p.manifest);
  if (m && m.status === "complete" && fs.existsSync(p.tracksCsv) && fs.existsSync(p.genresCsv)) {
    checkTarget(o, p);
    const tracks = synthesizeTracks({ tracks: o.tracks, seed: o.seed, withBadClips: o.withBadClips });
    if (tracks.every((t) => fs.existsSync(audioPath(p.audioDir, t.trackId)))) return { created: false, tracks: tracks.length };
  }
  const result = await generateSyntheticDataset(dir, opts);
  return { created: true, tracks: result.tracks };
}

// ---------------------------------------------------------------------------------------------
// The worker pool

interface Task extends WorkerRequest {}

/** Renders every task; resolves to the number of threads used. */
async function runJobs(tasks: Task[], workers: number, onDone: (bytes: number) => void): Promise<number> {
  let remaining = tasks;
  if (workers > 1 && tasks.length > 1) {
    const done = new Set<Task>();
    try {
      await runInWorkers(tasks, workers, (task, bytes) => {
        done.add(task);
        onDone(bytes);
      });
      return workers;
    } catch (err) {
      if (!(err instanceof WorkerStartError)) throw err;
      // No worker could start (e.g. an unusual loader): render here instead, same bytes.
      process.stderr.write(`fmalab synth: worker threads unavailable (${err.message}); rendering in this thread\n`);
      remaining = tasks.filter((t) => !done.has(t));
    }
  }
  for (const t of remaining) {
    const bytes = await renderClip(t.job);
    writeFileAtomic(t.target, bytes);
    onDone(bytes.length);
  }
  return 1;
}

class WorkerStartError extends Error {}

function runInWorkers(tasks: Task[], workers: number, onDone: (task: Task, bytes: number) => void): Promise<void> {
  const pool: Worker[] = [];
  let next = 0;
  let finished = 0;
  const work = new Promise<void>((resolve, reject) => {
    let settled = false;
    let started = 0;
    const fail = (err: Error) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    };
    const inFlight = new Map<Worker, Task>();
    const feed = (w: Worker) => {
      if (settled || next >= tasks.length) return;
      const task = tasks[next++];
      inFlight.set(w, task);
      w.postMessage(task satisfies WorkerRequest);
    };
    for (let i = 0; i < workers; i++) {
      const w = new Worker(workerEntry(), { execArgv: [] });
      pool.push(w);
      w.on("message", (reply: WorkerReply) => {
        if ("ready" in reply) {
          started++;
          feed(w);
          return;
        }
        const task = inFlight.get(w)!;
        inFlight.delete(w);
        if ("error" in reply) {
          fail(new Error(`synthesising track ${reply.trackId} failed: ${reply.error}`));
          return;
        }
        onDone(task, reply.bytes);
        finished++;
        if (finished === tasks.length) {
          settled = true;
          resolve();
        } else feed(w);
      });
      w.on("error", (err) => fail(started === 0 ? new WorkerStartError(err.message) : err));
      w.on("exit", (code) => {
        if (inFlight.has(w)) fail(new Error(`synth worker exited with code ${code} while rendering track ${inFlight.get(w)!.job.trackId}`));
      });
    }
  });
  return work.finally(() => Promise.all(pool.map((w) => w.terminate())));
}

/** worker.cjs beside this file (or in the source tree, when a notebook kernel loaded us from elsewhere). */
function workerEntry(): string {
  const beside = path.join(__dirname, "worker.cjs");
  if (fs.existsSync(beside)) return beside;
  return path.join(PROJECT_ROOT, "src", "data", "synth", "worker.cjs");
}
