// `npm run bench -- umap`: UMAP of 8,000 points of 128 dimensions drawn as 8 Gaussian clusters
// (centres N(0, 4²), spread 1.5), n_neighbors 15, min_dist 0.1; trustworthiness (k = 10) on a
// 2,000-point sample. Reference on this machine: umap-learn ≈21 s at trustworthiness ≈0.94.
import { exactKnnTf, sampleIndices, selectRows, trustworthiness, umapLayout, toPointMatrix } from "../src/analysis/embeddings";
import { initBackend } from "../src/tf/backend";
import { gaussianClusters } from "./helpers/gaussian-clusters";
import { median, peakRssMb } from "./stats";
import { parseArgs } from "node:util";

export async function run(argv: string[]): Promise<unknown> {
  const { values } = parseArgs({
    args: argv,
    options: {
      points: { type: "string", default: "8000" },
      runs: { type: "string", default: "3" },
      sample: { type: "string", default: "2000" },
    },
  });
  const count = Number(values.points);
  const runs = Number(values.runs);
  const { points } = gaussianClusters({ count, dim: 128, clusters: 8, centreStd: 4, spread: 1.5, seed: 7 });
  const backend = await initBackend();
  const seconds: number[] = [];
  const knnSeconds: number[] = [];
  const trust: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const knn = exactKnnTf(points, 14);
    knnSeconds.push((performance.now() - t0) / 1000);
    const layout = umapLayout(points, { nNeighbors: 15, minDist: 0.1, seed: 1 + r, knn });
    seconds.push((performance.now() - t0) / 1000);
    const idx = sampleIndices(count, Number(values.sample), 99);
    trust.push(trustworthiness(selectRows(points, idx), selectRows(toPointMatrix(layout), idx), 10));
    process.stderr.write(`umap run ${r + 1}/${runs}: ${seconds[r].toFixed(2)} s, trustworthiness ${trust[r].toFixed(4)}\n`);
  }
  return {
    points: count,
    dim: 128,
    n_neighbors: 15,
    min_dist: 0.1,
    runs,
    umap_s: Math.round(median(seconds) * 100) / 100,
    knn_s: Math.round(median(knnSeconds) * 100) / 100,
    backend: backend.backend,
    threads: backend.threads,
    trustworthiness: Math.round(median(trust) * 10000) / 10000,
    trustworthiness_k: 10,
    trustworthiness_sample: Number(values.sample),
    peak_rss_mb: peakRssMb(),
    reference: { "umap-learn_s": 21, "umap-learn_trustworthiness": 0.94, note: "umap-learn 0.5 on this machine, same data recipe" },
  };
}
