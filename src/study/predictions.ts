// A run's per-track test predictions (predictions.jsonl) and embeddings, read back for the figures and the
// notebooks, and the UMAP points both draw.
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../util/errors";

/* eslint-disable @typescript-eslint/no-var-requires -- lazy stages, see dataset.ts */

/** One line of predictions.jsonl. */
export interface TrackPrediction {
  trackId: number;
  true: string;
  predicted: string;
  correct: boolean;
  probs: number[];
}

/** A run's predictions.jsonl, in file order (an InputError names the file and line of a bad one). */
export function readPredictions(runDir: string): TrackPrediction[] {
  const file = path.join(runDir, "predictions.jsonl");
  const out: TrackPrediction[] = [];
  fs.readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (line.trim() === "") return;
      let p: TrackPrediction;
      try {
        p = JSON.parse(line) as TrackPrediction;
      } catch {
        throw new InputError(file, "not valid JSON", { line: i + 1 });
      }
      if (typeof p.trackId !== "number" || typeof p.true !== "string" || typeof p.predicted !== "string") {
        throw new InputError(file, "expected {trackId, true, predicted, …}", { line: i + 1 });
      }
      out.push({ ...p, correct: p.correct ?? p.predicted === p.true, probs: p.probs ?? [] });
    });
  return out;
}

/** A run's embeddings (embeddings.f32 + embeddings.json): track ids, labels, rows. */
export function readRunEmbeddings(runDir: string): { trackIds: number[]; labels: string[]; dim: number; rows: Float32Array[] } {
  const { readEmbeddings } = require("../eval/evaluate") as typeof import("../eval/evaluate");
  return readEmbeddings(runDir);
}

export interface UmapPoint {
  x: number;
  y: number;
  group: string;
  /** Misclassified. */
  marked: boolean;
  hover: string;
}

/**
 * The 2-D UMAP layout of a run's test embeddings as points (group: true genre, marked: misclassified),
 * rounded to 1e-4 so figures are byte-stable. `hoverExtra` adds a line per track (e.g. its genres_all).
 */
export function umapPoints(
  emb: { trackIds: number[]; labels: string[]; rows: Float32Array[] },
  predictions: readonly TrackPrediction[],
  opts: { seed: number; nNeighbors?: number; hoverExtra?: (trackId: number) => string },
): { points: UmapPoint[]; layout: Float32Array[] } {
  const { toPointMatrix, umapLayout } = require("../analysis/embeddings") as typeof import("../analysis/embeddings");
  const layout = umapLayout(toPointMatrix(emb.rows), { seed: opts.seed, nNeighbors: opts.nNeighbors ?? Math.min(15, emb.rows.length - 1) });
  const byId = new Map(predictions.map((p) => [p.trackId, p]));
  const points = emb.trackIds.map((id, i) => {
    const p = byId.get(id);
    const extra = opts.hoverExtra ? `<br>${opts.hoverExtra(id)}` : "";
    return {
      x: Math.round(layout[i][0] * 1e4) / 1e4,
      y: Math.round(layout[i][1] * 1e4) / 1e4,
      group: emb.labels[i],
      marked: p ? p.predicted !== p.true : false,
      hover: `track ${id}<br>true ${emb.labels[i]}<br>predicted ${p?.predicted ?? "?"}${extra}`,
    };
  });
  return { points, layout };
}
