// `npm run bench -- umap`: UMAP of 8,000 points of 128 dimensions drawn as 8 Gaussian clusters
// (centres N(0, 4²), spread 1.5), n_neighbors 15, min_dist 0.1; trustworthiness (k = 10) on a
// 2,000-point sample. The umap-learn reference: when python3 has umap-learn, it is timed in the same run
// on the same points (bench/umap-learn/umap_reference.py, trustworthiness computed here on the same sample);
// otherwise the stored value is printed, labelled as stored with the date and machine it came from.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
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
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    reference: umapLearnReference(points, count, Number(values.sample)),
  };
}

/** The value printed when umap-learn is not installed: where and when it was measured. */
export const STORED_UMAP_LEARN_REFERENCE = {
  "umap-learn_s": 21,
  "umap-learn_trustworthiness": 0.94,
  source: "stored value, NOT measured in this run (python3 has no umap-learn; `pip install umap-learn` to time it here)",
  measured: "2026-11-25, umap-learn 0.5, 8,000 points (the default --points), on the project's 2-core development machine (CPU model not recorded), same data recipe",
} as const;

/** umap-learn timed now on the same points when python3 can import it, else the stored value (labelled). */
function umapLearnReference(points: import("../src/analysis/embeddings").PointMatrix, count: number, sample: number): Record<string, unknown> {
  const python = process.env.FMALAB_PYTHON ?? "python3";
  const probe = spawnSync(python, ["-c", "import umap"], { encoding: "utf8" });
  if (probe.status !== 0) return { ...STORED_UMAP_LEARN_REFERENCE };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-umap-"));
  try {
    const input = path.join(dir, "points.f32");
    const output = path.join(dir, "layout.f32");
    fs.writeFileSync(input, new Uint8Array(points.data.buffer, points.data.byteOffset, points.data.byteLength));
    process.stderr.write(`umap-learn on the same ${count} points (same run) …\n`);
    const script = path.join(__dirname, "umap-learn", "umap_reference.py");
    const r = spawnSync(python, [script, input, String(count), String(points.dim), output], { encoding: "utf8" });
    if (r.status !== 0) return { ...STORED_UMAP_LEARN_REFERENCE, error: `umap-learn failed: ${(r.stderr || "").trim().split("\n").slice(-1)[0]}` };
    const info = JSON.parse(r.stdout.trim().split("\n").slice(-1)[0]) as { seconds: number; umap_learn: string; numpy: string };
    const bytes = fs.readFileSync(output);
    const layout = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const idx = sampleIndices(count, sample, 99);
    const low = { data: layout, n: count, dim: 2 };
    return {
      "umap-learn_s": Math.round(info.seconds * 100) / 100,
      "umap-learn_trustworthiness": Math.round(trustworthiness(selectRows(points, idx), selectRows(low, idx), 10) * 10000) / 10000,
      source: `measured in this run on this machine (umap-learn ${info.umap_learn}, numpy ${info.numpy}, ${python})`,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
