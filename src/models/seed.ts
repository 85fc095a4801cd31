// The seed project's six image models (PyTorch definitions, re-expressed in tfjs-layers, NHWC, 224×224×3).
// Convolutions keep PyTorch's default bias; BatchNorm uses PyTorch's momentum/epsilon; LeakyReLU slope 0.01.
import * as tf from "@tensorflow/tfjs";
import { ap, dropout, batchNorm, conv, dense, SeededInit } from "./layers";
import type { ModelBuildOptions } from "./spec";

function inputOf(opts: ModelBuildOptions, fallback: [number, number, number]): tf.SymbolicTensor {
  return tf.input({ shape: opts.inputShape ?? fallback, name: "input" });
}
const scaled = (n: number, opts: ModelBuildOptions): number => Math.max(1, Math.round(n * (opts.width ?? 1)));
const IMG: [number, number, number] = [224, 224, 3];

/** ConvNet: 2 × [conv5×5 same → BN → ReLU → maxpool2 → dropout .25] (32, 64), flatten → dense classes. */
export function buildSeedConvNet(opts: ModelBuildOptions = {}): tf.LayersModel {
  const init = new SeededInit(opts.seed);
  const input = inputOf(opts, IMG);
  let x = input;
  [32, 64].forEach((f, i) => {
    const b = `block${i + 1}`;
    x = ap(conv({ name: `${b}_conv`, filters: scaled(f, opts), kernel: 5, init }), x);
    x = ap(batchNorm(`${b}_bn`), x);
    x = ap(tf.layers.reLU({ name: `${b}_relu` }), x);
    x = ap(tf.layers.maxPooling2d({ name: `${b}_pool`, poolSize: 2 }), x);
    x = ap(dropout(`${b}_drop`, 0.25, opts), x);
  });
  x = ap(tf.layers.flatten({ name: "flatten" }), x);
  const out = ap(dense("classifier", opts.numClasses ?? 8, init, "softmax"), x);
  return tf.model({ inputs: input, outputs: out, name: "seed_convnet" });
}

/** MusicGenreCNN: conv3×3 (32, 64, 128) each ReLU + maxpool2, flatten → dense 512 ReLU → dropout .5 → dense classes. */
export function buildSeedMusicGenreCnn(opts: ModelBuildOptions = {}): tf.LayersModel {
  const init = new SeededInit(opts.seed);
  const input = inputOf(opts, IMG);
  let x = input;
  [32, 64, 128].forEach((f, i) => {
    const b = `block${i + 1}`;
    x = ap(conv({ name: `${b}_conv`, filters: scaled(f, opts), kernel: 3, init }), x);
    x = ap(tf.layers.reLU({ name: `${b}_relu` }), x);
    x = ap(tf.layers.maxPooling2d({ name: `${b}_pool`, poolSize: 2 }), x);
  });
  x = ap(tf.layers.flatten({ name: "flatten" }), x);
  x = ap(dense("fc1", scaled(512, opts), init, "relu"), x);
  x = ap(dropout("fc1_drop", 0.5, opts), x);
  const out = ap(dense("classifier", opts.numClasses ?? 8, init, "softmax"), x);
  return tf.model({ inputs: input, outputs: out, name: "seed_musicgenrecnn" });
}

/** ImprovedMusicGenreCNN: 4 × [conv3×3 → BN → ReLU → maxpool2] (32, 64, 128, 256) → 14×14×256, dropout .5, dense 512, dense classes. */
export function buildSeedImproved(opts: ModelBuildOptions = {}): tf.LayersModel {
  const init = new SeededInit(opts.seed);
  const input = inputOf(opts, IMG);
  let x = input;
  [32, 64, 128, 256].forEach((f, i) => {
    const b = `block${i + 1}`;
    x = ap(conv({ name: `${b}_conv`, filters: scaled(f, opts), kernel: 3, init }), x);
    x = ap(batchNorm(`${b}_bn`), x);
    x = ap(tf.layers.reLU({ name: `${b}_relu` }), x);
    x = ap(tf.layers.maxPooling2d({ name: `${b}_pool`, poolSize: 2 }), x);
  });
  x = ap(tf.layers.flatten({ name: "flatten" }), x);
  x = ap(dropout("flatten_drop", 0.5, opts), x);
  x = ap(dense("fc1", scaled(512, opts), init, "relu"), x);
  const out = ap(dense("classifier", opts.numClasses ?? 8, init, "softmax"), x);
  return tf.model({ inputs: input, outputs: out, name: "seed_improved" });
}

/** ConvNetIMPROV: 3 × [conv3×3 → BN → ReLU → maxpool2 → dropout .25] (32, 64, 128), dense 1024 ReLU, dense classes. */
export function buildSeedConvNetImprov(opts: ModelBuildOptions = {}): tf.LayersModel {
  const init = new SeededInit(opts.seed);
  const input = inputOf(opts, IMG);
  let x = input;
  [32, 64, 128].forEach((f, i) => {
    const b = `block${i + 1}`;
    x = ap(conv({ name: `${b}_conv`, filters: scaled(f, opts), kernel: 3, init }), x);
    x = ap(batchNorm(`${b}_bn`), x);
    x = ap(tf.layers.reLU({ name: `${b}_relu` }), x);
    x = ap(tf.layers.maxPooling2d({ name: `${b}_pool`, poolSize: 2 }), x);
    x = ap(dropout(`${b}_drop`, 0.25, opts), x);
  });
  x = ap(tf.layers.flatten({ name: "flatten" }), x);
  x = ap(dense("fc1", scaled(1024, opts), init, "relu"), x);
  const out = ap(dense("classifier", opts.numClasses ?? 8, init, "softmax"), x);
  return tf.model({ inputs: input, outputs: out, name: "seed_convnet_improv" });
}

/** The v2 channel plan: six conv blocks, max-pooling after the first five (224 → 7). */
export const SEED_V2_CHANNELS = [32, 64, 128, 256, 512, 1024];

/**
 * ImprovedMusicGenreCNNv2: 6 × [conv3×3 → BN → LeakyReLU(0.01) (→ maxpool2 for blocks 1–5)] + a shortcut
 * per block (1×1 conv, stride 2 where the block pools, → BN) added after pooling; flatten 7×7×1024 →
 * dropout .8 → dense 2048 → LeakyReLU → dropout .7 → dense 1024 → dense classes.
 */
export function buildSeedImprovedV2(opts: ModelBuildOptions = {}): tf.LayersModel {
  const init = new SeededInit(opts.seed);
  const input = inputOf(opts, IMG);
  let x = input;
  SEED_V2_CHANNELS.forEach((f, i) => {
    const b = `block${i + 1}`;
    const pools = i < 5;
    const filters = scaled(f, opts);
    let main = ap(conv({ name: `${b}_conv`, filters, kernel: 3, init }), x);
    main = ap(batchNorm(`${b}_bn`), main);
    main = ap(tf.layers.leakyReLU({ name: `${b}_lrelu`, alpha: 0.01 }), main);
    if (pools) main = ap(tf.layers.maxPooling2d({ name: `${b}_pool`, poolSize: 2 }), main);
    let short = ap(conv({ name: `${b}_short_conv`, filters, kernel: 1, strides: pools ? 2 : 1, init }), x);
    short = ap(batchNorm(`${b}_short_bn`), short);
    x = ap(tf.layers.add({ name: `${b}_add` }), [main, short]);
  });
  x = ap(tf.layers.flatten({ name: "flatten" }), x);
  x = ap(dropout("flatten_drop", 0.8, opts), x);
  x = ap(dense("fc1", scaled(2048, opts), init), x);
  x = ap(tf.layers.leakyReLU({ name: "fc1_lrelu", alpha: 0.01 }), x);
  x = ap(dropout("fc1_drop", 0.7, opts), x);
  x = ap(dense("fc2", scaled(1024, opts), init), x);
  const out = ap(dense("classifier", opts.numClasses ?? 8, init, "softmax"), x);
  return tf.model({ inputs: input, outputs: out, name: "seed_improved_v2" });
}
