// UMAP layout quality and the neighbour machinery behind it.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  exactKnn,
  exactKnnTf,
  nearestMisclassifiedNeighbours,
  toPointMatrix,
  trustworthiness,
  umapLayout,
} from "../../src/analysis/embeddings";
import { gaussianClusters } from "../../bench/helpers/gaussian-clusters";

test("exact k-NN matches brute force on random points", () => {
  const { points } = gaussianClusters({ count: 120, dim: 7, clusters: 3, centreStd: 2, spread: 1, seed: 5 });
  const knn = exactKnn(points, 4);
  for (const i of [0, 17, 119]) {
    const d = [];
    for (let j = 0; j < points.n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let k = 0; k < points.dim; k++) s += (points.data[i * points.dim + k] - points.data[j * points.dim + k]) ** 2;
      d.push([Math.sqrt(s), j]);
    }
    d.sort((a, b) => a[0] - b[0]);
    assert.deepEqual(Array.from(knn.indices.subarray(i * 4, i * 4 + 4)), d.slice(0, 4).map((x) => x[1]));
    assert.ok(Math.abs(knn.distances[i * 4] - d[0][0]) < 1e-4);
  }
});

test("trustworthiness: 1 for an identical layout, low for a shuffled one", () => {
  const { points } = gaussianClusters({ count: 200, dim: 5, clusters: 4, centreStd: 4, spread: 1, seed: 2 });
  assert.ok(Math.abs(trustworthiness(points, points, 5) - 1) < 1e-12);
  // A layout that keeps only the first two coordinates loses some neighbours but not all.
  const rows = [];
  for (let i = 0; i < points.n; i++) rows.push([points.data[i * 5], points.data[i * 5 + 1]]);
  const proj = trustworthiness(points, toPointMatrix(rows), 5);
  const random = toPointMatrix(rows.map((_, i) => [Math.sin(i * 12.9898) * 43758.5453 % 1, Math.cos(i * 78.233) * 12345.678 % 1]));
  const shuffled = trustworthiness(points, random, 5);
  assert.ok(proj < 1 && proj > shuffled, `projection ${proj} vs random ${shuffled}`);
  assert.ok(shuffled < 0.7, `random layout trustworthiness ${shuffled}`);
});

test("UMAP of 8 Gaussian clusters is trustworthy (k = 10) and seeded", () => {
  const { points, labels } = gaussianClusters({ count: 800, dim: 32, clusters: 8, centreStd: 4, spread: 1.5, seed: 11 });
  const a = umapLayout(points, { nNeighbors: 15, minDist: 0.1, seed: 3, nEpochs: 200 });
  const b = umapLayout(points, { nNeighbors: 15, minDist: 0.1, seed: 3, nEpochs: 200 });
  assert.deepEqual(a[5], b[5]);
  const t = trustworthiness(points, toPointMatrix(a), 10);
  assert.ok(t > 0.9, `trustworthiness ${t} ≤ 0.9`);
  // Clusters stay together: each point's nearest layout neighbour mostly shares its cluster.
  const knn = exactKnn(toPointMatrix(a), 1);
  let same = 0;
  for (let i = 0; i < points.n; i++) if (labels[knn.indices[i]] === labels[i]) same++;
  assert.ok(same / points.n > 0.95, `nearest-neighbour purity ${same / points.n}`);
});

test("nearest misclassified neighbours report the share of the predicted genre", () => {
  const emb = toPointMatrix([[0, 0], [0.1, 0], [0, 0.1], [5, 5], [5.1, 5], [0.05, 0.05]]);
  const pts = [
    { trackId: 1, trueLabel: "Rock", predictedLabel: "Rock" },
    { trackId: 2, trueLabel: "Rock", predictedLabel: "Rock" },
    { trackId: 3, trueLabel: "Rock", predictedLabel: "Rock" },
    { trackId: 4, trueLabel: "Pop", predictedLabel: "Pop" },
    { trackId: 5, trueLabel: "Pop", predictedLabel: "Pop" },
    { trackId: 6, trueLabel: "Pop", predictedLabel: "Rock" },
  ];
  const res = nearestMisclassifiedNeighbours(emb, pts, 3);
  assert.equal(res.length, 1);
  assert.equal(res[0].trackId, 6);
  assert.deepEqual(res[0].neighbours.map((n) => n.trackId).sort(), [1, 2, 3]);
  assert.equal(res[0].shareOfPredictedGenre, 1);
  assert.throws(() => nearestMisclassifiedNeighbours(emb, pts.slice(1), 3), /5 labels for 6/);
});

test("k-NN on tfjs gives the same neighbours as the JS loop", async () => {
  const { initBackend } = await import("../../src/tf/backend");
  await initBackend();
  const { points } = gaussianClusters({ count: 700, dim: 24, clusters: 4, centreStd: 3, spread: 1, seed: 9 });
  const js = exactKnn(points, 6);
  const viaTf = exactKnnTf(points, 6, 128);
  let same = 0;
  for (let i = 0; i < js.indices.length; i++) if (js.indices[i] === viaTf.indices[i]) same++;
  // float32 products can swap near-ties; everything else must agree.
  assert.ok(same / js.indices.length > 0.995, `agreement ${same / js.indices.length}`);
  let maxDiff = 0;
  for (let i = 0; i < js.distances.length; i++) maxDiff = Math.max(maxDiff, Math.abs(js.distances[i] - viaTf.distances[i]));
  assert.ok(maxDiff < 1e-2, `max distance difference ${maxDiff}`);
});
