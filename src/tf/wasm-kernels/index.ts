// Registers the training kernels the wasm backend lacks (or runs slowly) and the tile-free BN gradient.
import * as tf from "@tensorflow/tfjs";
import { conv2DBackpropFilterWasm, makeConv2DBackpropInputWasm } from "./conv2d-backprop";
import { fusedBatchNormGradConfig } from "./batchnorm-grad";
import { makeReduceWasm } from "./reduce";
import { maxPoolGradWasm } from "./maxpool-grad";
import { makeCastWasm, makeIdentityWasm } from "./identity";
import { makeBatchMatMulWasm } from "./matmul";
import { BROADCAST_REDUCED, broadcastReducedWasm, meanGradConfig, sumGradConfig } from "./reduce-grad";
import { computeSettings } from "../../native/settings";

export { conv2DBackpropFilterWasm, makeConv2DBackpropInputWasm } from "./conv2d-backprop";
export { fusedBatchNormGradConfig } from "./batchnorm-grad";
export { makeReduceWasm, contiguousReduction, reducedBlock } from "./reduce";
export { maxPoolGradWasm } from "./maxpool-grad";
export { makeCastWasm, makeIdentityWasm } from "./identity";
export { makeBatchMatMulWasm } from "./matmul";
export { BROADCAST_REDUCED, broadcastReducedWasm, meanGradConfig, sumGradConfig } from "./reduce-grad";

const MARK = Symbol.for("fmalab.wasmTrainingKernels");

/** The kernels this module adds or replaces on wasm. */
export const WASM_TRAINING_KERNELS = ["Conv2DBackpropFilter", "Conv2DBackpropInput", "Sum", "Mean", "MaxPoolGrad", "Identity", "Cast", "BatchMatMul"] as const;

/**
 * Register our kernels on 'wasm' (idempotent; safe before or after the backend initialises).
 * computeSettings().wasmKernels = "minimal" (FMALAB_WASM_KERNELS=minimal at the edge) registers only Conv2DBackpropFilter (which wasm lacks, so training needs it,
 * here in its fast form) and keeps every package kernel and tfjs-core's BN gradient: for before/after
 * benchmarks and for ruling our kernels out when debugging.
 */
export function registerWasmTrainingKernels(): void {
  const g = globalThis as unknown as Record<symbol, boolean>;
  if (g[MARK]) return;
  g[MARK] = true;

  if (tf.getKernel("Conv2DBackpropFilter", "wasm")) tf.unregisterKernel("Conv2DBackpropFilter", "wasm");
  tf.registerKernel({ kernelName: "Conv2DBackpropFilter", backendName: "wasm", kernelFunc: conv2DBackpropFilterWasm as tf.KernelFunc });
  if (computeSettings().wasmKernels === "minimal") return;

  replaceKernel("Conv2DBackpropInput", (original) => makeConv2DBackpropInputWasm(original));
  replaceKernel("Sum", (original) => makeReduceWasm("Sum", original));
  replaceKernel("Mean", (original) => makeReduceWasm("Mean", original));
  replaceKernel("MaxPoolGrad", () => maxPoolGradWasm);
  replaceKernel("Identity", (original) => makeIdentityWasm(original));
  replaceKernel("Cast", (original) => makeCastWasm(original));
  replaceKernel("BatchMatMul", (original) => makeBatchMatMulWasm(original));
  tf.registerGradient(fusedBatchNormGradConfig);
  if (!tf.getKernel(BROADCAST_REDUCED, "wasm")) {
    tf.registerKernel({ kernelName: BROADCAST_REDUCED, backendName: "wasm", kernelFunc: broadcastReducedWasm as tf.KernelFunc });
  }
  tf.registerGradient(meanGradConfig);
  tf.registerGradient(sumGradConfig);
}

type AnyKernelFunc = Parameters<typeof makeConv2DBackpropInputWasm>[0];

/** Swap the package's wasm kernel `name` for ours; ours may delegate to the original for cases it skips. */
function replaceKernel(name: string, make: (original: NonNullable<AnyKernelFunc> | null) => unknown): void {
  const original = tf.getKernel(name, "wasm");
  if (original) tf.unregisterKernel(name, "wasm");
  tf.registerKernel({
    kernelName: name,
    backendName: "wasm",
    // The original's setupFunc (cwrap of its C function) already ran if the backend was initialised; keep it
    // for a later initialisation, since our kernel may call the original.
    setupFunc: original?.setupFunc,
    kernelFunc: make(original ? (original.kernelFunc as never) : null) as tf.KernelFunc,
  });
}
