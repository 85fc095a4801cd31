// Registers the training kernels the wasm backend lacks (or runs slowly) and the tile-free BN gradient.
import * as tf from "@tensorflow/tfjs";
import { conv2DBackpropFilterWasm, makeConv2DBackpropInputWasm } from "./conv2d-backprop";
import { fusedBatchNormGradConfig } from "./batchnorm-grad";

export { conv2DBackpropFilterWasm, makeConv2DBackpropInputWasm } from "./conv2d-backprop";
export { fusedBatchNormGradConfig } from "./batchnorm-grad";

const MARK = Symbol.for("fmalab.wasmTrainingKernels");

/** The kernels this module adds or replaces on wasm. */
export const WASM_TRAINING_KERNELS = ["Conv2DBackpropFilter", "Conv2DBackpropInput"] as const;

/** Register our kernels on 'wasm' (idempotent; safe before or after the backend initialises). */
export function registerWasmTrainingKernels(): void {
  const g = globalThis as unknown as Record<symbol, boolean>;
  if (g[MARK]) return;
  g[MARK] = true;

  if (tf.getKernel("Conv2DBackpropFilter", "wasm")) tf.unregisterKernel("Conv2DBackpropFilter", "wasm");
  tf.registerKernel({ kernelName: "Conv2DBackpropFilter", backendName: "wasm", kernelFunc: conv2DBackpropFilterWasm as tf.KernelFunc });

  const original = tf.getKernel("Conv2DBackpropInput", "wasm");
  if (original) tf.unregisterKernel("Conv2DBackpropInput", "wasm");
  tf.registerKernel({
    kernelName: "Conv2DBackpropInput",
    backendName: "wasm",
    // The original's setupFunc already ran if the backend was initialised; keep it for a later init.
    setupFunc: original?.setupFunc,
    kernelFunc: makeConv2DBackpropInputWasm(original ? (original.kernelFunc as never) : null) as tf.KernelFunc,
  });

  tf.registerGradient(fusedBatchNormGradConfig);
}
