// Baselines on the standardised meyda feature vector.
import * as tf from "@tensorflow/tfjs";
import { ap, dropout, dense, SeededInit } from "./layers";
import type { ModelBuildOptions } from "./spec";

export const DEFAULT_FEATURE_DIM = 64;

function featureInput(opts: ModelBuildOptions): tf.SymbolicTensor {
  const dim = opts.inputDim ?? (opts.inputShape ? opts.inputShape[1] : DEFAULT_FEATURE_DIM);
  return tf.input({ shape: [dim], name: "input" });
}

/** Multinomial logistic regression: one dense softmax layer. */
export function buildFeatLogReg(opts: ModelBuildOptions = {}): tf.LayersModel {
  const init = new SeededInit(opts.seed);
  const input = featureInput(opts);
  const out = ap(dense("classifier", opts.numClasses ?? 8, init, "softmax"), input);
  return tf.model({ inputs: input, outputs: out, name: "feat_logreg" });
}

/** MLP: dense 256 ReLU → dropout .3 → dense 128 ReLU → dropout .3 → softmax (units × width). */
export function buildFeatMlp(opts: ModelBuildOptions = {}): tf.LayersModel {
  const init = new SeededInit(opts.seed);
  const w = opts.width ?? 1;
  const input = featureInput(opts);
  let x = ap(dense("hidden1", Math.max(1, Math.round(256 * w)), init, "relu"), input);
  x = ap(dropout("hidden1_drop", 0.3, opts), x);
  x = ap(dense("hidden2", Math.max(1, Math.round(128 * w)), init, "relu"), x);
  x = ap(dropout("hidden2_drop", 0.3, opts), x);
  const out = ap(dense("classifier", opts.numClasses ?? 8, init, "softmax"), x);
  return tf.model({ inputs: input, outputs: out, name: "feat_mlp" });
}
