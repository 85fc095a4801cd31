// What computes under the wasm backend's training kernels right now: the system BLAS (GEMMs) and fmalab's
// native kernels (the passes around them), each null when off or absent: the kernels then run their
// JavaScript / wasm twins. Set by initBackend (src/tf/backend.ts) from computeSettings().
import type { Blas } from "../native/blas";
import type { NativeKernels } from "../native/kernels";

let blas: Blas | null = null;
let kernels: NativeKernels | null = null;

/** The BLAS the kernels use now (null: they delegate to the kernels they replaced). */
export function activeBlas(): Blas | null {
  return blas;
}

export function setActiveBlas(b: Blas | null): void {
  blas = b;
}

/** The native kernels in use now (null: the JavaScript twins). */
export function activeNativeKernels(): NativeKernels | null {
  return kernels;
}

export function setActiveNativeKernels(k: NativeKernels | null): void {
  kernels = k;
}

/** [N, H, W, C, kH, kW, sH, sW, dH, dW, pt, pl, oH, oW] for the native kernels. */
export function geometryArray(g: {
  N: number; H: number; W: number; C: number; kH: number; kW: number; sH: number; sW: number; dH: number; dW: number; pt: number; pl: number; oH: number; oW: number;
}): Int32Array {
  return Int32Array.of(g.N, g.H, g.W, g.C, g.kH, g.kW, g.sH, g.sW, g.dH, g.dW, g.pt, g.pl, g.oH, g.oW);
}
