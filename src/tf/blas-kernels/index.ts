// The BLAS training kernels: registered over the wasm kernels (ours in src/tf/wasm-kernels, or the
// package's), each delegating to the kernel it replaced for the cases it does not take and whenever no BLAS
// is active (setActiveBlas(null): FMALAB_BLAS=off, or no library found). So one registration serves both
// modes, and a process can switch between them (the parity tests do).
import * as tf from "@tensorflow/tfjs";
import { makeBatchMatMulBlas } from "./batch-matmul";
import { makeConv2DBlas } from "./conv2d";
import { makeConv2DBackpropFilterBlas } from "./conv2d-backprop-filter";
import { makeConv2DBackpropInputBlas } from "./conv2d-backprop-input";
import { makeFusedConv2DBlas } from "./fused-conv2d";
import { makeFusedMatMulBlas } from "./fused-matmul";
import type { KernelFunc } from "./gemm";

export { activeBlas, setActiveBlas, releaseScratch, im2col, col2imAdd, im2colJs, col2imAddJs } from "./gemm";

const MARK = Symbol.for("fmalab.blasKernels");

const MAKERS: Record<string, (fallback: KernelFunc) => KernelFunc> = {
  Conv2D: makeConv2DBlas,
  FusedConv2D: makeFusedConv2DBlas,
  Conv2DBackpropInput: makeConv2DBackpropInputBlas,
  Conv2DBackpropFilter: makeConv2DBackpropFilterBlas,
  BatchMatMul: makeBatchMatMulBlas,
  _FusedMatMul: makeFusedMatMulBlas,
};

/** The kernels the BLAS path replaces on wasm. */
export const BLAS_KERNELS = Object.keys(MAKERS);

/** Wrap the wasm kernels named in BLAS_KERNELS (idempotent; call after registerWasmTrainingKernels). */
export function registerBlasKernels(): void {
  const g = globalThis as unknown as Record<symbol, boolean>;
  if (g[MARK]) return;
  g[MARK] = true;
  for (const [name, make] of Object.entries(MAKERS)) {
    const original = tf.getKernel(name, "wasm");
    if (!original) throw new Error(`BLAS kernels: the wasm backend has no '${name}' kernel to fall back on`);
    tf.unregisterKernel(name, "wasm");
    // Keep the original's setupFunc: it binds the wasm function our fallback path calls.
    tf.registerKernel({ kernelName: name, backendName: "wasm", setupFunc: original.setupFunc, kernelFunc: make(original.kernelFunc as KernelFunc) as tf.KernelFunc });
  }
}
