// Notebook-facing conveniences for the study notebooks (01–05): which data, which sizes, and the few
// "make sure X exists" steps the notebooks share (dataset, spectrogram cache, a trained run). The work
// itself happens in the library stages; this file only picks settings and glues calls together.
//
// ONE setting switches to real data: FMALAB_DATA (or FMA_DIR) = a folder with the real FMA
// (fma_metadata/ + fma_small/). FMALAB_FULL=1 additionally turns on the full fma_small settings
// (every track, full-length training); FMALAB_TEST=1 (set by the test runner) the quick sizes.
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT } from "../util/fs";
import { escapeHtml } from "../util/html";
import { openDataset, type FmaDataset } from "../data/dataset";
import { isKnownBad } from "../data/known-bad";
import { SPLITS, type Split } from "../data/schema";
import { notebookDataDir } from "./execute";

/* eslint-disable @typescript-eslint/no-var-requires -- stages load lazily (tfjs only when training), by require: a
   dynamic import() from a tslab kernel goes to Node's ESM loader, which cannot resolve extensionless .ts paths. */

export type StudyDataKind = "synthetic" | "sample" | "fma";
export type StudySizeName = "quick" | "default" | "full";

/** Everything a notebook may size: tracks, clip length, training and analysis budgets. */
export interface StudySizes {
  name: StudySizeName;
  /** Tracks per genre and split used by the notebooks (null: every track). */
  tracksPerGenre: Record<Split, number> | null;
  /** Spectrogram-cache request (clip length, resampler); the default one is librosa's recipe on 30 s. */
  cache: { clipSeconds: number; resampleQuality: "best" | "fast" };
  /** The model the study trains, with options (width < 1: a narrower variant for quick runs). */
  model: string;
  modelOptions?: { width?: number };
  epochs: number;
  batchSize: number;
  lr: number;
  evalCrops: number;
  trainCropsPerTrack: number;
  /** Epochs for the feature baselines (feat_logreg, feat_mlp): cheap, so more. */
  baselineEpochs: number;
  /** Saliency: clips per genre, SmoothGrad samples, integrated-gradient steps. */
  saliencyClipsPerGenre: number;
  smoothGradSamples: number;
  igSteps: number;
  /** Seconds of audio per clip embedded in a notebook for listening. */
  listenSeconds: number;
}

export interface StudyConfig {
  /** Dataset folder (FMALAB_DATA, FMA_DIR, data/synthetic, ../shared/fma-sample: the first set/present). */
  dataDir: string;
  dataKind: StudyDataKind;
  /** FMALAB_TEST=1: the smallest sizes (the notebook tests). */
  quick: boolean;
  /** FMALAB_FULL=1: the full fma_small settings (the clearly marked cells run only then). */
  full: boolean;
  sizes: StudySizes;
  /** Where caches, runs and figures go (project folders; figures of the 8-clip sample go to out/figures-sample). */
  cacheRoot: string;
  runsDir: string;
  figuresDir: string;
  /** Seed for every random choice the notebooks make. */
  seed: number;
}

const QUICK: StudySizes = {
  name: "quick",
  tracksPerGenre: { training: 5, validation: 2, test: 2 },
  cache: { clipSeconds: 10, resampleQuality: "fast" },
  model: "mel_cnn4_128",
  modelOptions: { width: 0.5 },
  epochs: 3,
  batchSize: 16,
  lr: 2e-3,
  evalCrops: 2,
  trainCropsPerTrack: 2,
  baselineEpochs: 30,
  saliencyClipsPerGenre: 1,
  smoothGradSamples: 4,
  igSteps: 8,
  listenSeconds: 5,
};

// Sized so that the main job (`npm start`: synthetic data, cache, these runs, figures, all notebooks) stays
// under 10 minutes on 2 cores: every validation and test track of the synthetic set (5 + 5 per genre), 25 of
// its 40 training tracks per genre. Measured times: README, "Two commands".
const DEFAULT: StudySizes = {
  name: "default",
  tracksPerGenre: { training: 25, validation: 5, test: 5 },
  cache: { clipSeconds: 30, resampleQuality: "best" },
  model: "mel_cnn4_128",
  modelOptions: { width: 0.5 },
  epochs: 6,
  batchSize: 16,
  lr: 2e-3,
  evalCrops: 3,
  trainCropsPerTrack: 2,
  baselineEpochs: 60,
  saliencyClipsPerGenre: 3,
  smoothGradSamples: 12,
  igSteps: 24,
  listenSeconds: 6,
};

const FULL: StudySizes = {
  name: "full",
  tracksPerGenre: null,
  cache: { clipSeconds: 30, resampleQuality: "best" },
  model: "mel_cnn4_128",
  epochs: 30,
  batchSize: 32,
  lr: 1e-3,
  evalCrops: 5,
  trainCropsPerTrack: 1,
  baselineEpochs: 200,
  saliencyClipsPerGenre: 20,
  smoothGradSamples: 25,
  igSteps: 50,
  listenSeconds: 10,
};

/** The named size presets (copies: notebooks may change fields freely). */
export function studySizes(name: StudySizeName): StudySizes {
  const preset = name === "quick" ? QUICK : name === "full" ? FULL : DEFAULT;
  return JSON.parse(JSON.stringify(preset)) as StudySizes;
}

function dataKindOf(dir: string): StudyDataKind {
  if (fs.existsSync(path.join(dir, "synth.json"))) return "synthetic";
  if (fs.existsSync(path.join(dir, "tracks.csv")) && fs.existsSync(path.join(dir, "audio"))) return "sample";
  return "fma";
}

const truthy = (v: string | undefined) => v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";

/** The study's settings from the environment (see the top of this file). */
export function studyConfig(env: NodeJS.ProcessEnv = process.env): StudyConfig {
  const saved = { FMALAB_DATA: process.env.FMALAB_DATA, FMA_DIR: process.env.FMA_DIR };
  let dataDir: string;
  try {
    process.env.FMALAB_DATA = env.FMALAB_DATA;
    process.env.FMA_DIR = env.FMA_DIR;
    if (env.FMALAB_DATA === undefined) delete process.env.FMALAB_DATA;
    if (env.FMA_DIR === undefined) delete process.env.FMA_DIR;
    dataDir = notebookDataDir();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const synthetic = path.join(PROJECT_ROOT, "data", "synthetic");
  const dataKind: StudyDataKind = path.resolve(dataDir) === synthetic ? "synthetic" : dataKindOf(dataDir);
  const quick = truthy(env.FMALAB_TEST);
  const full = truthy(env.FMALAB_FULL) && !quick;
  return {
    dataDir,
    dataKind,
    quick,
    full,
    sizes: studySizes(full ? "full" : quick ? "quick" : "default"),
    cacheRoot: path.join(PROJECT_ROOT, "cache"),
    runsDir: path.join(PROJECT_ROOT, "runs"),
    // The report's figures/ come from the real or synthetic data; the sample's smoke run draws elsewhere.
    figuresDir: dataKind === "sample" ? path.join(PROJECT_ROOT, "out", "figures-sample") : path.join(PROJECT_ROOT, "figures"),
    seed: 0,
  };
}

/** One paragraph saying which data and sizes a notebook runs with (its first output). */
export function describeStudy(cfg: StudyConfig): string {
  const rel = path.relative(PROJECT_ROOT, cfg.dataDir);
  const where = rel && !rel.startsWith("..") ? rel : cfg.dataDir;
  const t = cfg.sizes.tracksPerGenre;
  const tracks = t ? `${t.training}/${t.validation}/${t.test} tracks per genre (train/val/test)` : "every track";
  const kind =
    cfg.dataKind === "synthetic"
      ? "the embedded synthetic dataset"
      : cfg.dataKind === "sample"
        ? "the 8-clip real sample (too small to learn anything: a smoke run)"
        : "a real FMA folder";
  return (
    `data: ${where} (${kind}) | sizes: ${cfg.sizes.name} — ${tracks}, ${cfg.sizes.cache.clipSeconds} s clips, ` +
    `${cfg.sizes.model} × ${cfg.sizes.epochs} epochs | full fma_small cells: ${cfg.full ? "ON (FMALAB_FULL=1)" : "off (set FMALAB_FULL=1)"}`
  );
}

/**
 * Open the study's dataset; when it is the default embedded dataset (data/synthetic) and not completely
 * generated yet, generate or finish it first (what `fmalab synth` does; minutes on 2 cores).
 */
export async function ensureStudyDataset(cfg: StudyConfig): Promise<FmaDataset> {
  const isDefaultSynthetic = path.resolve(cfg.dataDir) === path.join(PROJECT_ROOT, "data", "synthetic");
  if (isDefaultSynthetic && !synthComplete(cfg.dataDir)) {
    const { ensureSyntheticDataset } = require("../data/synth") as typeof import("../data/synth");
    await ensureSyntheticDataset(cfg.dataDir);
  }
  return openDataset(cfg.dataDir);
}

function synthComplete(dir: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, "synth.json"), "utf8")) as { status?: string }).status === "complete";
  } catch {
    return false;
  }
}

/**
 * The tracks the notebooks use: per split and genre_top, the first `tracksPerGenre[split]` tracks by id
 * whose clip is on disk and is not a known-bad clip (all of them with null sizes). Deterministic.
 */
export function studyTrackIds(cfg: StudyConfig, ds: FmaDataset): number[] {
  const present = new Set(ds.checkAudio().present);
  const groups = new Map<string, number[]>();
  for (const r of ds.tracks.records) {
    if (r.split === null || r.genreTop === null || !present.has(r.trackId) || isKnownBad(r.trackId)) continue;
    const key = `${r.split}\u0000${r.genreTop}`;
    const list = groups.get(key) ?? [];
    list.push(r.trackId);
    groups.set(key, list);
  }
  const ids: number[] = [];
  for (const [key, list] of groups) {
    const split = key.split("\u0000")[0] as Split;
    const n = cfg.sizes.tracksPerGenre ? cfg.sizes.tracksPerGenre[split] : list.length;
    ids.push(...list.sort((a, b) => a - b).slice(0, n));
  }
  return ids.sort((a, b) => a - b);
}

/** Count of the selected tracks per split (for a sentence in the notebook). */
export function countBySplit(ds: FmaDataset, trackIds: readonly number[]): Record<Split, number> {
  const out = { training: 0, validation: 0, test: 0 } as Record<Split, number>;
  for (const id of trackIds) {
    const s = ds.tracks.byId(id)?.split;
    if (s && (SPLITS as readonly string[]).includes(s)) out[s]++;
  }
  return out;
}

/** The cache request of the study's sizes (librosa's mel parameters; clip length and resampler vary). */
export function studyCacheRequest(cfg: StudyConfig): { clipSeconds: number; resampleQuality: "best" | "fast" } {
  return { ...cfg.sizes.cache };
}

// ------------------------------------------------------------------ spectrogram cache

/**
 * Build (or finish: it is resumable) the spectrogram cache of the study's tracks. Clips already cached
 * are reused, so a second notebook, or the main job's full cache, makes this instant.
 */
export async function ensureStudyCache(
  cfg: StudyConfig,
  ds: FmaDataset,
  opts: { onProgress?: (p: import("../features/cache").CacheProgress) => void; silent?: boolean; workers?: number } = {},
): Promise<import("../features/cache").CacheSummary> {
  const { buildSpectrogramCache } = require("../features/cache") as typeof import("../features/cache");
  return buildSpectrogramCache({
    dataDir: cfg.dataDir,
    subset: ds.subset,
    cacheRoot: cfg.cacheRoot,
    trackIds: studyTrackIds(cfg, ds),
    ...studyCacheRequest(cfg),
    onProgress: opts.onProgress,
    silent: opts.silent ?? true,
    workers: opts.workers,
  });
}

/** The study's cache folder (throws, saying how to build it, when it does not exist yet). */
export function studyCacheDir(cfg: StudyConfig, ds: FmaDataset): string {
    const { findCache } = require("../features/cache") as typeof import("../features/cache");
  return findCache(cfg.dataDir, { ...studyCacheRequest(cfg), cacheRoot: cfg.cacheRoot, subset: ds.subset, features: true });
}

// ------------------------------------------------------------------ training

type TrainingData = import("../train/examples").TrainingData;
type TrainConfigInput = import("../train/config").TrainConfigInput;
type LoadedRun = import("../train/runs").LoadedRun;

/**
 * The training data of the study's tracks (from its cache) for `model`. When some genre lacks a track in
 * some split (the 8-clip sample: 1–2 tracks per genre), every track is used in all three splits: a smoke
 * run of the code path whose numbers mean nothing (isSmokeRun; the notebooks say so).
 */
export function studyTrainingData(cfg: StudyConfig, ds: FmaDataset, model: string): TrainingData {
  const { openTrainingData, modelInputFor } = require("../train") as typeof import("../train");
  const input = modelInputFor({ model, modelOptions: undefined });
  const data = openTrainingData({ data: cfg.dataDir, cacheDir: studyCacheDir(cfg, ds) }, input);
  const wanted = new Set(studyTrackIds(cfg, ds));
  let tracks = data.tracks.filter((t) => wanted.has(t.trackId));
  if (!coversEverySplit(tracks)) tracks = tracks.flatMap((t) => SPLITS.map((split) => ({ ...t, split })));
  // Only the study's own tracks count as excluded (the rest of the dataset was never asked for).
  return { ...data, tracks, excluded: data.excluded.filter((e) => wanted.has(e.trackId)) };
}

/** Whether every genre of `tracks` has a track in each split (else training cannot run: smoke mode). */
export function coversEverySplit(tracks: ReadonlyArray<{ split: Split; genre: string }>): boolean {
  const genres = new Set(tracks.map((t) => t.genre));
  return SPLITS.every((s) => {
    const here = new Set(tracks.filter((t) => t.split === s).map((t) => t.genre));
    return [...genres].every((g) => here.has(g));
  });
}

/** True when the study's selection cannot be trained on honestly (the sample): see studyTrainingData. */
export function isSmokeRun(cfg: StudyConfig, ds: FmaDataset): boolean {
  const ids = studyTrackIds(cfg, ds);
  const tracks = ids.map((id) => ds.tracks.byId(id)!).map((r) => ({ split: r.split as Split, genre: r.genreTop as string }));
  return !coversEverySplit(tracks);
}

/**
 * The data a finished run was trained on, read back from the run's own spectrogram cache (a run trained
 * with other sizes than the current ones still finds its spectrograms), with that cache's clip length and
 * resampler (to load matching audio).
 */
export function runTrainingData(run: LoadedRun): { data: TrainingData; clipSeconds: number; resampleQuality: "best" | "fast" } {
  const { openTrainingData } = require("../train") as typeof import("../train");
  const { openSpectrogramCache } = require("../features/cache") as typeof import("../features/cache");
  const cacheDir = run.config.data.cacheDir ?? undefined;
  const data = openTrainingData({ data: run.config.train.data, cacheDir: cacheDir }, run.config.model.input);
  const params = openSpectrogramCache(data.cacheDir!).params;
  return { data, clipSeconds: params.clipSeconds, resampleQuality: params.resampleQuality };
}

/** The run id the notebooks use for a model: study-<data kind>-<sizes>-<model>. */
export function studyRunId(cfg: StudyConfig, model: string): string {
  return `study-${cfg.dataKind}-${cfg.sizes.name}-${model}`;
}

/** A training config with the study's sizes (override any field). */
export function studyTrainConfig(cfg: StudyConfig, model: string, overrides: Partial<TrainConfigInput> = {}): TrainConfigInput {
  const s = cfg.sizes;
  const isFeatures = model.startsWith("feat_");
  return {
    model,
    modelOptions: !isFeatures && model === s.model ? s.modelOptions : undefined,
    data: cfg.dataDir,
    runsDir: cfg.runsDir,
    runId: studyRunId(cfg, model),
    epochs: isFeatures ? s.baselineEpochs : s.epochs,
    batchSize: s.batchSize,
    lr: isFeatures ? 1e-2 : s.lr,
    seed: cfg.seed,
    evalCrops: isFeatures ? 1 : s.evalCrops,
    trainCropsPerTrack: isFeatures ? 1 : s.trainCropsPerTrack,
    earlyStopping: { patience: cfg.full ? 5 : 0 },
    ...overrides,
  };
}

/** Overrides of the class-weighted twin of the study's CNN (notebook 03; the report's class-weights figure). */
export function classWeightedOverrides(cfg: StudyConfig): Partial<TrainConfigInput> {
  return { classWeights: true, runId: `${studyRunId(cfg, cfg.sizes.model)}-cw` };
}

/** Overrides of the seed's ImprovedMusicGenreCNNv2 run in the full settings (notebook 03's full cell). */
export const SEED_V2_FULL_OVERRIDES: Partial<TrainConfigInput> = { modelOptions: undefined, epochs: 30, batchSize: 16, lr: 1e-4, evalCrops: 1 };

export interface StudyRunPlanItem {
  model: string;
  overrides?: Partial<TrainConfigInput>;
  /** What the run is for (one line). */
  purpose: string;
  /** The study's default model (the report's headline numbers). */
  main: boolean;
}

/**
 * The runs notebook 03 trains, in its order (the main job trains them first so the notebooks reuse them):
 * the default CNN, the two feature baselines, the class-weighted CNN (not in the quick settings) and, in
 * the full settings, the seed's model.
 */
export function studyRunPlan(cfg: StudyConfig): StudyRunPlanItem[] {
  const plan: StudyRunPlanItem[] = [
    { model: cfg.sizes.model, purpose: "the study's default model", main: true },
    { model: "feat_logreg", purpose: "feature baseline (logistic regression)", main: false },
    { model: "feat_mlp", purpose: "feature baseline (MLP)", main: false },
  ];
  if (!cfg.quick) plan.push({ model: cfg.sizes.model, overrides: classWeightedOverrides(cfg), purpose: "class-weighted twin of the default model", main: false });
  if (cfg.full) plan.push({ model: "seed_improved_v2", overrides: SEED_V2_FULL_OVERRIDES, purpose: "the seed's ImprovedMusicGenreCNNv2 (full settings)", main: false });
  return plan;
}

/** JSON with sorted keys (undefined fields dropped, as in a saved config.json): for comparing configs. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * A finished run (last model saved and evaluated on the test split) in `config`'s run folder that was
 * trained with exactly this configuration on the same tracks (same cache, same split sizes); else null.
 */
export function findReusableRun(config: TrainConfigInput, data: TrainingData): LoadedRun | null {
  const { resolveTrainConfig } = require("../train/config") as typeof import("../train/config");
  const { loadRun } = require("../train/runs") as typeof import("../train/runs");
  const resolved = resolveTrainConfig(config);
  if (!resolved.runId) return null;
  const dir = path.resolve(resolved.runsDir, resolved.runId);
  if (!fs.existsSync(path.join(dir, "config.json"))) return null;
  let run: LoadedRun;
  try {
    run = loadRun(dir);
  } catch {
    return null;
  }
  if (!run.hasLast || !run.hasBest || run.evaluation === null || run.metrics.length === 0) return null;
  if (canonicalJson(run.config.train) !== canonicalJson({ ...resolved, runId: resolved.runId })) return null;
  const counts = countBySplitOf(data.tracks);
  const stored = run.config.data;
  if ((stored.cacheDir ?? null) !== (data.cacheDir ?? null)) return null;
  if (SPLITS.some((s) => stored.tracks[s] !== counts[s])) return null;
  return run;
}

function countBySplitOf(tracks: ReadonlyArray<{ split: Split }>): Record<Split, number> {
  const out = { training: 0, validation: 0, test: 0 } as Record<Split, number>;
  for (const t of tracks) out[t.split]++;
  return out;
}

/** A loaded run as the record trainModel returns (for callers that either train or reuse). */
export function runRecordOf(run: LoadedRun): import("../train/train").RunRecord {
  let bestEpoch: number | null = null;
  let bestValLoss = Infinity;
  for (const m of run.metrics) {
    if (m.val_loss < bestValLoss) {
      bestValLoss = m.val_loss;
      bestEpoch = m.epoch;
    }
  }
  return {
    id: run.id,
    dir: run.dir,
    config: run.config.train,
    classes: run.config.classes,
    metrics: run.metrics,
    bestEpoch,
    bestValLoss,
    stoppedEarly: run.metrics.length < run.config.train.epochs,
    resumedAfterEpoch: run.metrics.length,
    backend: run.config.backend as import("../train/train").RunRecord["backend"],
    evaluation: run.evaluation,
    excluded: run.config.data.excludedSample,
  };
}

/** Study runs are reused unless FMALAB_RETRAIN=1, and never in the test settings (the tests train live). */
export function studyReusesRuns(cfg: StudyConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  return !cfg.quick && !truthy(env.FMALAB_RETRAIN);
}

/**
 * Train `model` on the study's tracks as run `studyRunId`. A finished run of that id trained with the same
 * configuration on the same tracks (e.g. by the main job, `npm start`) is reused instead: its epochs are
 * replayed through `onEpoch` (so curves still draw) and a line says so; FMALAB_RETRAIN=1 (or `retrain`)
 * trains live, replacing it. Any other earlier run of that id is replaced too (the notebooks re-run from
 * the top). Progress goes to `onEpoch`/`onBatch`; set `progress` for the trainer's own progress bar.
 */
export async function trainStudyModel(
  cfg: StudyConfig,
  ds: FmaDataset,
  model: string,
  opts: {
    overrides?: Partial<TrainConfigInput>;
    onEpoch?: (m: import("../train/runs").EpochMetrics) => void | Promise<void>;
    onBatch?: (p: import("../train/train").BatchProgress) => void;
    /** Training log lines (default: none); the reuse notice goes here too (default: console.log). */
    log?: (line: string) => void;
    /** Train even when a matching finished run exists (default: FMALAB_RETRAIN=1). */
    retrain?: boolean;
    /** Draw the trainer's progress bar on stderr (default false). */
    progress?: boolean;
  } = {},
): Promise<import("../train/train").RunRecord & { reused: boolean }> {
  const { trainModel } = require("../train") as typeof import("../train");
  const config = studyTrainConfig(cfg, model, opts.overrides);
  const data = studyTrainingData(cfg, ds, model);
  const retrain = opts.retrain ?? !studyReusesRuns(cfg);
  if (!retrain) {
    const found = findReusableRun(config, data);
    if (found) {
      const record = runRecordOf(found);
      const acc = found.evaluation!.trackLevel.accuracy;
      (opts.log ?? ((line: string) => console.log(line)))(
        `reusing run ${found.id} (trained earlier with this exact configuration, e.g. by the main job \`npm start\`; ` +
          `${found.metrics.length} epochs, test accuracy ${(acc * 100).toFixed(1)} %); set FMALAB_RETRAIN=1 to train it live here`,
      );
      for (const m of found.metrics) await opts.onEpoch?.(m);
      return { ...record, reused: true };
    }
  }
  const dir = path.join(config.runsDir ?? cfg.runsDir, config.runId!);
  if (fs.existsSync(path.join(dir, "config.json"))) fs.rmSync(dir, { recursive: true, force: true });
  const record = await trainModel(config, {
    data: data,
    onEpoch: opts.onEpoch,
    onBatch: opts.onBatch,
    log: opts.log ?? (() => undefined),
    progress: opts.progress ?? false,
  });
  return { ...record, reused: false };
}

/** A finished study run on this dataset (best model, evaluation, embeddings): the main one, else the newest; or null. */
export function latestStudyRun(cfg: StudyConfig, model?: string): LoadedRun | null {
    const { listRuns } = require("../train/runs") as typeof import("../train/runs");
  const runs = listRuns(cfg.runsDir).filter(
    (r) =>
      r.id.startsWith(`study-${cfg.dataKind}-`) &&
      path.resolve(r.config.train.data) === path.resolve(cfg.dataDir) &&
      (model === undefined ? !r.config.train.model.startsWith("feat_") : r.config.train.model === model) &&
      r.hasBest &&
      r.evaluation !== null &&
      fs.existsSync(path.join(r.dir, "embeddings.json")),
  );
  // The study's main run (notebook 03) when it is there, else the newest one.
  const main = runs.find((r) => r.id === studyRunId(cfg, model ?? cfg.sizes.model));
  return main ?? (runs.length ? runs[runs.length - 1] : null);
}

/** A finished study run to analyse: the newest one, else a quick one trained now (cache built first). */
export async function ensureStudyRun(cfg: StudyConfig, ds: FmaDataset, log: (line: string) => void = () => undefined): Promise<LoadedRun> {
  const found = latestStudyRun(cfg);
  if (found) {
    log(`using run ${found.id} (${found.metrics.length} epochs, test accuracy ${found.evaluation!.trackLevel.accuracy.toFixed(3)})`);
    return found;
  }
  log(`no finished study run on this dataset: building the cache and training ${cfg.sizes.model} (${cfg.sizes.epochs} epochs)…`);
  await ensureStudyCache(cfg, ds);
  const record = await trainStudyModel(cfg, ds, cfg.sizes.model, { log: log });
  const { loadRun } = require("../train/runs") as typeof import("../train/runs");
  return loadRun(record.dir);
}

// ------------------------------------------------------------------ listening

/**
 * An HTML `<audio>` element playing `seconds` of `pcm` from `startS`, re-encoded as a small mono MP3
 * (64 kbit/s) data URI so executed notebooks stay small (≈8 kB per second).
 */
export async function audioExcerptHtml(
  pcm: Float32Array,
  sampleRate: number,
  opts: { startS?: number; seconds?: number; caption?: string } = {},
): Promise<string> {
  const { encodeMp3 } = require("../data/synth/mp3") as typeof import("../data/synth/mp3");
  const start = Math.max(0, Math.min(pcm.length, Math.round((opts.startS ?? 0) * sampleRate)));
  const end = Math.min(pcm.length, start + Math.round((opts.seconds ?? 5) * sampleRate));
  const excerpt = pcm.slice(start, end);
  // Leave headroom: the encoder clips at ±1.
  let peak = 0;
  for (let i = 0; i < excerpt.length; i++) peak = Math.max(peak, Math.abs(excerpt[i]));
  if (peak > 0.99) for (let i = 0; i < excerpt.length; i++) excerpt[i] *= 0.99 / peak;
  const mp3 = await encodeMp3([excerpt], sampleRate, 64);
  const uri = `data:audio/mpeg;base64,${Buffer.from(mp3).toString("base64")}`;
  const caption = opts.caption ? `<span style="font-family:sans-serif;font-size:12px;margin-right:8px">${escapeHtml(opts.caption)}</span>` : "";
  return `<div style="display:flex;align-items:center;margin:2px 0">${caption}<audio controls preload="none" src="${uri}"></audio></div>`;
}


/**
 * The `windowFrames`-frame stretch of time holding the most saliency (a map nMels × nFrames, row-major):
 * its start frame and its share of the map's total |mass|. For listening to what the model looked at.
 */
export function mostSalientWindow(map: ArrayLike<number>, nMels: number, nFrames: number, windowFrames: number): { startFrame: number; share: number } {
  const w = Math.max(1, Math.min(nFrames, Math.round(windowFrames)));
  const column = new Float64Array(nFrames);
  let total = 0;
  for (let m = 0; m < nMels; m++) {
    for (let t = 0; t < nFrames; t++) column[t] += Math.abs(map[m * nFrames + t]);
  }
  for (let t = 0; t < nFrames; t++) total += column[t];
  let sum = 0;
  for (let t = 0; t < w; t++) sum += column[t];
  let best = sum;
  let bestStart = 0;
  for (let t = w; t < nFrames; t++) {
    sum += column[t] - column[t - w];
    if (sum > best) {
      best = sum;
      bestStart = t - w + 1;
    }
  }
  return { startFrame: bestStart, share: total > 0 ? best / total : 0 };
}

/** Frames `start … start+frames` of a row-major nMels × nFrames spectrogram (for smaller pictures). */
export function cropSpectrogram(
  spec: { data: ArrayLike<number>; nMels: number; nFrames: number },
  start: number,
  frames: number,
): { data: Float32Array; nMels: number; nFrames: number } {
  const s = Math.max(0, Math.min(spec.nFrames - 1, Math.floor(start)));
  const n = Math.max(1, Math.min(spec.nFrames - s, Math.floor(frames)));
  const data = new Float32Array(spec.nMels * n);
  for (let m = 0; m < spec.nMels; m++) {
    for (let t = 0; t < n; t++) data[m * n + t] = spec.data[m * spec.nFrames + s + t];
  }
  return { data, nMels: spec.nMels, nFrames: n };
}
