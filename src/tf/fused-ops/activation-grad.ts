// Gradients of Relu and LeakyRelu in one pass on the native kernels. tfjs-core's are two or three full
// passes (step(x), cast, multiply; or greater, multiply, where), each on one core. Gradients are global:
// other backends, and wasm without the native kernels, keep tfjs-core's formulas (the same numbers:
// dx = x > 0 ? dy : alpha·dy, with alpha 0 for Relu, whose step(x) makes NaN of a NaN input).
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { activeNativeKernels } from "../native-engine";

/** Kernel: {dy, x}, {alpha, nanIsNaN} → dx (wasm, native kernels). */
export const LEAKY_RELU_GRAD = "FmalabLeakyReluGrad";

function leakyReluGradWasm(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const out = backend.makeOutput(x.shape, "float32");
  const native = activeNativeKernels();
  if (!native) throw new Error(`${LEAKY_RELU_GRAD}: called without the native kernels`);
  const nanIsNaN = args.attrs.nanIsNaN as boolean;
  native.leakyReluGrad(backend.typedArrayFromHeap(dy) as Float32Array, backend.typedArrayFromHeap(x) as Float32Array, args.attrs.alpha as number, backend.typedArrayFromHeap(out) as Float32Array, nanIsNaN);
  return out;
}

function nativeApplies(dy: tf.Tensor, x: tf.Tensor): boolean {
  return tf.getBackend() === "wasm" && activeNativeKernels() != null && dy.dtype === "float32" && x.dtype === "float32" && tf.util.arraysEqual(dy.shape, x.shape);
}

const reluGrad: tf.GradConfig = {
  kernelName: "Relu",
  inputsToSave: ["x"],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const g = dy as tf.Tensor;
    const [x] = saved;
    if (nativeApplies(g, x)) return { x: () => tf.engine().runKernel(LEAKY_RELU_GRAD, { dy: g, x }, { alpha: 0, nanIsNaN: true }) as tf.Tensor };
    return { x: () => tf.mul(g, tf.cast(tf.step(x), "float32")) };
  },
};

const leakyReluGrad: tf.GradConfig = {
  kernelName: "LeakyRelu",
  inputsToSave: ["x"],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const g = dy as tf.Tensor;
    const [x] = saved;
    const alpha = attrs.alpha as number;
    if (nativeApplies(g, x)) return { x: () => tf.engine().runKernel(LEAKY_RELU_GRAD, { dy: g, x }, { alpha, nanIsNaN: false }) as tf.Tensor };
    return { x: () => tf.where(tf.greater(x, 0), g, tf.mul(g, alpha)) };
  },
};

/** Register the kernel on wasm and both gradients (idempotent). */
export function registerActivationGradients(): void {
  if (!tf.getKernel(LEAKY_RELU_GRAD, "wasm")) tf.registerKernel({ kernelName: LEAKY_RELU_GRAD, backendName: "wasm", kernelFunc: leakyReluGradWasm as tf.KernelFunc });
  tf.registerGradient(reluGrad);
  tf.registerGradient(leakyReluGrad);
}
