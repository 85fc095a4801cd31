// Evaluate a finished (or interrupted) run folder again: its best/ (or last/) model on the test split,
// rewriting evaluation.json, predictions.jsonl and the embeddings (`fmalab evaluate`).
// In train, not eval: it reads the run format (runs.ts) and reopens the training data (sources.ts), and
// eval sits below train.
import * as fs from "node:fs";
import * as path from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { UsageError } from "../util/errors";
import { initBackend, type BackendName } from "../tf/backend";
import { loadModel } from "../tf/io";
import { seedImage } from "../features/image";
import type { Split } from "../data/schema";
import { loadRun, RUN_FILES } from "./runs";
import { openTrainingData } from "./sources";
import { examplesOf, limitTracksPerSplit, makeInputBuilder, type TrainingData } from "../models/inputs";
import { evaluateModel, type EvaluationResult } from "../eval/evaluate";

export interface EvaluateRunOptions {
  /** Folder holding the runs when `run` is an id (default "runs"). */
  runsDir?: string;
  /** "best" (lowest validation loss, default) or "last". */
  weights?: "best" | "last";
  split?: Split;
  /** Crops per track (default: the run's evalCrops). */
  crops?: number;
  batchSize?: number;
  backend?: BackendName;
  /** Data already opened (tests); default: the run's dataset and cache. */
  data?: TrainingData;
  /** Write evaluation.json, predictions.jsonl and embeddings into the run folder (default true). */
  write?: boolean;
  bootstrapResamples?: number;
}

/** Evaluate run `run` (a run folder, or an id under runsDir). */
export async function evaluateRun(run: string, opts: EvaluateRunOptions = {}): Promise<EvaluationResult> {
  const dir = fs.existsSync(path.join(run, RUN_FILES.config)) ? run : path.join(opts.runsDir ?? "runs", run);
  if (!fs.existsSync(path.join(dir, RUN_FILES.config))) {
    throw new UsageError(`no run "${run}" (looked for ${path.resolve(dir, RUN_FILES.config)})`);
  }
  const loaded = loadRun(dir);
  const cfg = loaded.config;
  const which = opts.weights ?? "best";
  const modelDir = path.join(loaded.dir, which === "best" ? RUN_FILES.best : RUN_FILES.last);
  if (!fs.existsSync(modelDir)) {
    throw new UsageError(`run "${loaded.id}" has no ${which}/ model yet (${modelDir}); train it first (or --resume it)`);
  }
  await initBackend({ backend: opts.backend ?? cfg.train.backend, threads: cfg.train.threads, log: false });
  const data = opts.data ?? openTrainingData(cfg.train, cfg.model.input);
  let tracks = data.tracks;
  if (cfg.train.maxTracksPerSplit !== undefined) tracks = limitTracksPerSplit(tracks, cfg.train.maxTracksPerSplit);
  const split = opts.split ?? "test";
  tracks = tracks.filter((t) => t.split === split && cfg.classes.includes(t.genre));
  const examples = examplesOf(tracks, cfg.classes, split);
  if (examples.length === 0) throw new UsageError(`run "${loaded.id}": no ${split} tracks of its classes in ${data.source}`);
  const builder = makeInputBuilder(cfg.model.input, data.reader, cfg.inputNorm, cfg.model.input.kind === "seed-image" ? seedImage : undefined);
  const model: tf.LayersModel = await loadModel(modelDir);
  try {
    return evaluateModel({
      model,
      modelName: cfg.model.name,
      builder,
      examples,
      classes: cfg.classes,
      crops: opts.crops ?? cfg.train.evalCrops,
      batchSize: opts.batchSize ?? cfg.train.batchSize,
      split,
      runId: loaded.id,
      embeddingLayer: cfg.model.penultimateLayer,
      outDir: opts.write === false ? null : loaded.dir,
      bootstrap: { seed: cfg.train.seed, resamples: opts.bootstrapResamples },
    });
  } finally {
    model.dispose();
  }
}
