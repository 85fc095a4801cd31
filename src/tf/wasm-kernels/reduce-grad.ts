// Gradients of Mean and Sum without a tensor of ones. tfjs-core's gradients multiply the reshaped dy by
// ones(x.shape): every batch-norm layer in training mode (tf.moments: two Means over N·H·W) then builds a
// full-activation array of ones in JavaScript, uploads it and multiplies — ≈0.6 s of JS per seed-v2 step
// alone. Broadcasting dy over the reduced axes is all the gradient is: on wasm the kernel below writes dy
// once and doubles it with memcpy (copyWithin) until the reduced block is full. Other backends keep
// tfjs-core's formula. Gradients are global, so these configs replace the two for every backend.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { reducedBlock } from "./reduce";

/** Kernel: x [outer, trailing] → out `shape` = [outer, reduce, trailing], out[o, r, t] = x[o, t]. */
export const BROADCAST_REDUCED = "FmalabBroadcastReduced";

interface BroadcastAttrs {
  shape: number[];
  outer: number;
  reduce: number;
  trailing: number;
}

export function broadcastReducedWasm(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x as tf.TensorInfo;
  const { shape, outer, reduce, trailing } = args.attrs as unknown as BroadcastAttrs;
  const out = backend.makeOutput(shape, "float32");
  // Views after makeOutput: it may grow the heap, which detaches older views.
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const block = reduce * trailing;
  for (let o = 0; o < outer; o++) {
    const base = o * block;
    dst.set(src.subarray(o * trailing, (o + 1) * trailing), base);
    for (let filled = trailing; filled < block; ) {
      const n = Math.min(filled, block - filled);
      dst.copyWithin(base + filled, base, base + n);
      filled += n;
    }
  }
  return out;
}

/** dy (x's shape with the reduced axes removed or kept as 1) broadcast back to x's shape, divided by `divisor`. */
function broadcastBack(dy: tf.Tensor, x: tf.Tensor, axes: number[], divisor: number): tf.Tensor {
  const expandedShape = x.shape.slice();
  for (const a of axes) expandedShape[a] = 1;
  const block = reducedBlock(x.shape, axes);
  if (tf.getBackend() === "wasm" && x.dtype === "float32" && block && tf.getKernel(BROADCAST_REDUCED, "wasm")) {
    return tf.tidy(() => {
      // dy / divisor, then copies: the same numbers as tfjs-core's (dy · 1) / divisor.
      const g = divisor === 1 ? tf.cast(dy, "float32") : tf.div(dy, divisor);
      const flat = tf.reshape(g, [block.outer * block.trailing]);
      const out = tf.engine().runKernel(BROADCAST_REDUCED, { x: flat }, { shape: x.shape, ...block } as unknown as tf.NamedAttrMap) as tf.Tensor;
      return tf.reshape(out, x.shape);
    });
  }
  // tfjs-core's formula.
  return tf.tidy(() => {
    const expanded = tf.reshape(dy, expandedShape);
    const full = tf.mul(expanded, tf.ones(x.shape, "float32"));
    return divisor === 1 ? full : tf.div(full, divisor);
  });
}

/** Gradient config of Mean (dy / R broadcast) or Sum (dy broadcast) over the reduced axes of x. */
function reduceGradConfig(kernelName: "Mean" | "Sum"): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ["x"],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [x] = saved;
      const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
      const divisor = kernelName === "Mean" ? axes.reduce((n, a) => n * x.shape[a], 1) : 1;
      return { x: () => broadcastBack(dy as tf.Tensor, x, axes, divisor) };
    },
  };
}

export const meanGradConfig = reduceGradConfig("Mean");
export const sumGradConfig = reduceGradConfig("Sum");
