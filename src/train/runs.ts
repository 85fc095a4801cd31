// Run folders: runs/<id>/{config.json, metrics.jsonl, checkpoint/, best/, last/, evaluation.json,
// predictions.jsonl, embeddings.f32, embeddings.json}. Reading them back for notebooks: loadRun,
// listRuns, compareRuns.
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../util/errors";
import type { Split } from "../data/schema";
import type { TrainConfig } from "./config";
import type { InputNormalisation, ModelInput } from "../models/inputs";
import { readJsonFile } from "./checkpoint";
import type { EvaluationResult } from "../eval/evaluate";

/** One line of metrics.jsonl. */
export interface EpochMetrics {
  epoch: number;
  train_loss: number;
  train_acc: number;
  val_loss: number;
  val_acc: number;
  /** Learning rate used during this epoch. */
  lr: number;
  /** Wall time of the epoch (training + validation), seconds. */
  seconds: number;
}

/** runs/<id>/config.json. */
export interface RunConfigFile {
  format: "fmalab-run";
  version: 1;
  id: string;
  createdAt: string;
  train: TrainConfig;
  /** Class names; label i = classes[i]. */
  classes: string[];
  model: { name: string; input: ModelInput; penultimateLayer: string | null; params: number };
  inputNorm: InputNormalisation;
  classWeights: number[] | null;
  data: {
    source: string;
    cacheDir: string | null;
    tracks: Record<Split, number>;
    /** Training tracks per class (label i = classes[i]); absent in runs trained before it was recorded. */
    trainingPerClass?: number[];
    excluded: number;
    /** The first excluded tracks and why. */
    excludedSample: Array<{ trackId: number; reason: string }>;
    /**
     * What the splits held: the dataset's own, a smoke run's or a re-split, and how many test tracks were
     * also training tracks (absent in runs trained before it was recorded).
     */
    splits?: RunSplits;
  };
  /** The engine that trained: backend, its threads, the BLAS (library, threads) under wasm, one line naming all. */
  backend: { backend: string; threads: number; note: string; engine?: string; blas?: { library: string; file: string; threads: number | null } | null };
}

/** What a run's splits held (config.json data.splits). */
export interface RunSplits {
  mode: "official" | "smoke" | "resplit";
  summary: string;
  /** Test tracks that were also training tracks. */
  testOverlap: number;
}

/** The splits of a run from its tracks (overlap counted from the tracks themselves, whatever the label). */
export function runSplitsOf(tracks: ReadonlyArray<{ trackId: number; split: Split }>, declared?: { mode: RunSplits["mode"]; summary: string }): RunSplits {
  const training = new Set(tracks.filter((t) => t.split === "training").map((t) => t.trackId));
  const testOverlap = new Set(tracks.filter((t) => t.split === "test" && training.has(t.trackId)).map((t) => t.trackId)).size;
  return { mode: declared?.mode ?? "official", summary: declared?.summary ?? "the dataset's own splits", testOverlap };
}

/**
 * Whether a run's test evaluation is a test score: its test tracks are known to be disjoint from its
 * training tracks and it is not a smoke run. Runs that do not record their splits are not (retrain them).
 */
export function hasHeldOutTest(config: { data: { splits?: RunSplits } }): boolean {
  const s = config.data.splits;
  return s !== undefined && s.mode !== "smoke" && s.testOverlap === 0;
}

/** What to call a run's evaluation accuracy: "test accuracy" only when hasHeldOutTest. */
export function scoreName(config: { data: { splits?: RunSplits } }): string {
  if (hasHeldOutTest(config)) return "test accuracy";
  const s = config.data.splits;
  if (s === undefined) return "accuracy on unrecorded splits (not a test score)";
  return s.mode === "smoke" ? "smoke-run accuracy on training tracks (not a test score)" : "accuracy on tracks seen in training (not a test score)";
}

export const RUN_FILES = {
  config: "config.json",
  metrics: "metrics.jsonl",
  checkpoint: "checkpoint",
  best: "best",
  last: "last",
  evaluation: "evaluation.json",
  predictions: "predictions.jsonl",
  embeddings: "embeddings.f32",
  embeddingsMeta: "embeddings.json",
} as const;

/** A run id from the model and the UTC time: mel_cnn4_128-20260125-101500. */
export function defaultRunId(model: string, now = new Date()): string {
  const iso = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${model}-${iso}`;
}

export function checkRunId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) {
    throw new UsageError(`run id "${id}" must be letters, digits, '.', '_' or '-' (it names a folder)`);
  }
}

export function parseMetricsJsonl(text: string, file: string): EpochMetrics[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l, i) => {
      try {
        return JSON.parse(l) as EpochMetrics;
      } catch {
        throw new UsageError(`${file} line ${i + 1}: not valid JSON`);
      }
    });
}

export interface LoadedRun {
  id: string;
  dir: string;
  config: RunConfigFile;
  metrics: EpochMetrics[];
  evaluation: EvaluationResult | null;
  /** Folders present: best/ and last/ hold saved models (loadModel from src/tf). */
  hasBest: boolean;
  hasLast: boolean;
  hasCheckpoint: boolean;
}

/** Read a run folder (config, metrics, evaluation when present). */
export function loadRun(dir: string): LoadedRun {
  const abs = path.resolve(dir);
  const configFile = path.join(abs, RUN_FILES.config);
  if (!fs.existsSync(configFile)) throw new UsageError(`${abs} is not a run folder (no ${RUN_FILES.config})`);
  const config = readJsonFile<RunConfigFile>(configFile, "run config");
  if (config.format !== "fmalab-run") throw new UsageError(`${configFile}: not an fmalab run config`);
  const metricsFile = path.join(abs, RUN_FILES.metrics);
  const metrics = fs.existsSync(metricsFile) ? parseMetricsJsonl(fs.readFileSync(metricsFile, "utf8"), metricsFile) : [];
  const evalFile = path.join(abs, RUN_FILES.evaluation);
  const evaluation = fs.existsSync(evalFile) ? readJsonFile<EvaluationResult>(evalFile, "evaluation") : null;
  return {
    id: config.id,
    dir: abs,
    config,
    metrics,
    evaluation,
    hasBest: fs.existsSync(path.join(abs, RUN_FILES.best)),
    hasLast: fs.existsSync(path.join(abs, RUN_FILES.last)),
    hasCheckpoint: fs.existsSync(path.join(abs, RUN_FILES.checkpoint)),
  };
}

/** Every run under `runsDir` (folders with a config.json), oldest first. */
export function listRuns(runsDir = "runs"): LoadedRun[] {
  if (!fs.existsSync(runsDir)) return [];
  return fs
    .readdirSync(runsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(runsDir, e.name, RUN_FILES.config)))
    .map((e) => loadRun(path.join(runsDir, e.name)))
    .sort((a, b) => a.config.createdAt.localeCompare(b.config.createdAt) || a.id.localeCompare(b.id));
}

/** One row per run for a comparison table (DataFrame-ready: flat fields). */
export interface RunComparisonRow {
  run: string;
  model: string;
  seed: number;
  epochs: number;
  best_epoch: number | null;
  best_val_loss: number | null;
  best_val_acc: number | null;
  test_acc: number | null;
  test_acc_low: number | null;
  test_acc_high: number | null;
  test_top2_acc: number | null;
  test_macro_f1: number | null;
  clip_acc: number | null;
  train_seconds: number;
}

/** Compare runs (ids under runsDir, or loaded runs): best validation epoch and test metrics. */
export function compareRuns(runs: ReadonlyArray<string | LoadedRun>, runsDir = "runs"): RunComparisonRow[] {
  return runs.map((r) => {
    const run = typeof r === "string" ? loadRun(path.join(runsDir, r)) : r;
    let best: EpochMetrics | null = null;
    for (const m of run.metrics) if (!best || m.val_loss < best.val_loss) best = m;
    const ev = run.evaluation;
    return {
      run: run.id,
      model: run.config.train.model,
      seed: run.config.train.seed,
      epochs: run.metrics.length,
      best_epoch: best ? best.epoch : null,
      best_val_loss: best ? best.val_loss : null,
      best_val_acc: best ? best.val_acc : null,
      test_acc: ev ? ev.trackLevel.accuracy : null,
      test_acc_low: ev ? ev.trackLevel.intervals.accuracy.low : null,
      test_acc_high: ev ? ev.trackLevel.intervals.accuracy.high : null,
      test_top2_acc: ev ? ev.trackLevel.top2Accuracy : null,
      test_macro_f1: ev ? ev.trackLevel.macro.f1 : null,
      clip_acc: ev ? ev.clipLevel.accuracy : null,
      train_seconds: run.metrics.reduce((s, m) => s + m.seconds, 0),
    };
  });
}
