// Embeddings → 2-D maps: UMAP (umap-js, seeded, with an exact k-NN graph we compute ourselves),
// the trustworthiness of a layout (sklearn.manifold.trustworthiness), and nearest-neighbour queries
// used to list the misclassified tracks that sit among another genre's tracks.
import { UMAP } from "umap-js";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../util/random";

/** Row-major points: `n` rows of `dim` values. */
export interface PointMatrix {
  data: Float32Array;
  n: number;
  dim: number;
}

export function toPointMatrix(rows: ArrayLike<number>[]): PointMatrix {
  const n = rows.length;
  const dim = n > 0 ? rows[0].length : 0;
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    if (rows[i].length !== dim) throw new Error(`row ${i} has ${rows[i].length} values, expected ${dim}`);
    data.set(rows[i] as ArrayLike<number>, i * dim);
  }
  return { data, n, dim };
}

/** Squared Euclidean norms of every row. */
function rowNorms(m: PointMatrix): Float64Array {
  const out = new Float64Array(m.n);
  for (let i = 0; i < m.n; i++) {
    let s = 0;
    const o = i * m.dim;
    for (let d = 0; d < m.dim; d++) s += m.data[o + d] * m.data[o + d];
    out[i] = s;
  }
  return out;
}

/**
 * Squared distances from rows [i0, i1) to every row, via |a|² + |b|² − 2a·b (blocked so that the
 * inner product loop stays in cache). Returns (i1 − i0) × n.
 */
function squaredDistanceBlock(m: PointMatrix, norms: Float64Array, i0: number, i1: number): Float64Array {
  const { data, n, dim } = m;
  const out = new Float64Array((i1 - i0) * n);
  for (let i = i0; i < i1; i++) {
    const oi = i * dim;
    const row = (i - i0) * n;
    for (let j = 0; j < n; j++) {
      const oj = j * dim;
      let dot = 0;
      let d = 0;
      for (; d + 3 < dim; d += 4) {
        dot += data[oi + d] * data[oj + d] + data[oi + d + 1] * data[oj + d + 1] +
          data[oi + d + 2] * data[oj + d + 2] + data[oi + d + 3] * data[oj + d + 3];
      }
      for (; d < dim; d++) dot += data[oi + d] * data[oj + d];
      const s = norms[i] + norms[j] - 2 * dot;
      out[row + j] = s > 0 ? s : 0;
    }
  }
  return out;
}

export interface KnnGraph {
  /** n × k neighbour indices, nearest first, the point itself excluded. */
  indices: Int32Array;
  /** n × k Euclidean distances matching `indices`. */
  distances: Float32Array;
  n: number;
  k: number;
}

/** Keep the k smallest entries of each row of a block of squared distances (rows i0…, self excluded). */
function selectNearest(dist: ArrayLike<number>, i0: number, rows: number, n: number, k: number, out: KnnGraph): void {
  const heapIdx = new Int32Array(k);
  const heapDist = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    const i = i0 + r;
    const row = r * n;
    // Insertion into a sorted list of size k: k is small (≤ 30), so this beats a heap.
    let size = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const d = dist[row + j];
      if (size === k && d >= heapDist[k - 1]) continue;
      let p = size < k ? size++ : k - 1;
      while (p > 0 && heapDist[p - 1] > d) {
        heapDist[p] = heapDist[p - 1];
        heapIdx[p] = heapIdx[p - 1];
        p--;
      }
      heapDist[p] = d;
      heapIdx[p] = j;
    }
    for (let q = 0; q < k; q++) {
      out.indices[i * k + q] = heapIdx[q];
      out.distances[i * k + q] = Math.sqrt(Math.max(0, heapDist[q]));
    }
  }
}

function emptyKnn(n: number, k: number): KnnGraph {
  if (k >= n) throw new Error(`k = ${k} must be smaller than the number of points (${n})`);
  return { indices: new Int32Array(n * k), distances: new Float32Array(n * k), n, k };
}

/** Exact k nearest neighbours (Euclidean), excluding each point itself. O(n²·dim), plain JS. */
export function exactKnn(m: PointMatrix, k: number): KnnGraph {
  const out = emptyKnn(m.n, k);
  const norms = rowNorms(m);
  const block = 64;
  for (let i0 = 0; i0 < m.n; i0 += block) {
    const i1 = Math.min(m.n, i0 + block);
    selectNearest(squaredDistanceBlock(m, norms, i0, i1), i0, i1 - i0, m.n, k, out);
  }
  return out;
}

/**
 * The same exact k-NN with the distance products on tfjs's current backend (wasm: XNNPACK's SIMD
 * matmul, ~10× faster than the JS loop on 8,000×128 points). Call initBackend() first.
 */
export function exactKnnTf(m: PointMatrix, k: number, blockRows = 512): KnnGraph {
  const out = emptyKnn(m.n, k);
  const all = tf.tensor2d(m.data, [m.n, m.dim]);
  const norms = tf.tidy(() => tf.sum(tf.square(all), 1));
  try {
    for (let i0 = 0; i0 < m.n; i0 += blockRows) {
      const rows = Math.min(blockRows, m.n - i0);
      const d2 = tf.tidy(() => {
        const block = tf.slice(all, [i0, 0], [rows, m.dim]);
        const blockNorms = tf.slice(norms, [i0], [rows]);
        const dots = tf.matMul(block, all, false, true);
        return tf.sub(tf.add(tf.reshape(blockNorms, [rows, 1]), tf.reshape(norms, [1, m.n])), tf.mul(dots, 2));
      });
      const values = d2.dataSync();
      d2.dispose();
      selectNearest(values, i0, rows, m.n, k, out);
    }
  } finally {
    all.dispose();
    norms.dispose();
  }
  return out;
}

export interface UmapOptions {
  nNeighbors?: number;
  minDist?: number;
  nComponents?: number;
  nEpochs?: number;
  seed?: number;
  /** Called with the epoch number while optimising (for progress bars). */
  onEpoch?: (epoch: number, total: number) => void;
  /** k-NN graph of the points with k = nNeighbors − 1 (e.g. from exactKnnTf); computed in JS if absent. */
  knn?: KnnGraph;
}

/**
 * UMAP layout of the rows of `m` (umap-js, seeded). The k-NN graph is exact (ours, or `opts.knn`) and
 * handed to umap-js (`setPrecomputedKNN`): exact and, on 8,000×128 points, faster than its NN-descent.
 */
export function umapLayout(m: PointMatrix, opts: UmapOptions = {}): Float32Array[] {
  const nNeighbors = opts.nNeighbors ?? 15;
  const rng = new Rng(opts.seed ?? 42);
  const umap = new UMAP({
    nNeighbors,
    minDist: opts.minDist ?? 0.1,
    nComponents: opts.nComponents ?? 2,
    nEpochs: opts.nEpochs,
    random: () => rng.next(),
  });
  // umap-js's k-NN lists include the point itself first, as umap-learn's do.
  const knn = opts.knn ?? exactKnn(m, nNeighbors - 1);
  if (knn.n !== m.n || knn.k !== nNeighbors - 1) {
    throw new Error(`umapLayout: k-NN graph has n=${knn.n}, k=${knn.k}; expected n=${m.n}, k=${nNeighbors - 1}`);
  }
  const knnIndices: number[][] = [];
  const knnDistances: number[][] = [];
  for (let i = 0; i < m.n; i++) {
    const idx = [i];
    const dst = [0];
    for (let q = 0; q < knn.k; q++) {
      idx.push(knn.indices[i * knn.k + q]);
      dst.push(knn.distances[i * knn.k + q]);
    }
    knnIndices.push(idx);
    knnDistances.push(dst);
  }
  umap.setPrecomputedKNN(knnIndices, knnDistances);
  const rows: number[][] = [];
  for (let i = 0; i < m.n; i++) rows.push(Array.from(m.data.subarray(i * m.dim, (i + 1) * m.dim)));
  const nEpochs = umap.initializeFit(rows);
  for (let e = 0; e < nEpochs; e++) {
    umap.step();
    if (opts.onEpoch) opts.onEpoch(e + 1, nEpochs);
  }
  return umap.getEmbedding().map((p) => Float32Array.from(p));
}

/** Ranks (1 = nearest) of every other point from point i, by squared distance; ties by index. */
function neighbourOrder(dist: Float64Array, row: number, n: number, i: number): Int32Array {
  const order: number[] = [];
  for (let j = 0; j < n; j++) if (j !== i) order.push(j);
  order.sort((a, b) => dist[row + a] - dist[row + b] || a - b);
  return Int32Array.from(order);
}

/**
 * Trustworthiness of a low-dimensional layout (Venna & Kaski 2001; sklearn's definition):
 * 1 − 2/(n·k·(2n − 3k − 1)) · Σᵢ Σ_{j ∈ U_k(i)} (r(i, j) − k), where U_k(i) are the layout's k nearest
 * neighbours of i that are not among its k nearest in the original space, and r(i, j) is j's rank
 * among i's neighbours in the original space. 1 means every layout neighbour is a true neighbour.
 */
export function trustworthiness(high: PointMatrix, low: PointMatrix, k = 10): number {
  const n = high.n;
  if (low.n !== n) throw new Error(`trustworthiness: ${n} original points but ${low.n} layout points`);
  if (k >= n / 2) throw new Error(`trustworthiness: k = ${k} must be < n/2 = ${n / 2}`);
  const highNorms = rowNorms(high);
  const lowKnn = exactKnn(low, k);
  const rank = new Int32Array(n);
  let penalty = 0;
  const block = 64;
  for (let i0 = 0; i0 < n; i0 += block) {
    const i1 = Math.min(n, i0 + block);
    const dist = squaredDistanceBlock(high, highNorms, i0, i1);
    for (let i = i0; i < i1; i++) {
      const order = neighbourOrder(dist, (i - i0) * n, n, i);
      for (let r = 0; r < order.length; r++) rank[order[r]] = r + 1;
      for (let q = 0; q < k; q++) {
        const r = rank[lowKnn.indices[i * k + q]];
        if (r > k) penalty += r - k;
      }
    }
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * penalty;
}

/** Pick `size` distinct row indices (seeded), sorted. */
export function sampleIndices(n: number, size: number, seed: number): Int32Array {
  const idx = Array.from({ length: n }, (_, i) => i);
  new Rng(seed).shuffle(idx);
  return Int32Array.from(idx.slice(0, Math.min(size, n)).sort((a, b) => a - b));
}

/** The rows of `m` at `indices`. */
export function selectRows(m: PointMatrix, indices: ArrayLike<number>): PointMatrix {
  const data = new Float32Array(indices.length * m.dim);
  for (let q = 0; q < indices.length; q++) {
    data.set(m.data.subarray(indices[q] * m.dim, (indices[q] + 1) * m.dim), q * m.dim);
  }
  return { data, n: indices.length, dim: m.dim };
}

export interface LabelledPoint {
  trackId: number;
  trueLabel: string;
  predictedLabel: string;
}

export interface MisclassifiedNeighbours {
  trackId: number;
  trueLabel: string;
  predictedLabel: string;
  /** The k nearest tracks in embedding space, nearest first. */
  neighbours: { trackId: number; trueLabel: string; distance: number }[];
  /** Share of those neighbours whose true genre is the predicted genre of this track. */
  shareOfPredictedGenre: number;
}

/**
 * For every misclassified track: its k nearest tracks in the embedding, and how many of them carry
 * the genre the model predicted — high shares mean the track sits inside the other genre's region.
 */
export function nearestMisclassifiedNeighbours(
  embedding: PointMatrix,
  points: LabelledPoint[],
  k = 5,
): MisclassifiedNeighbours[] {
  if (points.length !== embedding.n) {
    throw new Error(`nearestMisclassifiedNeighbours: ${points.length} labels for ${embedding.n} embedding rows`);
  }
  const knn = exactKnn(embedding, Math.min(k, embedding.n - 1));
  const out: MisclassifiedNeighbours[] = [];
  points.forEach((p, i) => {
    if (p.trueLabel === p.predictedLabel) return;
    const neighbours = [];
    let same = 0;
    for (let q = 0; q < knn.k; q++) {
      const j = knn.indices[i * knn.k + q];
      neighbours.push({ trackId: points[j].trackId, trueLabel: points[j].trueLabel, distance: knn.distances[i * knn.k + q] });
      if (points[j].trueLabel === p.predictedLabel) same++;
    }
    out.push({ ...p, neighbours, shareOfPredictedGenre: same / knn.k });
  });
  return out;
}
