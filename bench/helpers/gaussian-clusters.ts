// Bench and test data: points drawn as Gaussian blobs, for UMAP speed (bench/umap.ts) and layout-quality
// tests (tests/unit/analysis-embeddings.test.ts). Out of src/ because no library stage uses it.
import { Rng } from "../../src/util/random";
import type { PointMatrix } from "../../src/analysis/embeddings";

/** `count` points in `dim` dimensions drawn as `clusters` Gaussian blobs (centres N(0, centreStd²)). */
export function gaussianClusters(opts: {
  count: number;
  dim: number;
  clusters: number;
  centreStd: number;
  spread: number;
  seed: number;
}): { points: PointMatrix; labels: Int32Array } {
  const rng = new Rng(opts.seed);
  const centres: Float64Array[] = [];
  for (let c = 0; c < opts.clusters; c++) {
    const centre = new Float64Array(opts.dim);
    for (let d = 0; d < opts.dim; d++) centre[d] = rng.normal(0, opts.centreStd);
    centres.push(centre);
  }
  const data = new Float32Array(opts.count * opts.dim);
  const labels = new Int32Array(opts.count);
  for (let i = 0; i < opts.count; i++) {
    const c = i % opts.clusters;
    labels[i] = c;
    for (let d = 0; d < opts.dim; d++) data[i * opts.dim + d] = centres[c][d] + rng.normal(0, opts.spread);
  }
  return { points: { data, n: opts.count, dim: opts.dim }, labels };
}
