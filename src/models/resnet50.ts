// ResNet50 (He et al. 2016), Keras-applications layout (conv biases, BN eps 1.001e-5), trained from scratch.
// `loadResNet50Weights` reads weights only from a local folder the user converted; nothing is downloaded.
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { ap, conv, dense, FusedBatchNormalization, SeededInit } from "./layers";
import type { ModelBuildOptions } from "./spec";
import { readWeightsFromDir } from "../tf/io";

function bn(name: string): tf.layers.Layer {
  return new FusedBatchNormalization({ name, axis: -1, epsilon: 1.001e-5, momentum: 0.99 });
}

function block(
  x: tf.SymbolicTensor,
  filters: number,
  init: SeededInit,
  name: string,
  stride: number,
  convShortcut: boolean,
): tf.SymbolicTensor {
  let shortcut = x;
  if (convShortcut) {
    shortcut = ap(conv({ name: `${name}_0_conv`, filters: 4 * filters, kernel: 1, strides: stride, init }), x);
    shortcut = ap(bn(`${name}_0_bn`), shortcut);
  }
  let y = ap(conv({ name: `${name}_1_conv`, filters, kernel: 1, strides: stride, init }), x);
  y = ap(bn(`${name}_1_bn`), y);
  y = ap(tf.layers.reLU({ name: `${name}_1_relu` }), y);
  y = ap(conv({ name: `${name}_2_conv`, filters, kernel: 3, init }), y);
  y = ap(bn(`${name}_2_bn`), y);
  y = ap(tf.layers.reLU({ name: `${name}_2_relu` }), y);
  y = ap(conv({ name: `${name}_3_conv`, filters: 4 * filters, kernel: 1, init }), y);
  y = ap(bn(`${name}_3_bn`), y);
  y = ap(tf.layers.add({ name: `${name}_add` }), [shortcut, y]);
  return ap(tf.layers.reLU({ name: `${name}_out` }), y);
}

function stack(x: tf.SymbolicTensor, filters: number, blocks: number, stride: number, init: SeededInit, name: string): tf.SymbolicTensor {
  x = block(x, filters, init, `${name}_block1`, stride, true);
  for (let i = 2; i <= blocks; i++) x = block(x, filters, init, `${name}_block${i}`, 1, false);
  return x;
}

export function buildResNet50(opts: ModelBuildOptions = {}): tf.LayersModel {
  const init = new SeededInit(opts.seed);
  const w = (n: number): number => Math.max(1, Math.round(n * (opts.width ?? 1)));
  const input = tf.input({ shape: opts.inputShape ?? [224, 224, 3], name: "input" });
  let x = ap(tf.layers.zeroPadding2d({ name: "conv1_pad", padding: 3 }), input);
  x = ap(conv({ name: "conv1_conv", filters: w(64), kernel: 7, strides: 2, padding: "valid", init }), x);
  x = ap(bn("conv1_bn"), x);
  x = ap(tf.layers.reLU({ name: "conv1_relu" }), x);
  x = ap(tf.layers.zeroPadding2d({ name: "pool1_pad", padding: 1 }), x);
  x = ap(tf.layers.maxPooling2d({ name: "pool1_pool", poolSize: 3, strides: 2 }), x);
  x = stack(x, w(64), 3, 1, init, "conv2");
  x = stack(x, w(128), 4, 2, init, "conv3");
  x = stack(x, w(256), 6, 2, init, "conv4");
  x = stack(x, w(512), 3, 2, init, "conv5");
  x = ap(tf.layers.globalAveragePooling2d({ name: "avg_pool" }), x);
  const out = ap(dense("classifier", opts.numClasses ?? 8, init, "softmax"), x);
  return tf.model({ inputs: input, outputs: out, name: "resnet50" });
}

/**
 * Copy weights from a local tfjs layers-model folder (model.json + weights.bin, e.g. Keras ResNet50 converted
 * with tensorflowjs_converter) into `model`, matching weights by layer name and shape. Layers absent from the
 * file (such as an 8-class head) keep their initial values. Never downloads anything.
 * Returns the names of the layers that were set.
 */
export function loadResNet50Weights(model: tf.LayersModel, dir: string): string[] {
  if (!fs.existsSync(path.join(dir, "model.json"))) {
    throw new Error(`loadResNet50Weights: no model.json in ${dir} (convert Keras ResNet50 weights locally; this project never downloads weights)`);
  }
  const weights = readWeightsFromDir(dir);
  const byName = new Map<string, tf.Tensor>();
  for (const [name, t] of Object.entries(weights)) byName.set(name, t);
  const set: string[] = [];
  for (const layer of model.layers) {
    const current = layer.getWeights();
    if (current.length === 0) continue;
    const names = layer.weights.map((v) => v.originalName);
    const found = names.map((n) => byName.get(n));
    if (found.every((t, i) => t && tf.util.arraysEqual(t.shape, current[i].shape))) {
      layer.setWeights(found as tf.Tensor[]);
      set.push(layer.name);
    }
  }
  for (const t of byName.values()) t.dispose();
  if (set.length === 0) throw new Error(`loadResNet50Weights: no layer of ${dir} matched the model by name and shape`);
  return set;
}
