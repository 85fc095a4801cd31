// fmalab's own native kernels (src/native/addon/fmalab_kernels.cc): an N-API addon that `npm install`
// builds with node-gyp (scripts/build-addon.mjs) where a C++ compiler and Node's headers exist. Loaded
// in-process like the system libraries; absent (no compiler, a failed build), the JavaScript twins in
// src/tf compute instead. Every function works in place on the Float32Arrays it is given.
import * as fs from "node:fs";
import * as path from "node:path";

/** Convolution geometry as an Int32Array: [N, H, W, C, kH, kW, sH, sW, dH, dW, pt, pl, oH, oW]. */
export type GeometryArray = Int32Array;

export interface NativeKernels {
  /** The .node file loaded. */
  file: string;
  im2col(x: Float32Array, geometry: GeometryArray, r0: number, r1: number, col: Float32Array): void;
  col2imAdd(col: Float32Array, geometry: GeometryArray, r0: number, r1: number, dx: Float32Array): void;
  bnMoments(x: Float32Array, channels: number, mean: Float32Array, variance: Float32Array): void;
  bnNormalise(x: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array, beta: Float32Array, epsilon: number, y: Float32Array): void;
  bnGrad(
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    gamma: Float32Array,
    epsilon: number,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
  ): void;
  maxPoolGrad(x: Float32Array, dy: Float32Array, geometry: GeometryArray, dx: Float32Array): void;
  /** dx = x > 0 ? dy : alpha·dy; with nanIsNaN, NaN where x is NaN (tfjs-core's ReLU gradient, dy·step(x)). */
  leakyReluGrad(dy: Float32Array, x: Float32Array, alpha: number, dx: Float32Array, nanIsNaN: boolean): void;
  /** y = x < 0 ? alpha·x : x (tfjs's LeakyRelu). */
  leakyRelu(x: Float32Array, alpha: number, y: Float32Array): void;
  /** y += alpha·x in place (alpha·x rounded to float32 first, as tfjs's mul then add). */
  axpy(x: Float32Array, alpha: number, y: Float32Array): void;
  setThreads(n: number): void;
  threads(): number;
}

/** Where the install step puts the addon (renamed into place only when the build succeeded). */
export const NATIVE_KERNELS_FILE = path.join(__dirname, "addon", "fmalab_kernels.node");

let cached: { kernels: NativeKernels | null; error?: string } | null = null;

/** The addon, or null (the reason in `nativeKernelsError()`); cached, never throws. */
export function loadNativeKernels(): NativeKernels | null {
  if (cached) return cached.kernels;
  if (!fs.existsSync(NATIVE_KERNELS_FILE)) {
    cached = { kernels: null, error: `${path.relative(process.cwd(), NATIVE_KERNELS_FILE)} is not built (npm run setup builds it; it needs a C++ compiler)` };
    return null;
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const addon = require(NATIVE_KERNELS_FILE) as Omit<NativeKernels, "file">;
    cached = { kernels: { ...addon, file: NATIVE_KERNELS_FILE } };
  } catch (err) {
    cached = { kernels: null, error: `${NATIVE_KERNELS_FILE} failed to load: ${(err as Error).message.split("\n")[0]}` };
  }
  return cached.kernels;
}

export function nativeKernelsError(): string | undefined {
  loadNativeKernels();
  return cached?.error;
}

/** Forget the cached load (after a build). */
export function resetNativeKernelsForTests(): void {
  cached = null;
}
