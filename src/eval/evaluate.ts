// Test-set evaluation of a trained model: track-level (mean of K crop softmaxes) and clip-level (every
// crop judged alone) metrics with bootstrap intervals, per-track predictions, and the penultimate-layer
// embedding of every test track (for UMAP). Writes evaluation.json, predictions.jsonl, embeddings.*.
import * as path from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs";
import { checksumOf } from "../util/checksums";
import { InputError } from "../util/errors";
import { shellCommand } from "../util/shell";
import { readJsonFileStrict, readRegularFile } from "../util/text";
import type { Split } from "../data/schema";
import type { Example, InputBuilder } from "../models/inputs";
import { classificationReport, type BootstrapOptions, type ClassificationReport } from "./metrics";
import { predictTracks } from "./predict";

export interface EvaluationResult {
  format: "fmalab-evaluation";
  version: 1;
  runId: string | null;
  model: string;
  split: Split;
  classes: string[];
  /** Crops per track; track probabilities are their mean. */
  crops: number;
  nTracks: number;
  createdAt: string;
  /** One prediction per track (mean of its crops' probabilities). */
  trackLevel: ClassificationReport;
  /** Every crop on its own: what a single crop scores on average. */
  clipLevel: ClassificationReport;
  bootstrap: { resamples: number; seed: number; level: number };
  /** Embedding files (relative to the run folder), when written. */
  embeddings: { layer: string; dim: number; file: string } | null;
}

export interface EvaluateModelOptions {
  model: tf.LayersModel;
  modelName: string;
  builder: InputBuilder;
  examples: readonly Example[];
  classes: readonly string[];
  crops: number;
  batchSize: number;
  split?: Split;
  runId?: string | null;
  /** Layer for embeddings (null: none). */
  embeddingLayer?: string | null;
  /** Folder to write evaluation.json, predictions.jsonl and embeddings.f32/.json into (none: no files). */
  outDir?: string | null;
  bootstrap?: BootstrapOptions;
  onProgress?(done: number, total: number): void;
}

/** Round for JSON files: float32 carries ~7 digits, 6 decimals are plenty for probabilities. */
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function evaluateModel(opts: EvaluateModelOptions): EvaluationResult {
  const split = opts.split ?? "test";
  const bootstrap = { resamples: opts.bootstrap?.resamples ?? 1000, seed: opts.bootstrap?.seed ?? 0, level: opts.bootstrap?.level ?? 0.95 };
  const pred = predictTracks(opts.model, opts.builder, opts.examples, {
    crops: opts.crops,
    batchSize: opts.batchSize,
    embeddingLayer: opts.outDir ? opts.embeddingLayer ?? null : null,
    onProgress: opts.onProgress,
  });
  const labels = opts.examples.map((e) => e.label);
  const trackLevel = classificationReport(labels, pred.trackProbs, opts.classes, bootstrap);
  const clipLabels: number[] = [];
  const clipProbs: Float32Array[] = [];
  pred.cropProbs.forEach((crops, i) => {
    for (const p of crops) {
      clipLabels.push(labels[i]);
      clipProbs.push(p);
    }
  });
  const clipLevel = classificationReport(clipLabels, clipProbs, opts.classes, bootstrap);
  let embeddings: EvaluationResult["embeddings"] = null;
  if (opts.outDir) {
    const lines = opts.examples.map((e, i) => {
      const p = pred.trackProbs[i];
      let best = 0;
      for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
      return JSON.stringify({
        trackId: e.trackId,
        true: opts.classes[e.label],
        predicted: opts.classes[best],
        correct: best === e.label,
        probs: Array.from(p, round6),
      });
    });
    writeFileAtomic(path.join(opts.outDir, "predictions.jsonl"), lines.join("\n") + (lines.length ? "\n" : ""));
    if (pred.embeddings && opts.embeddingLayer) {
      const dim = pred.embeddings[0]?.length ?? 0;
      const flat = new Float32Array(pred.embeddings.length * dim);
      pred.embeddings.forEach((v, i) => flat.set(v, i * dim));
      const bytes = new Uint8Array(flat.buffer);
      writeFileAtomic(path.join(opts.outDir, "embeddings.f32"), bytes);
      writeJsonAtomic(path.join(opts.outDir, "embeddings.json"), {
        format: "fmalab-embeddings",
        version: 1,
        file: "embeddings.f32",
        bytes: bytes.byteLength,
        crc32: checksumOf(bytes),
        dtype: "float32",
        byteOrder: "little-endian",
        layer: opts.embeddingLayer,
        count: pred.embeddings.length,
        dim,
        split,
        trackIds: opts.examples.map((e) => e.trackId),
        labels: opts.examples.map((e) => opts.classes[e.label]),
        note: "row i (dim float32 values) is the mean over the track's crops of the layer's flattened output",
      });
      embeddings = { layer: opts.embeddingLayer, dim, file: "embeddings.f32" };
    }
  }
  const result: EvaluationResult = {
    format: "fmalab-evaluation",
    version: 1,
    runId: opts.runId ?? null,
    model: opts.modelName,
    split,
    classes: [...opts.classes],
    crops: opts.crops,
    nTracks: opts.examples.length,
    createdAt: new Date().toISOString(),
    trackLevel,
    clipLevel,
    bootstrap,
    embeddings,
  };
  if (opts.outDir) writeJsonAtomic(path.join(opts.outDir, "evaluation.json"), result);
  return result;
}

/** Read embeddings.f32 + embeddings.json of a run folder: rows, track ids and labels. */
export function readEmbeddings(runDir: string): { trackIds: number[]; labels: string[]; dim: number; rows: Float32Array[] } {
  const meta = readJsonFileStrict<{ trackIds: number[]; labels: string[]; dim: number; count: number; crc32?: string }>(
    path.join(runDir, "embeddings.json"),
    "embeddings index",
  );
  const file = path.join(runDir, "embeddings.f32");
  const advice = `recompute it with: ${shellCommand(["fmalab", "evaluate", "--run", path.basename(runDir), "--runs", path.dirname(runDir)])}`;
  const buf = readRegularFile(file);
  if (buf.length !== meta.count * meta.dim * 4) {
    throw new InputError(file, `${buf.length} bytes, expected ${meta.count}×${meta.dim} float32; ${advice}`);
  }
  if (meta.crc32 !== undefined && checksumOf(buf) !== meta.crc32) {
    throw new InputError(file, `CRC32 ${checksumOf(buf)}, embeddings.json records ${meta.crc32} (damaged); ${advice}`);
  }
  const all = new Float32Array(new Uint8Array(buf).buffer);
  const rows = Array.from({ length: meta.count }, (_, i) => all.slice(i * meta.dim, (i + 1) * meta.dim));
  return { trackIds: meta.trackIds, labels: meta.labels, dim: meta.dim, rows };
}
