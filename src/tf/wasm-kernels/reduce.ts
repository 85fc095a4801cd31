// Sum and Mean over a contiguous block of axes that are not the innermost ones (BatchNorm's statistics and
// gradients reduce NHWC over [0, 1, 2]; global average pooling over [1, 2]). The package's kernels first
// transpose the whole tensor so the reduced axes come last (≈180 ms for a 32×128×128×32 activation); a
// matrix-vector product reads it once in place: x viewed as [outer, R, T], xᵀ · w with w = ones (or 1/R)
// [1, R, 1] → [outer, T, 1] (≈50 ms; with x as the left operand XNNPACK does not repack it as weights).
// Other cases keep the package's kernel.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { callKernel, disposeInfos, reshapeView } from "./compose";

type KernelFunc = (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }) => tf.TensorInfo | tf.TensorInfo[];

/** The reduced axes as [outer, reduce, trailing] when they form one contiguous block, else null. */
export function reducedBlock(shape: number[], axes: number[]): { outer: number; reduce: number; trailing: number } | null {
  const sorted = [...axes].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1] + 1) return null;
  const size = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  return { outer: size(0, first), reduce: size(first, last + 1), trailing: size(last + 1, shape.length) };
}

/** The reduction as [outer, R, T] when `axes` are one contiguous block that leaves T > 1 trailing elements. */
export function contiguousReduction(shape: number[], axis: number | number[]): { outer: number; reduce: number; trailing: number; axes: number[] } | null {
  const axes = [...tf.util.parseAxisParam(axis, shape)].sort((a, b) => a - b);
  const block = reducedBlock(shape, axes);
  if (!block || block.trailing === 1 || block.reduce === 1) return null;
  return { ...block, axes };
}

export function makeReduceWasm(kind: "Sum" | "Mean", fallback: KernelFunc | null) {
  return function reduceWasm(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo {
    const backend = args.backend as BackendWasm;
    const x = args.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const plan = x.dtype === "float32" && !x.shape.includes(0) ? contiguousReduction(x.shape, axis) : null;
    if (!plan) {
      if (!fallback) throw new Error(`${kind}: no wasm kernel for this reduction`);
      const out = fallback(args);
      return Array.isArray(out) ? out[0] : out;
    }
    const weights = backend.makeOutput([1, plan.reduce, 1], "float32");
    (backend.typedArrayFromHeap(weights) as Float32Array).fill(kind === "Mean" ? 1 / plan.reduce : 1);
    const product = callKernel(
      "BatchMatMul",
      backend,
      { a: reshapeView(x, [plan.outer, plan.reduce, plan.trailing]), b: weights },
      { transposeA: true, transposeB: false },
    );
    disposeInfos(backend, weights);
    const outShape = keepDims ? x.shape.map((d, i) => (plan.axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !plan.axes.includes(i));
    return reshapeView(product, outShape);
  };
}
