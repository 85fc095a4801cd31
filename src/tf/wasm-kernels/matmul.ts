// BatchMatMul on wasm with transposed operands. The package's kernel multiplies an untransposed pair fast
// (XNNPACK), but a transposed operand takes a slow path: for the seed's 50176×2048 dense layer at batch 8,
// the weight gradient x^T·dy took 1.1 s and the input gradient dy·W^T 0.57 s, against 0.08 s for the
// forward x·W. Both gradients are rewritten as untransposed products plus cheap transposes of the small
// operands (measured 0.12 s and 0.05 s):
//   A^T·B = (A^T)·B               with A^T made explicitly (A is [k, m]: the activations, small),
//                                 when B is wider than A is deep
//   A·B^T = (B·A^T)^T             when B is the big operand: transposes A and the result, never B
// Everything else goes to the package's kernel.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { disposeInfos, transposeInfo } from "./compose";

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap };
type KernelFunc = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** The permutation swapping the last two axes of a rank-r tensor. */
function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

export function makeBatchMatMulWasm(original: KernelFunc | null) {
  if (!original) throw new Error("BatchMatMul: the wasm package's kernel is missing");
  const call = (args: KernelArgs): tf.TensorInfo => {
    const out = original(args);
    return Array.isArray(out) ? out[0] : out;
  };
  return function batchMatMulWasm(args: KernelArgs): tf.TensorInfo {
    const backend = args.backend as BackendWasm;
    const a = args.inputs.a as tf.TensorInfo;
    const b = args.inputs.b as tf.TensorInfo;
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== "float32" || b.dtype !== "float32" || transposeA === transposeB) return call(args);
    const plain = { transposeA: false, transposeB: false };
    if (transposeA) {
      // Only when the product is wider than A is deep (N ≥ K): a matrix–vector product xᵀ·w (our Sum and
      // Mean, N = 1) reads x once in place on the package's path, where transposing x would double the traffic.
      const k = a.shape[a.shape.length - 2];
      const n = b.shape[b.shape.length - 1];
      if (n < k) return call(args);
      const at = transposeInfo(backend, a, swapLastTwo(a.shape.length));
      try {
        return call({ ...args, inputs: { a: at, b }, attrs: plain });
      } finally {
        disposeInfos(backend, at);
      }
    }
    // transposeB: rewrite only when B dominates, so the two transposes cost less than the slow path.
    const outSize = tf.util.sizeFromShape(a.shape.slice(0, -1)) * b.shape[b.shape.length - 2];
    if (tf.util.sizeFromShape(b.shape) < tf.util.sizeFromShape(a.shape) + outSize) return call(args);
    const at = transposeInfo(backend, a, swapLastTwo(a.shape.length));
    let ct: tf.TensorInfo | null = null;
    try {
      ct = call({ ...args, inputs: { a: b, b: at }, attrs: plain });
      return transposeInfo(backend, ct, swapLastTwo(ct.shape.length));
    } finally {
      disposeInfos(backend, at, ...(ct ? [ct] : []));
    }
  };
}
