// Conv2DBackpropInput on the system BLAS.
//   1×1, stride 1, unpadded: dX = dY · Wᵀ, one GEMM.
//   stride 1 and C ≥ O/2: dX = conv(dY, W') with W'[a, b, o, c] = W[kH−1−a, kW−1−b, c, o] and padding
//     kH−1−pt (top), kW−1−pl (left): a forward convolution, im2col rows (kH·kW·O wide) in chunks, no scatter.
//   otherwise (strides > 1, or few input channels, e.g. the first layer's C = 1): dcol = dY · Wᵀ per chunk of
//     output pixels (kH·kW·C wide), scattered back onto dX (col2im). The scatter-add costs about twice a copy
//     per value, so it wins when 2·C < O.
import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { Blas } from "../../native/blas";
import { activeBlas, callFunc, chunkBuffer, col2imAdd, convForward, geometryOf, heapF32, isPointwise, type ConvGeometry, type KernelArgs, type KernelFunc } from "./gemm";
import { blasConvCase, convInfo, type ConvAttrs } from "./conv";

/** W' = the filter flipped in space with its channel axes swapped, [kH, kW, O, C] (small: a JS array). */
function flippedTransposed(w: Float32Array, kH: number, kW: number, C: number, O: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let a = 0; a < kH; a++)
    for (let b = 0; b < kW; b++) {
      const src = ((kH - 1 - a) * kW + (kW - 1 - b)) * C * O;
      const dst = (a * kW + b) * O * C;
      for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) out[dst + o * C + c] = w[src + c * O + o];
    }
  return out;
}

function stridedBackpropInput(blas: Blas, g: ConvGeometry, O: number, dy: Float32Array, w: Float32Array, dx: Float32Array): void {
  const K = g.kH * g.kW * g.C;
  const rows = g.N * g.oH * g.oW;
  dx.fill(0);
  const { rowsPerChunk, buf } = chunkBuffer(rows, K);
  for (let r0 = 0; r0 < rows; r0 += rowsPerChunk) {
    const r1 = Math.min(rows, r0 + rowsPerChunk);
    blas.sgemm(false, true, r1 - r0, K, O, 1, dy.subarray(r0 * O, r1 * O), O, w, O, 0, buf, K);
    col2imAdd(buf, g, r0, r1, dx);
  }
}

export function makeConv2DBackpropInputBlas(fallback: KernelFunc) {
  return function conv2DBackpropInputBlas(args: KernelArgs): tf.TensorInfo {
    const blas = activeBlas();
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
    if (!blas || !blasConvCase(attrs, dy, filter) || attrs.inputShape.includes(0)) return callFunc(fallback, args);
    const backend = args.backend as BackendWasm;
    const g = geometryOf(convInfo(attrs.inputShape, filter.shape, attrs));
    const O = filter.shape[3];
    const out = backend.makeOutput(attrs.inputShape, "float32");
    const dx = heapF32(backend, out);
    const dyv = heapF32(backend, dy);
    const wv = heapF32(backend, filter);
    if (isPointwise(g)) {
      blas.sgemm(false, true, g.N * g.H * g.W, g.C, O, 1, dyv, O, wv, O, 0, dx, g.C);
    } else if (g.sH === 1 && g.sW === 1 && g.dH === 1 && g.dW === 1 && 2 * g.C >= O) {
      const back: ConvGeometry = { ...g, H: g.oH, W: g.oW, C: O, pt: g.kH - 1 - g.pt, pl: g.kW - 1 - g.pl, oH: g.H, oW: g.W };
      convForward(blas, back, g.C, dyv, flippedTransposed(wv, g.kH, g.kW, g.C, O), dx, 0);
    } else {
      stridedBackpropInput(blas, g, O, dyv, wv, dx);
    }
    return out;
  };
}
