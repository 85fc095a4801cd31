// The study's configuration: one explicit value (StudyConfig) that every study function takes, made by
// makeStudyConfig from a few choices (which data, which sizes, how to treat splits that cannot support the
// study). The environment and the command line are read only at the edges (src/cli/, ./settings.ts), which
// build a StudyConfig and pass it down. The one size preset table and the one dataset default live here.
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT } from "../util/fs";
import type { Split } from "../data/schema";

export type StudyDataKind = "synthetic" | "sample" | "fma";
export type StudySizeName = "quick" | "default" | "full";
/**
 * What the study does when the official splits cannot support it (a genre missing from a split, too few
 * tracks): "smoke" trains a clearly labelled smoke run on every track in all three splits (its numbers are
 * never called test scores), "resplit" makes an explicit stratified re-split (recorded in each run),
 * "stop" stops before any work.
 */
export type SplitPolicy = "smoke" | "resplit" | "stop";
export const SPLIT_POLICIES: readonly SplitPolicy[] = ["smoke", "resplit", "stop"];

/** The one dataset default of the CLI and the notebooks: the embedded synthetic dataset (generated on demand). */
export const DEFAULT_DATA_DIR = path.join(PROJECT_ROOT, "data", "synthetic");

/** Everything the study may size: tracks, clip length, training and analysis budgets. */
export interface StudySizes {
  name: StudySizeName;
  /** Tracks per genre and split (null: every track). */
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
  /** Dataset folder (absolute). */
  dataDir: string;
  dataKind: StudyDataKind;
  /** The smallest sizes (the tests). */
  quick: boolean;
  /** The full fma_small settings (the clearly marked cells run only then). */
  full: boolean;
  sizes: StudySizes;
  /** Where caches, runs and figures go (figures of the 8-clip sample go to out/figures-sample). */
  cacheRoot: string;
  runsDir: string;
  figuresDir: string;
  /** Seed for every random choice the study makes. */
  seed: number;
  /** Train even when a finished run of the same configuration exists (never reused in the quick sizes). */
  retrain: boolean;
  /** What to do when the official splits cannot support the study (see SplitPolicy). */
  splitPolicy: SplitPolicy;
}

/** The choices a StudyConfig is made from (everything else follows). */
export interface StudyConfigInput {
  /** Default: DEFAULT_DATA_DIR. Relative paths are taken from the project root. */
  dataDir?: string;
  sizes?: StudySizeName;
  retrain?: boolean;
  splitPolicy?: SplitPolicy;
  seed?: number;
  /** Default: the project's cache/, runs/ and figures/ (out/figures-sample for the 8-clip sample). */
  cacheRoot?: string;
  runsDir?: string;
  figuresDir?: string;
}

// The one size preset table. "default" is sized so that the main job (`npm start`: synthetic data, cache,
// these runs, figures, all notebooks) stays under 10 minutes on 2 cores: every validation and test track of
// the synthetic set (5 + 5 per genre), 25 of its 40 training tracks per genre (README, "Two commands").
// `fmalab train --quick` is a different thing: a training-only preset of that command (train/config.ts).
export const STUDY_SIZES: Readonly<Record<StudySizeName, StudySizes>> = {
  quick: {
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
  },
  default: {
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
  },
  full: {
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
  },
};

/** A named size preset (a copy: callers may change fields freely). */
export function studySizes(name: StudySizeName): StudySizes {
  return JSON.parse(JSON.stringify(STUDY_SIZES[name])) as StudySizes;
}

/** What kind of dataset a folder holds: generated (synth.json), the flat 8-clip sample, or a real FMA folder. */
export function dataKindOf(dir: string): StudyDataKind {
  if (path.resolve(dir) === DEFAULT_DATA_DIR) return "synthetic";
  if (fs.existsSync(path.join(dir, "synth.json"))) return "synthetic";
  if (fs.existsSync(path.join(dir, "tracks.csv")) && fs.existsSync(path.join(dir, "audio"))) return "sample";
  return "fma";
}

/** The study's configuration from explicit choices (pure apart from looking at the data folder's kind). */
export function makeStudyConfig(input: StudyConfigInput = {}): StudyConfig {
  const dataDir = path.resolve(PROJECT_ROOT, input.dataDir ?? DEFAULT_DATA_DIR);
  const dataKind = dataKindOf(dataDir);
  const sizes = input.sizes ?? "default";
  return {
    dataDir,
    dataKind,
    quick: sizes === "quick",
    full: sizes === "full",
    sizes: studySizes(sizes),
    cacheRoot: input.cacheRoot ?? path.join(PROJECT_ROOT, "cache"),
    runsDir: input.runsDir ?? path.join(PROJECT_ROOT, "runs"),
    // The report's figures/ come from the real or synthetic data; the sample's smoke run draws elsewhere.
    figuresDir: input.figuresDir ?? (dataKind === "sample" ? path.join(PROJECT_ROOT, "out", "figures-sample") : path.join(PROJECT_ROOT, "figures")),
    seed: input.seed ?? 0,
    retrain: input.retrain ?? false,
    splitPolicy: input.splitPolicy ?? "smoke",
  };
}

/** One paragraph saying which data and sizes the study runs with (a notebook's first output, the main job's log). */
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
