// The study's runs: the training data of its tracks (as its split plan assigns them), training or reusing
// each run of the plan, and the RunRecord a reused run reads back as.
import * as fs from "node:fs";
import * as path from "node:path";
import type { FmaDataset } from "../data/dataset";
import { SPLITS } from "../data/schema";
import type { TrainConfigInput } from "../train/config";
import type { TrainingData } from "../models/inputs";
import type { EpochMetrics, LoadedRun } from "../train/runs";
import type { BatchProgress, RunRecord } from "../train/train";
import type { StudyConfig } from "./config";
import { studyCacheDir, ensureStudyCache } from "./dataset";
import { studyRunId, studyTrainConfig } from "./plan";
import { countBySplit, planStudySplits, SPLIT_POLICY_HINT, type SplitPlan } from "./splits";

/* eslint-disable @typescript-eslint/no-var-requires -- lazy stages, see dataset.ts */

/** Thrown when the split plan says stop (policy "stop" and official splits that cannot support the study). */
export class StudySplitError extends Error {}

/** Throw a StudySplitError when `plan` must stop (what happened and how to continue). */
export function assertPlanRuns(plan: SplitPlan): void {
  if (plan.stop) throw new StudySplitError(`${plan.summary}; nothing was trained (${SPLIT_POLICY_HINT})`);
}

/**
 * The training data of the study's tracks (from its cache) for `model`, with the splits its plan assigns:
 * the official ones, a re-split, or (a smoke run) every track in all three. The plan is recorded in the data
 * (and so in each run's config.json).
 */
export function studyTrainingData(cfg: StudyConfig, ds: FmaDataset, model: string, plan: SplitPlan = planStudySplits(cfg, ds)): TrainingData {
  assertPlanRuns(plan);
  const { openTrainingData, modelInputFor } = require("../train") as typeof import("../train");
  const input = modelInputFor({ model, modelOptions: undefined });
  const data = openTrainingData({ data: cfg.dataDir, cacheDir: studyCacheDir(cfg, ds) }, input);
  const usable = new Set(data.tracks.map((t) => t.trackId));
  const wanted = new Set(plan.tracks.map((t) => t.trackId));
  const tracks = plan.tracks.filter((t) => usable.has(t.trackId)).map((t) => ({ trackId: t.trackId, split: t.split, genre: t.genre }));
  // Only the study's own tracks count as excluded (the rest of the dataset was never asked for).
  return { ...data, tracks, excluded: data.excluded.filter((e) => wanted.has(e.trackId)), splits: { mode: plan.mode, summary: plan.summary } };
}

/** True when the study's tracks cannot be trained on honestly and the plan is a smoke run. */
export function isSmokeRun(cfg: StudyConfig, ds: FmaDataset): boolean {
  return planStudySplits(cfg, ds).mode === "smoke";
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

/** JSON with sorted keys (undefined fields dropped, as in a saved config.json): for comparing configs. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * A finished run (last model saved and evaluated) in `config`'s run folder that was trained with exactly
 * this configuration on the same tracks (same cache, same split sizes, same split mode); else null. Runs
 * that do not record what their splits held are not reused (they are retrained once).
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
  const counts = countBySplit(data.tracks);
  const stored = run.config.data;
  if ((stored.cacheDir ?? null) !== (data.cacheDir ?? null)) return null;
  if (SPLITS.some((s) => stored.tracks[s] !== counts[s])) return null;
  if (!stored.splits || stored.splits.mode !== (data.splits?.mode ?? "official")) return null;
  return run;
}

/** A loaded run as the record trainModel returns (for callers that either train or reuse). */
export function runRecordOf(run: LoadedRun): RunRecord {
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
    backend: run.config.backend as RunRecord["backend"],
    evaluation: run.evaluation,
    excluded: run.config.data.excludedSample,
    splits: run.config.data.splits,
  };
}

/** One line naming a run's score with its provenance ("test accuracy 47.5 %" only for a held-out test). */
export function scoreLine(run: Pick<RunRecord, "evaluation" | "splits">): string {
  const { scoreName } = require("../train/runs") as typeof import("../train/runs");
  const t = run.evaluation?.trackLevel;
  if (!t) return "no evaluation";
  const name = scoreName({ data: { splits: run.splits } });
  return `${name} ${(t.accuracy * 100).toFixed(1)} % [95% CI ${(t.intervals.accuracy.low * 100).toFixed(1)}–${(t.intervals.accuracy.high * 100).toFixed(1)}]`;
}

export interface TrainStudyModelOptions {
  overrides?: Partial<TrainConfigInput>;
  onEpoch?: (m: EpochMetrics) => void | Promise<void>;
  onBatch?: (p: BatchProgress) => void;
  /** Training log lines (default: none); the reuse notice goes here too (default: console.log). */
  log?: (line: string) => void;
  /** Train even when a matching finished run exists (default: cfg.retrain). */
  retrain?: boolean;
  /** Draw the trainer's progress bar on stderr (default false). */
  progress?: boolean;
}

/**
 * Train `model` on the study's tracks as run `studyRunId`. A finished run of that id trained with the same
 * configuration on the same tracks (e.g. by the main job, `npm start`) is reused instead: its epochs are
 * replayed through `onEpoch` (so curves still draw) and a line says so; cfg.retrain (FMALAB_RETRAIN=1) trains
 * live, replacing it. Any other earlier run of that id is replaced too (the notebooks re-run from the top).
 */
export async function trainStudyModel(
  cfg: StudyConfig,
  ds: FmaDataset,
  model: string,
  opts: TrainStudyModelOptions = {},
): Promise<RunRecord & { reused: boolean }> {
  const { trainModel } = require("../train") as typeof import("../train");
  const config = studyTrainConfig(cfg, model, opts.overrides);
  const data = studyTrainingData(cfg, ds, model);
  const retrain = opts.retrain ?? cfg.retrain;
  if (!retrain) {
    const found = findReusableRun(config, data);
    if (found) {
      const record = runRecordOf(found);
      (opts.log ?? ((line: string) => console.log(line)))(
        `reusing run ${found.id} (trained earlier with this exact configuration, e.g. by the main job \`npm start\`; ` +
          `${found.metrics.length} epochs, ${scoreLine(record)}); set FMALAB_RETRAIN=1 to train it live here`,
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
  const { isFeatureModel } = require("../models/zoo") as typeof import("../models/zoo");
  const runs = listRuns(cfg.runsDir).filter(
    (r) =>
      r.id.startsWith(`study-${cfg.dataKind}-`) &&
      path.resolve(r.config.train.data) === path.resolve(cfg.dataDir) &&
      (model === undefined ? !isFeatureModel(r.config.train.model) : r.config.train.model === model) &&
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
    log(`using run ${found.id} (${found.metrics.length} epochs, ${scoreLine(runRecordOf(found))})`);
    return found;
  }
  log(`no finished study run on this dataset: building the cache and training ${cfg.sizes.model} (${cfg.sizes.epochs} epochs)…`);
  await ensureStudyCache(cfg, ds);
  const record = await trainStudyModel(cfg, ds, cfg.sizes.model, { log: log });
  const { loadRun } = require("../train/runs") as typeof import("../train/runs");
  return loadRun(record.dir);
}
