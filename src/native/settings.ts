// Process-wide compute settings: which audio path and which training engine to use. Library code reads these
// values, never the environment; the edges (src/cli, the study settings, bench/ and the test runner) turn the
// environment into settings with `computeSettingsFromEnv` and apply them with `configureCompute`. Worker
// threads receive `computeSettings()` in their workerData and apply it first.

/** `auto`: native when its library loads, else WASM (with one notice). */
export type AudioEngine = "auto" | "native" | "wasm";
/** `auto`: the system BLAS when it loads, else the wasm kernels; `off`: never the BLAS. */
export type BlasMode = "auto" | "off";
export type BackendPreference = "tensorflow" | "wasm" | "cpu";
/** `fmalab`: the project's wasm training kernels; `minimal`: only Conv2DBackpropFilter (before/after benchmarks, debugging). */
export type WasmKernels = "fmalab" | "minimal";

export interface ComputeSettings {
  audio: AudioEngine;
  blas: BlasMode;
  /** BLAS threads; undefined: one per core. */
  blasThreads?: number;
  /** Forced tfjs backend; undefined: the fastest available. */
  backend?: BackendPreference;
  /** Which wasm training kernels registerWasmTrainingKernels installs (src/tf/wasm-kernels); undefined: fmalab. */
  wasmKernels?: WasmKernels;
}

const DEFAULTS: ComputeSettings = { audio: "auto", blas: "auto" };
let current: ComputeSettings = { ...DEFAULTS };

export function computeSettings(): ComputeSettings {
  return { ...current };
}

/** Replace the given fields (undefined fields are left as they are). Returns the settings now in force. */
export function configureCompute(update: Partial<ComputeSettings>): ComputeSettings {
  const next = { ...current };
  for (const [k, v] of Object.entries(update) as [keyof ComputeSettings, unknown][]) {
    if (v !== undefined) (next as Record<string, unknown>)[k] = v;
  }
  current = next;
  return computeSettings();
}

export function resetComputeSettings(): void {
  current = { ...DEFAULTS };
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === "") return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`${name}=${value}: expected one of ${allowed.join(", ")}`);
  }
  return value as T;
}

/**
 * The settings an environment asks for (FMALAB_AUDIO=auto|native|wasm, FMALAB_BLAS=auto|off,
 * FMALAB_BLAS_THREADS=N, FMALAB_BACKEND=tensorflow|wasm|cpu, FMALAB_WASM_KERNELS=fmalab|minimal). Pure: pass the
 * environment in.
 */
export function computeSettingsFromEnv(env: Record<string, string | undefined>): Partial<ComputeSettings> {
  const threads = env.FMALAB_BLAS_THREADS;
  let blasThreads: number | undefined;
  if (threads !== undefined && threads !== "") {
    blasThreads = Number(threads);
    if (!Number.isInteger(blasThreads) || blasThreads < 1) throw new Error(`FMALAB_BLAS_THREADS=${threads}: expected a positive integer`);
  }
  return {
    audio: oneOf("FMALAB_AUDIO", env.FMALAB_AUDIO, ["auto", "native", "wasm"] as const),
    blas: oneOf("FMALAB_BLAS", env.FMALAB_BLAS, ["auto", "off"] as const),
    blasThreads,
    backend: oneOf("FMALAB_BACKEND", env.FMALAB_BACKEND, ["tensorflow", "wasm", "cpu"] as const),
    wasmKernels: oneOf("FMALAB_WASM_KERNELS", env.FMALAB_WASM_KERNELS, ["fmalab", "minimal"] as const),
  };
}
