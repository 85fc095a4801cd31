// One training step's maths, shared by the training loop (src/train/train.ts) and the gradient replicas
// of data-parallel training (src/train/data-parallel.ts, grad-worker.ts): the loss, and the loss and
// gradients of one batch (or shard) without applying them.
import * as tf from "@tensorflow/tfjs";

/**
 * Mean cross-entropy with soft labels y (one-hot or mixup) and optional class weights: each example's
 * weight is Σ_c y_c·w_c, and the loss is Σ wᵢ·ℓᵢ / Σ wᵢ (PyTorch's CrossEntropyLoss(weight=…)).
 */
export function weightedCrossEntropy(
  output: tf.Tensor2D,
  labels: tf.Tensor2D,
  classWeights: tf.Tensor1D | null,
  outputIsProb: boolean,
): tf.Scalar {
  return tf.tidy(() => {
    const logp = outputIsProb ? tf.log(tf.clipByValue(output, 1e-7, 1)) : tf.logSoftmax(output);
    const perExample = tf.neg(tf.sum(tf.mul(labels, logp), 1));
    if (!classWeights) return tf.mean(perExample) as tf.Scalar;
    const w = tf.sum(tf.mul(labels, classWeights), 1);
    return tf.div(tf.sum(tf.mul(w, perExample)), tf.sum(w)) as tf.Scalar;
  });
}

/**
 * The weight a batch's examples carry in weightedCrossEntropy: n without class weights, else Σᵢ Σ_c y_ic·w_c.
 * Shard losses (and gradients) combine into the whole batch's as Σ W_s·L_s / Σ W_s.
 */
export function lossWeight(y: Float32Array, n: number, k: number, classWeights: readonly number[] | null): number {
  if (!classWeights) return n;
  let w = 0;
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) w += y[i * k + c] * classWeights[c];
  return w;
}

/** The model's Dropout layers, in layer order (their `seed` is set before every step). */
export function dropoutLayers(model: tf.LayersModel): Array<{ seed: number }> {
  return model.layers.filter((l) => l.getClassName().includes("Dropout") && "rate" in l) as unknown as Array<{ seed: number }>;
}

export interface BatchGradients {
  /** The batch's loss (weighted mean over its examples). */
  loss: number;
  /** Examples whose arg-max prediction equals the arg-max label. */
  hits: number;
  /** d loss / d variable, by variable name; the caller disposes them. */
  grads: tf.NamedTensorMap;
}

/** Forward in training mode, loss, and its gradients for `trainVars` (not applied). */
export function batchGradients(
  model: tf.LayersModel,
  trainVars: tf.Variable[],
  x: Float32Array,
  y: Float32Array,
  n: number,
  exampleShape: number[],
  classWeights: tf.Tensor1D | null,
  outputIsProb: boolean,
): BatchGradients {
  const k = y.length / n;
  let predicted: tf.Tensor | null = null;
  const { grads, stats } = tf.tidy(() => {
    const xt = tf.tensor(x, [n, ...exampleShape]);
    const yt = tf.tensor2d(y, [n, k]);
    const { value, grads } = tf.variableGrads(() => {
      const out = model.apply(xt, { training: true }) as tf.Tensor2D;
      predicted = tf.keep(tf.argMax(out, 1));
      return weightedCrossEntropy(out, yt, classWeights, outputIsProb);
    }, trainVars);
    const hits = tf.sum(tf.cast(tf.equal(predicted as unknown as tf.Tensor, tf.argMax(yt, 1)), "float32"));
    return { grads, stats: tf.stack([value, hits]) };
  });
  const [loss, hits] = stats.dataSync();
  stats.dispose();
  if (predicted) (predicted as tf.Tensor).dispose();
  return { loss, hits, grads };
}
