// Our models for the normalised log-mel spectrogram: input [n_mels (height), frames (width), 1].
import * as tf from "@tensorflow/tfjs";
import { ap, dropout, batchNorm, conv, dense, SeededInit } from "./layers";
import type { ModelBuildOptions } from "./spec";

const MEL: [number, number, number] = [128, 128, 1];
const scaled = (n: number, opts: ModelBuildOptions): number => Math.max(1, Math.round(n * (opts.width ?? 1)));

/** mel_cnn4_128 (the default): 4 × [conv3×3 same (32, 64, 128, 128) → BN → ReLU → maxpool2], GAP, dropout .3, dense. */
export function buildMelCnn4(opts: ModelBuildOptions = {}): tf.LayersModel {
  const init = new SeededInit(opts.seed);
  const input = tf.input({ shape: opts.inputShape ?? MEL, name: "input" });
  let x = input;
  [32, 64, 128, 128].forEach((f, i) => {
    const b = `block${i + 1}`;
    x = ap(conv({ name: `${b}_conv`, filters: scaled(f, opts), kernel: 3, useBias: false, init }), x);
    x = ap(batchNorm(`${b}_bn`), x);
    x = ap(tf.layers.reLU({ name: `${b}_relu` }), x);
    x = ap(tf.layers.maxPooling2d({ name: `${b}_pool`, poolSize: 2 }), x);
  });
  x = ap(tf.layers.globalAveragePooling2d({ name: "gap" }), x);
  x = ap(dropout("gap_drop", 0.3, opts), x);
  const out = ap(dense("classifier", opts.numClasses ?? 8, init, "softmax"), x);
  return tf.model({ inputs: input, outputs: out, name: "mel_cnn4_128" });
}

/**
 * Short-chunk CNN (after Won et al. 2020, "Evaluation of CNN-based automatic music tagging models"), narrowed:
 * 7 × [conv3×3 → BN → ReLU → maxpool2] on 128 mels × 128 frames (≈3 s), channels w,w,2w,2w,2w,2w,4w (w = 32;
 * the paper uses 128/256/512), then dense 4w → BN → ReLU → dropout .5 → dense classes.
 */
export function buildShortChunkCnn(opts: ModelBuildOptions = {}): tf.LayersModel {
  const init = new SeededInit(opts.seed);
  const input = tf.input({ shape: opts.inputShape ?? MEL, name: "input" });
  const w = scaled(32, opts);
  let x = input;
  const channels = [w, w, 2 * w, 2 * w, 2 * w, 2 * w, 4 * w];
  channels.forEach((f, i) => {
    const b = `block${i + 1}`;
    x = ap(conv({ name: `${b}_conv`, filters: f, kernel: 3, useBias: false, init }), x);
    x = ap(batchNorm(`${b}_bn`), x);
    x = ap(tf.layers.reLU({ name: `${b}_relu` }), x);
    // Pool while there is something left to pool (small test inputs stop early).
    const [, h, wd] = x.shape as number[];
    if (h >= 2 && wd >= 2) x = ap(tf.layers.maxPooling2d({ name: `${b}_pool`, poolSize: 2 }), x);
  });
  x = ap(tf.layers.globalMaxPooling2d({ name: "gmp" }), x);
  x = ap(dense("fc1", 4 * w, init), x);
  x = ap(batchNorm("fc1_bn"), x);
  x = ap(tf.layers.reLU({ name: "fc1_relu" }), x);
  x = ap(dropout("fc1_drop", 0.5, opts), x);
  const out = ap(dense("classifier", opts.numClasses ?? 8, init, "softmax"), x);
  return tf.model({ inputs: input, outputs: out, name: "shortchunk_cnn" });
}

/**
 * timeconv1d: 1-D convolutions along time with the mel bands as channels: transpose to [frames, mels],
 * 3 × [conv1d k=5 (64, 128, 128) → BN → ReLU → maxpool 2], then global average + max over time → dense classes.
 */
export function buildTimeConv1d(opts: ModelBuildOptions = {}): tf.LayersModel {
  const init = new SeededInit(opts.seed);
  const shape = opts.inputShape ?? MEL;
  const input = tf.input({ shape, name: "input" });
  let x = ap(tf.layers.permute({ name: "to_time_major", dims: [2, 1, 3] }), input);
  x = ap(tf.layers.reshape({ name: "frames_by_mels", targetShape: [shape[1], shape[0] * shape[2]] }), x);
  [64, 128, 128].forEach((f, i) => {
    const b = `block${i + 1}`;
    x = ap(
      tf.layers.conv1d({ name: `${b}_conv`, filters: scaled(f, opts), kernelSize: 5, padding: "same", useBias: false, kernelInitializer: init.kernel() }),
      x,
    );
    x = ap(batchNorm(`${b}_bn`), x);
    x = ap(tf.layers.reLU({ name: `${b}_relu` }), x);
    x = ap(tf.layers.maxPooling1d({ name: `${b}_pool`, poolSize: 2 }), x);
  });
  const avg = ap(tf.layers.globalAveragePooling1d({ name: "time_avg" }), x);
  const max = ap(tf.layers.globalMaxPooling1d({ name: "time_max" }), x);
  x = ap(tf.layers.concatenate({ name: "pooled" }), [avg, max]);
  x = ap(dropout("pooled_drop", 0.3, opts), x);
  const out = ap(dense("classifier", opts.numClasses ?? 8, init, "softmax"), x);
  return tf.model({ inputs: input, outputs: out, name: "timeconv1d" });
}

/** probe_3conv_128: conv3×3 same 16 → pool → 32 → pool → 64, GAP, dense classes. */
export function buildProbe3Conv(opts: ModelBuildOptions = {}): tf.LayersModel {
  const init = new SeededInit(opts.seed);
  const input = tf.input({ shape: opts.inputShape ?? MEL, name: "input" });
  let x = input;
  [16, 32, 64].forEach((f, i) => {
    const b = `block${i + 1}`;
    x = ap(conv({ name: `${b}_conv`, filters: scaled(f, opts), kernel: 3, init }), x);
    x = ap(tf.layers.reLU({ name: `${b}_relu` }), x);
    if (i < 2) x = ap(tf.layers.maxPooling2d({ name: `${b}_pool`, poolSize: 2 }), x);
  });
  x = ap(tf.layers.globalAveragePooling2d({ name: "gap" }), x);
  const out = ap(dense("classifier", opts.numClasses ?? 8, init, "softmax"), x);
  return tf.model({ inputs: input, outputs: out, name: "probe_3conv_128" });
}

/**
 * crnn: 3 × [conv3×3 (32, 64, 64) → BN → ReLU → maxpool2] on the log-mel, then the remaining mel bands ×
 * channels become per-frame features for a GRU(64) over time → dropout .3 → dense classes (after Choi et al.
 * 2017, narrowed). GRU training works on wasm (checked by the wasm-vs-cpu step test).
 */
export function buildCrnn(opts: ModelBuildOptions = {}): tf.LayersModel {
  const init = new SeededInit(opts.seed);
  const shape = opts.inputShape ?? MEL;
  const input = tf.input({ shape, name: "input" });
  let x = input;
  [32, 64, 64].forEach((f, i) => {
    const b = `block${i + 1}`;
    x = ap(conv({ name: `${b}_conv`, filters: scaled(f, opts), kernel: 3, useBias: false, init }), x);
    x = ap(batchNorm(`${b}_bn`), x);
    x = ap(tf.layers.reLU({ name: `${b}_relu` }), x);
    x = ap(tf.layers.maxPooling2d({ name: `${b}_pool`, poolSize: 2 }), x);
  });
  const [, mels, frames, channels] = x.shape as number[];
  x = ap(tf.layers.permute({ name: "to_time_major", dims: [2, 1, 3] }), x);
  x = ap(tf.layers.reshape({ name: "frames_by_features", targetShape: [frames, mels * channels] }), x);
  x = ap(
    tf.layers.gru({
      name: "gru",
      units: scaled(64, opts),
      kernelInitializer: init.kernel(),
      recurrentInitializer: tf.initializers.orthogonal({ seed: opts.seed ?? undefined }),
    }),
    x,
  );
  x = ap(dropout("gru_drop", 0.3, opts), x);
  const out = ap(dense("classifier", opts.numClasses ?? 8, init, "softmax"), x);
  return tf.model({ inputs: input, outputs: out, name: "crnn" });
}
