// Shared pieces of the BLAS kernels: the active BLAS (or null: the kernels then delegate to the wasm kernels
// they replaced), heap views, and convolution as GEMM over im2col rows built in bounded chunks outside the
// wasm heap (a reused scratch buffer, so a big layer never needs its whole im2col matrix at once).
//
// Convolution (NHWC, filter [kH, kW, C, O] = a K×O matrix with K = kH·kW·C):
//   y[r, o] = Σ_k col[r, k] · w[k, o], r = (n, i, j) an output pixel, col[r, (a, b, c)] = x[n, i·sH − pt + a·dH, j·sW − pl + b·dW, c]
// (zero outside the image). The row-major layouts of y and of the filter are exactly these matrices.
import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { Blas } from "../../native/blas";
import { activeNativeKernels, geometryArray } from "../native-engine";

export { activeBlas, setActiveBlas } from "../native-engine";

export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap };
export type KernelFunc = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** Call a kernel function and return its single output. */
export function callFunc(fn: KernelFunc, args: KernelArgs): tf.TensorInfo {
  const out = fn(args);
  return Array.isArray(out) ? out[0] : out;
}

/** A float32 view of a tensor in the wasm heap; make views after every allocation (the heap may grow and move). */
export function heapF32(backend: BackendWasm, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Geometry of one convolution; the output is N×oH×oW pixels. */
export interface ConvGeometry {
  N: number;
  H: number;
  W: number;
  C: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  dH: number;
  dW: number;
  pt: number;
  pl: number;
  oH: number;
  oW: number;
}

export function geometryOf(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    N: info.batchSize,
    H: info.inHeight,
    W: info.inWidth,
    C: info.inChannels,
    kH: info.filterHeight,
    kW: info.filterWidth,
    sH: info.strideHeight,
    sW: info.strideWidth,
    dH: info.dilationHeight,
    dW: info.dilationWidth,
    pt: info.padInfo.top,
    pl: info.padInfo.left,
    oH: info.outHeight,
    oW: info.outWidth,
  };
}

/** A 1×1, stride-1, unpadded convolution: x itself is the im2col matrix. */
export function isPointwise(g: ConvGeometry): boolean {
  return g.kH === 1 && g.kW === 1 && g.sH === 1 && g.sW === 1 && g.pt === 0 && g.pl === 0 && g.oH === g.H && g.oW === g.W;
}

// im2col chunks hold at most this many floats (16 MB), and at least one row.
const CHUNK_FLOATS = 1 << 22;
let scratch = new Float32Array(0);

/** Rows per im2col chunk for a K-wide matrix, and the reused scratch buffer of that size. */
export function chunkBuffer(rows: number, K: number): { rowsPerChunk: number; buf: Float32Array } {
  const rowsPerChunk = Math.max(1, Math.min(rows, Math.floor(CHUNK_FLOATS / K)));
  const need = rowsPerChunk * K;
  if (scratch.length < need) scratch = new Float32Array(need);
  return { rowsPerChunk, buf: scratch.subarray(0, need) };
}

/** Release the scratch buffer (tests, and after a run). */
export function releaseScratch(): void {
  scratch = new Float32Array(0);
}

/** Copy len floats (runs of a few hundred by hand: a subarray per pixel costs more than the copy). */
function copyRun(dst: Float32Array, d: number, src: Float32Array, s: number, len: number): void {
  if (len > 8) dst.set(src.subarray(s, s + len), d);
  else for (let t = 0; t < len; t++) dst[d + t] = src[s + t];
}

/** col[(r − r0)·K + …] for output pixels r0 ≤ r < r1 (K = kH·kW·C): native when active, else JavaScript. */
export function im2col(x: Float32Array, g: ConvGeometry, r0: number, r1: number, col: Float32Array): void {
  const native = activeNativeKernels();
  if (native) native.im2col(x, geometryArray(g), r0, r1, col);
  else im2colJs(x, g, r0, r1, col);
}

/** The JavaScript twin of the native im2col. */
export function im2colJs(x: Float32Array, g: ConvGeometry, r0: number, r1: number, col: Float32Array): void {
  const { H, W, C, kH, kW, sH, sW, dH, dW, pt, pl, oH, oW } = g;
  const K = kH * kW * C;
  const rowLen = kW * C;
  for (let r = r0; r < r1; r++) {
    const j = r % oW;
    const i = ((r - j) / oW) % oH;
    const n = (r - j - i * oW) / (oW * oH);
    const w0 = j * sW - pl;
    const inside = w0 >= 0 && w0 + (kW - 1) * dW < W;
    let d = (r - r0) * K;
    for (let a = 0; a < kH; a++, d += rowLen) {
      const h = i * sH - pt + a * dH;
      if (h < 0 || h >= H) {
        col.fill(0, d, d + rowLen);
        continue;
      }
      const base = (n * H + h) * W;
      if (inside && dW === 1) {
        copyRun(col, d, x, (base + w0) * C, rowLen);
        continue;
      }
      for (let b = 0; b < kW; b++) {
        const w = w0 + b * dW;
        if (w < 0 || w >= W) col.fill(0, d + b * C, d + (b + 1) * C);
        else copyRun(col, d + b * C, x, (base + w) * C, C);
      }
    }
  }
}

/** The transpose of im2col: dx += col rows r0 ≤ r < r1 put back onto their pixels (native when active). */
export function col2imAdd(col: Float32Array, g: ConvGeometry, r0: number, r1: number, dx: Float32Array): void {
  const native = activeNativeKernels();
  if (native) native.col2imAdd(col, geometryArray(g), r0, r1, dx);
  else col2imAddJs(col, g, r0, r1, dx);
}

/** The JavaScript twin of the native col2imAdd (scattered row by row). */
export function col2imAddJs(col: Float32Array, g: ConvGeometry, r0: number, r1: number, dx: Float32Array): void {
  const { H, W, C, kH, kW, sH, sW, dH, dW, pt, pl, oH, oW } = g;
  const K = kH * kW * C;
  for (let r = r0; r < r1; r++) {
    const j = r % oW;
    const i = ((r - j) / oW) % oH;
    const n = (r - j - i * oW) / (oW * oH);
    const s0 = (r - r0) * K;
    for (let a = 0; a < kH; a++) {
      const h = i * sH - pt + a * dH;
      if (h < 0 || h >= H) continue;
      for (let b = 0; b < kW; b++) {
        const w = j * sW - pl + b * dW;
        if (w < 0 || w >= W) continue;
        const d = ((n * H + h) * W + w) * C;
        const s = s0 + (a * kW + b) * C;
        for (let c = 0; c < C; c++) dx[d + c] += col[s + c];
      }
    }
  }
}

/** y = conv(x, w) + beta·y, y [N·oH·oW, O], w [K, O] (views made after the last heap allocation). */
export function convForward(blas: Blas, g: ConvGeometry, O: number, x: Float32Array, w: Float32Array, y: Float32Array, beta: number): void {
  const rows = g.N * g.oH * g.oW;
  const K = g.kH * g.kW * g.C;
  if (isPointwise(g)) {
    blas.sgemm(false, false, rows, O, K, 1, x, K, w, O, beta, y, O);
    return;
  }
  const { rowsPerChunk, buf } = chunkBuffer(rows, K);
  for (let r0 = 0; r0 < rows; r0 += rowsPerChunk) {
    const r1 = Math.min(rows, r0 + rowsPerChunk);
    im2col(x, g, r0, r1, buf);
    blas.sgemm(false, false, r1 - r0, O, K, 1, buf, K, w, O, beta, y.subarray(r0 * O, r1 * O), O);
  }
}

/** Fill a [rows, O] matrix with a bias row (doubling copies: a handful of memmoves). */
export function fillRows(y: Float32Array, bias: Float32Array, rows: number): void {
  const O = bias.length;
  y.set(bias, 0);
  let filled = 1;
  while (filled < rows) {
    const n = Math.min(filled, rows - filled);
    y.copyWithin(filled * O, 0, n * O);
    filled += n;
  }
}
