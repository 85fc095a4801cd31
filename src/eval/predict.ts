// Batched inference over tracks: K crops per track, crops of several tracks share a batch, track
// probabilities (and embeddings) are the mean over the track's crops. Tensors live only inside tidy.
import * as tf from "@tensorflow/tfjs";
import type { Example, InputBuilder } from "../models/inputs";

/** True when the model's last layer ends in a softmax (so its outputs are probabilities, not logits). */
export function outputIsProbability(model: tf.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  const config = last.getConfig() as { activation?: string };
  return config.activation === "softmax" || last.getClassName() === "Softmax";
}

/** The example shape the model takes, without the batch dimension. */
export function modelExampleShape(model: tf.LayersModel): number[] {
  const shape = model.inputs[0].shape.slice(1);
  if (shape.some((d) => d === null || d === undefined)) throw new Error(`model ${model.name} has an unknown input dimension: [${shape}]`);
  return shape as number[];
}

export interface TrackPredictions {
  /** probs[i]: mean of track i's crop probabilities. */
  trackProbs: Float32Array[];
  /** cropProbs[i][j]: probabilities of crop j of track i. */
  cropProbs: Float32Array[][];
  /** embeddings[i]: mean over crops of the penultimate layer's output (when asked). */
  embeddings: Float32Array[] | null;
}

export interface PredictOptions {
  crops: number;
  batchSize: number;
  /** Layer whose (flattened) output is the embedding, or null for none. */
  embeddingLayer?: string | null;
  onProgress?(done: number, total: number): void;
}

/** Predict every example's track-level probabilities (and optionally embeddings) in inference mode. */
export function predictTracks(
  model: tf.LayersModel,
  builder: InputBuilder,
  examples: readonly Example[],
  opts: PredictOptions,
): TrackPredictions {
  const shape = modelExampleShape(model);
  const exampleSize = shape.reduce((a, b) => a * b, 1);
  const softmaxNeeded = !outputIsProbability(model);
  let twoHeaded: tf.LayersModel | null = null;
  if (opts.embeddingLayer) {
    const layer = model.getLayer(opts.embeddingLayer);
    twoHeaded = tf.model({ inputs: model.inputs, outputs: [layer.output as tf.SymbolicTensor, model.outputs[0]] });
  }
  // (track index, crop index) pairs, filled into batches.
  const queue: Array<{ track: number; crop: Float32Array }> = [];
  const cropProbs: Float32Array[][] = examples.map(() => []);
  const embSums: Float64Array[] | null = twoHeaded ? examples.map(() => new Float64Array(0)) : null;
  let next = 0;
  let done = 0;
  const flush = () => {
    const n = queue.length;
    if (n === 0) return;
    const x = new Float32Array(n * exampleSize);
    queue.forEach((q, i) => {
      if (q.crop.length !== exampleSize) throw new Error(`example has ${q.crop.length} values, the model takes ${exampleSize}`);
      x.set(q.crop, i * exampleSize);
    });
    const outs = tf.tidy(() => {
      const xt = tf.tensor(x, [n, ...shape]);
      let out: tf.Tensor;
      let embT: tf.Tensor | null = null;
      if (twoHeaded) {
        const both = twoHeaded.predict(xt) as tf.Tensor[];
        embT = both[0].reshape([n, -1]);
        out = both[1];
      } else {
        out = model.predict(xt) as tf.Tensor;
      }
      if (softmaxNeeded) out = tf.softmax(out);
      return embT ? [out, embT] : [out];
    });
    const probs = outs[0].dataSync() as Float32Array;
    const emb = outs.length > 1 ? (outs[1].dataSync() as Float32Array) : null;
    tf.dispose(outs);
    const k = probs.length / n;
    const d = emb ? emb.length / n : 0;
    queue.forEach((q, i) => {
      cropProbs[q.track].push(probs.slice(i * k, (i + 1) * k));
      if (embSums && emb) {
        if (embSums[q.track].length === 0) embSums[q.track] = new Float64Array(d);
        const sum = embSums[q.track];
        for (let j = 0; j < d; j++) sum[j] += emb[i * d + j];
      }
    });
    queue.length = 0;
  };
  for (const ex of examples) {
    const crops = builder.evaluationExamples(ex.trackId, opts.crops);
    for (const crop of crops) {
      queue.push({ track: next, crop });
      if (queue.length >= opts.batchSize) flush();
    }
    next++;
    done++;
    opts.onProgress?.(done, examples.length);
  }
  flush();
  if (twoHeaded) {
    // The two-headed view shares the model's layers: dispose only what it owns (nothing), not weights.
    twoHeaded = null;
  }
  const trackProbs = cropProbs.map((crops) => {
    const k = crops[0].length;
    const mean = new Float32Array(k);
    for (const c of crops) for (let j = 0; j < k; j++) mean[j] += c[j] / crops.length;
    return mean;
  });
  const embeddings = embSums
    ? embSums.map((sum, i) => Float32Array.from(sum, (v) => v / cropProbs[i].length))
    : null;
  return { trackProbs, cropProbs, embeddings };
}

/** Mean cross-entropy −log p(true) and accuracy of track-level probabilities. */
export function lossAndAccuracy(probs: readonly Float32Array[], labels: readonly number[]): { loss: number; acc: number } {
  let loss = 0;
  let right = 0;
  probs.forEach((p, i) => {
    loss -= Math.log(Math.max(1e-7, p[labels[i]]));
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
    if (best === labels[i]) right++;
  });
  return { loss: probs.length ? loss / probs.length : NaN, acc: probs.length ? right / probs.length : NaN };
}
