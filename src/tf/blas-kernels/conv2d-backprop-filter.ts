// Conv2DBackpropFilter on the system BLAS: dW [K, O] = Σ over im2col chunks of colᵀ · dY (one GEMM per chunk,
// accumulating with beta = 1), so the whole im2col matrix never exists at once.
import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { activeBlas, callFunc, chunkBuffer, geometryOf, heapF32, im2col, isPointwise, type KernelArgs, type KernelFunc } from "./gemm";
import { blasConvCase, convInfo, type ConvAttrs } from "./conv";

export function makeConv2DBackpropFilterBlas(fallback: KernelFunc) {
  return function conv2DBackpropFilterBlas(args: KernelArgs): tf.TensorInfo {
    const blas = activeBlas();
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
    if (!blas || !blasConvCase(attrs, x, dy) || attrs.filterShape.includes(0)) return callFunc(fallback, args);
    const backend = args.backend as BackendWasm;
    const g = geometryOf(convInfo(x.shape, attrs.filterShape, attrs));
    const O = attrs.filterShape[3];
    const K = g.kH * g.kW * g.C;
    const rows = g.N * g.oH * g.oW;
    const out = backend.makeOutput(attrs.filterShape, "float32");
    const dw = heapF32(backend, out);
    const xv = heapF32(backend, x);
    const dyv = heapF32(backend, dy);
    if (isPointwise(g)) {
      blas.sgemm(true, false, K, O, rows, 1, xv, K, dyv, O, 0, dw, O);
      return out;
    }
    const { rowsPerChunk, buf } = chunkBuffer(rows, K);
    for (let r0 = 0; r0 < rows; r0 += rowsPerChunk) {
      const r1 = Math.min(rows, r0 + rowsPerChunk);
      im2col(xv, g, r0, r1, buf);
      blas.sgemm(true, false, K, O, r1 - r0, 1, buf, K, dyv.subarray(r0 * O, r1 * O), O, r0 === 0 ? 0 : 1, dw, O);
    }
    return out;
  };
}
