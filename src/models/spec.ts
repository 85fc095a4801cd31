import type * as tf from "@tensorflow/tfjs";

export type ModelInputKind = "seed-image" | "logmel" | "features";

export interface ModelBuildOptions {
  /** Output classes (default 8: fma_small's genres). */
  numClasses?: number;
  /** Seed for the weight initialisers (default: random). */
  seed?: number;
  /** Width multiplier (filters × width; default 1) — small widths make test-sized variants of big models. */
  width?: number;
  /** Input [height, width, channels] override (e.g. 64×64 variants for tests); default `spec.input`. */
  inputShape?: [number, number, number];
  /** Fix every dropout mask (same mask each step) — for backend-parity tests only. */
  dropoutSeed?: number;
  /** Feature-vector dimension for the feature baselines. */
  inputDim?: number;
}

export interface ModelSpec {
  name: string;
  description: string;
  /** Expected input. Log-mel inputs are [n_mels (height), frames (width), 1]; features are [1, dim, 1] (built as [dim]). */
  input: { kind: ModelInputKind; height: number; width: number; channels: number };
  build(opts?: ModelBuildOptions): tf.LayersModel;
  /** Parameter count and where it comes from, in words. */
  paramsNote: string;
  /** Layer whose output is the embedding (the input of the classifier head). */
  penultimateLayer: string;
  /** Layer whose output is the last spatial feature map (for Grad-CAM); null for models without one. */
  lastConvLayer: string | null;
}
