// Saliency maps for the zoo's models: which time–frequency cells of the input moved the class score.
// Vanilla gradient (Simonyan et al. 2014), SmoothGrad (Smilkov et al. 2017), Grad-CAM (Selvaraju et al.
// 2017) and Integrated Gradients (Sundararajan et al. 2017). Every map is a Float32Array of the model
// input's height × width, row-major, in the input's own layout: for log-mel models row 0 is the lowest mel
// band (normalisedLogMel), so a map overlays the log-mel crop directly (spectrogramFigure's overlay).
//
// The score explained is the class logit: when the model ends in a Dense layer with a softmax, the softmax
// is skipped (softmax gradients vanish once the model is confident); other models use log p(class).
// Models are executed layer by layer from our own tensors (the "graph executor" below), which is what lets
// Grad-CAM start the forward pass at the conv layer's output. Gradients work on every backend; on wasm
// they need our training kernels, which initBackend() registers.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../util/random";

/** What a saliency method needs to know about the input: a tensor [H, W, C] (or [1, H, W, C]) or raw values. */
export type SaliencyInput = tf.Tensor | Float32Array;

// ------------------------------------------------------------------ graph execution

interface SymbolicLike {
  id: number;
  shape: Array<number | null>;
}
interface NodeLike {
  inputTensors: SymbolicLike[];
  outputTensors: SymbolicLike[];
}
interface LayerInternals {
  name: string;
  inboundNodes: NodeLike[];
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor | tf.Tensor[];
  getWeights(): tf.Tensor[];
}

/** The node through which `layer` takes part in `model` (the first one whose outputs the model knows). */
function nodeOf(layer: LayerInternals): NodeLike {
  const nodes = layer.inboundNodes;
  if (!nodes || nodes.length === 0) throw new Error(`saliency: layer ${layer.name} has no inbound node (not part of a functional model?)`);
  return nodes[0];
}

function isSoftmaxDense(layer: LayerInternals): boolean {
  return layer.getClassName() === "Dense" && (layer.getConfig() as { activation?: string }).activation === "softmax";
}

/**
 * Run `model` from a known symbolic tensor (`startId`, e.g. the input or a conv layer's output) holding
 * `value`, layer by layer in inference mode, and return the class scores [batch, classes]: logits when
 * the last layer is a softmax Dense, else log of the output. Layers that need tensors not computable from
 * the start point raise a clear error. Call inside tf.tidy / tf.grad.
 */
function runFrom(model: tf.LayersModel, startId: number, value: tf.Tensor, startLayerIndex: number): tf.Tensor {
  const values = new Map<number, tf.Tensor>();
  values.set(startId, value);
  const layers = model.layers as unknown as LayerInternals[];
  const outputIds = model.outputs.map((o) => (o as unknown as SymbolicLike).id);
  const last = layers[layers.length - 1];
  for (let i = startLayerIndex; i < layers.length; i++) {
    const layer = layers[i];
    if (layer.getClassName() === "InputLayer") continue;
    const node = nodeOf(layer);
    const inputs: tf.Tensor[] = [];
    let available = true;
    for (const t of node.inputTensors) {
      const v = values.get(t.id);
      if (!v) {
        available = false;
        break;
      }
      inputs.push(v);
    }
    if (!available) {
      // A branch that does not depend on the start point cannot be recomputed from it.
      const missing = node.inputTensors.filter((t) => !values.has(t.id));
      if (missing.length === node.inputTensors.length) continue;
      throw new Error(
        `saliency: layer ${layer.name} needs a tensor that is not computed from the start layer; ` +
          `choose a layer every later path goes through (e.g. the block's merge/activation layer)`,
      );
    }
    let out: tf.Tensor | tf.Tensor[];
    if (layer === last && isSoftmaxDense(layer)) {
      const [kernel, bias] = layer.getWeights();
      const x = inputs[0];
      out = bias ? tf.add(tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D), bias) : tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D);
      values.set(node.outputTensors[0].id, out);
      return out;
    }
    out = layer.apply(inputs.length === 1 ? inputs[0] : inputs, { training: false });
    const outs = Array.isArray(out) ? out : [out];
    node.outputTensors.forEach((t, j) => values.set(t.id, outs[j]));
  }
  const result = values.get(outputIds[0]);
  if (!result) throw new Error(`saliency: the model's output was not reached from the start layer`);
  return tf.log(tf.maximum(result, 1e-12));
}

function layerIndex(model: tf.LayersModel, name: string): number {
  const i = model.layers.findIndex((l) => l.name === name);
  if (i < 0) throw new Error(`saliency: model ${model.name} has no layer "${name}" (layers: ${model.layers.map((l) => l.name).join(", ")})`);
  return i;
}

/** The input as a [1, H, W, C] (or [1, ...shape]) float tensor matching the model's input shape. */
function inputBatch(model: tf.LayersModel, input: SaliencyInput): tf.Tensor {
  const shape = model.inputs[0].shape.slice(1) as number[];
  if (shape.some((d) => d == null)) throw new Error(`saliency: model ${model.name} has an unknown input dimension [${shape}]`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (input instanceof Float32Array) {
    if (input.length !== size) throw new RangeError(`saliency: input has ${input.length} values, model ${model.name} takes [${shape}] = ${size}`);
    return tf.tensor(input, [1, ...shape]);
  }
  if (input.size !== size) throw new RangeError(`saliency: input tensor [${input.shape}] does not fit model input [${shape}]`);
  return tf.reshape(input, [1, ...shape]);
}

/** Height and width of the model input (features-only models: 1 × dim). */
function mapShape(model: tf.LayersModel): { height: number; width: number; channels: number } {
  const shape = model.inputs[0].shape.slice(1) as number[];
  if (shape.length === 3) return { height: shape[0], width: shape[1], channels: shape[2] };
  if (shape.length === 2) return { height: shape[0], width: shape[1], channels: 1 };
  return { height: 1, width: shape[0], channels: 1 };
}

function checkClass(model: tf.LayersModel, classIndex: number): void {
  const k = (model.outputs[0].shape as number[])[model.outputs[0].shape.length - 1];
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= k) {
    throw new RangeError(`saliency: class index ${classIndex} out of range for ${k} classes`);
  }
}

/** Σ over the batch of scores[:, classIndex], as a one-hot product (gather's gradient has no wasm kernel). */
function selectClass(scores: tf.Tensor, classIndex: number): tf.Scalar {
  const k = scores.shape[scores.shape.length - 1];
  const mask = tf.oneHot(tf.tensor1d([classIndex], "int32"), k);
  return tf.sum(tf.mul(scores, mask));
}

/** Run `fn`; a missing-gradient-kernel error on wasm gets the fix appended (initBackend registers them). */
function withKernelHint<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const message = (err as Error).message ?? "";
    if (/not registered for backend 'wasm'/.test(message)) {
      throw new Error(`${message} — saliency needs gradients: call \`await initBackend()\` (src/tf) first, which registers the wasm training kernels`);
    }
    throw err;
  }
}

/** Gradient of the class score w.r.t. each input of a batch [B, ...] (sum over the batch: rows are independent). */
function inputGradients(model: tf.LayersModel, batch: tf.Tensor, classIndex: number): tf.Tensor {
  const inputId = (model.inputs[0] as unknown as SymbolicLike).id;
  const f = (x: tf.Tensor) => selectClass(runFrom(model, inputId, x, 0), classIndex);
  return withKernelHint(() => tf.grad(f)(batch));
}

/** Reduce [H, W, C] values to an H×W map: max |·| over channels (or signed sum with `signedSum`). */
function channelReduce(values: Float32Array, height: number, width: number, channels: number, signedSum = false): Float32Array {
  const out = new Float32Array(height * width);
  for (let p = 0; p < height * width; p++) {
    let acc = 0;
    for (let c = 0; c < channels; c++) {
      const v = values[p * channels + c];
      if (signedSum) acc += v;
      else if (Math.abs(v) > acc) acc = Math.abs(v);
    }
    out[p] = acc;
  }
  return out;
}

// ------------------------------------------------------------------ methods

/** |∂score/∂input| per cell (max over channels). */
export function vanillaGradient(model: tf.LayersModel, input: SaliencyInput, classIndex: number): Float32Array {
  checkClass(model, classIndex);
  const { height, width, channels } = mapShape(model);
  const grad = tf.tidy(() => inputGradients(model, inputBatch(model, input), classIndex));
  const values = grad.dataSync() as Float32Array;
  grad.dispose();
  return channelReduce(values, height, width, channels);
}

export interface SmoothGradOptions {
  /** Noisy copies averaged (default 16). */
  samples?: number;
  /** Noise σ as a fraction of the input's value range (max − min; default 0.15 as in Smilkov et al.). */
  noiseStd?: number;
  seed?: number;
  /** Copies per forward/backward pass (default 8). */
  batchSize?: number;
}

/** SmoothGrad: mean of |gradient| over `samples` copies of the input with Gaussian noise. */
export function smoothGrad(model: tf.LayersModel, input: SaliencyInput, classIndex: number, opts: SmoothGradOptions = {}): Float32Array {
  checkClass(model, classIndex);
  const samples = opts.samples ?? 16;
  const batchSize = Math.max(1, opts.batchSize ?? 8);
  const rng = new Rng(opts.seed ?? 0);
  const { height, width, channels } = mapShape(model);
  const base = tf.tidy(() => inputBatch(model, input));
  const x = base.dataSync() as Float32Array;
  const shape = base.shape.slice(1);
  base.dispose();
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  const sigma = (opts.noiseStd ?? 0.15) * (hi > lo ? hi - lo : 1);
  const acc = new Float32Array(height * width);
  for (let done = 0; done < samples; done += batchSize) {
    const b = Math.min(batchSize, samples - done);
    const noisy = new Float32Array(b * x.length);
    for (let s = 0; s < b; s++) for (let i = 0; i < x.length; i++) noisy[s * x.length + i] = x[i] + sigma * rng.normal();
    const grad = tf.tidy(() => inputGradients(model, tf.tensor(noisy, [b, ...shape]), classIndex));
    const g = grad.dataSync() as Float32Array;
    grad.dispose();
    for (let s = 0; s < b; s++) {
      const m = channelReduce(g.subarray(s * x.length, (s + 1) * x.length), height, width, channels);
      for (let p = 0; p < m.length; p++) acc[p] += m[p] / samples;
    }
  }
  return acc;
}

export interface IntegratedGradientsOptions {
  /** Riemann steps along the straight path (default 32; midpoint rule). */
  steps?: number;
  /** Baseline input (default zeros: the −80 dB floor of the normalised log-mel). */
  baseline?: SaliencyInput;
  batchSize?: number;
}

/**
 * Integrated Gradients: (x − x′) · mean over the path x′ + α(x − x′) of ∂score/∂x, summed over channels.
 * Signed. Completeness: the map sums to ≈ score(x) − score(x′) (see `classScore`).
 */
export function integratedGradients(
  model: tf.LayersModel,
  input: SaliencyInput,
  classIndex: number,
  opts: IntegratedGradientsOptions = {},
): Float32Array {
  checkClass(model, classIndex);
  const steps = opts.steps ?? 32;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`integratedGradients: steps must be a positive integer, got ${steps}`);
  const batchSize = Math.max(1, opts.batchSize ?? 8);
  const { height, width, channels } = mapShape(model);
  const xt = tf.tidy(() => inputBatch(model, input));
  const shape = xt.shape.slice(1);
  const x = Float32Array.from(xt.dataSync() as Float32Array);
  xt.dispose();
  let x0: Float32Array;
  if (opts.baseline) {
    const bt = tf.tidy(() => inputBatch(model, opts.baseline!));
    x0 = Float32Array.from(bt.dataSync() as Float32Array);
    bt.dispose();
  } else {
    x0 = new Float32Array(x.length);
  }
  const meanGrad = new Float64Array(x.length);
  for (let done = 0; done < steps; done += batchSize) {
    const b = Math.min(batchSize, steps - done);
    const path = new Float32Array(b * x.length);
    for (let s = 0; s < b; s++) {
      const alpha = (done + s + 0.5) / steps;
      for (let i = 0; i < x.length; i++) path[s * x.length + i] = x0[i] + alpha * (x[i] - x0[i]);
    }
    const grad = tf.tidy(() => inputGradients(model, tf.tensor(path, [b, ...shape]), classIndex));
    const g = grad.dataSync() as Float32Array;
    grad.dispose();
    for (let s = 0; s < b; s++) for (let i = 0; i < x.length; i++) meanGrad[i] += g[s * x.length + i] / steps;
  }
  const attribution = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) attribution[i] = (x[i] - x0[i]) * meanGrad[i];
  return channelReduce(attribution, height, width, channels, true);
}

/** The score the methods explain (logit, or log-probability for non-softmax-dense heads) of one input. */
export function classScore(model: tf.LayersModel, input: SaliencyInput, classIndex: number): number {
  checkClass(model, classIndex);
  const inputId = (model.inputs[0] as unknown as SymbolicLike).id;
  const s = tf.tidy(() => runFrom(model, inputId, inputBatch(model, input), 0).dataSync()[classIndex]);
  return s;
}

/** Bilinear resize of a [h, w] map to [H, W] (align-corners=false, like image resizing). */
export function resizeMapBilinear(map: Float32Array, h: number, w: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(h - 1, Math.max(0, ((y + 0.5) * h) / outH - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(h - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < outW; x++) {
      const sx = Math.min(w - 1, Math.max(0, ((x + 0.5) * w) / outW - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(w - 1, x0 + 1);
      const fx = sx - x0;
      const top = map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx;
      const bottom = map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx;
      out[y * outW + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

// Sub-models from the input to a layer, per model (building one costs a graph traversal).
const featureModels = new WeakMap<tf.LayersModel, Map<string, tf.LayersModel>>();
function featureModel(model: tf.LayersModel, idx: number, layerName: string): tf.LayersModel {
  let byLayer = featureModels.get(model);
  if (!byLayer) {
    byLayer = new Map();
    featureModels.set(model, byLayer);
  }
  let sub = byLayer.get(layerName);
  if (!sub) {
    sub = tf.model({ inputs: model.inputs, outputs: model.layers[idx].output as tf.SymbolicTensor, name: `${model.name}_to_${layerName}` });
    byLayer.set(layerName, sub);
  }
  return sub;
}

export interface GradCamOptions {
  /** Layer whose output is the feature map (default: the zoo spec's lastConvLayer, passed as `layerName`). */
  layerName?: string;
}

/**
 * Grad-CAM: ReLU(Σ_k α_k A_k) with α_k the spatial mean of ∂score/∂A_k, A = the conv layer's output,
 * bilinearly upsampled to the input's H × W. 1-D conv outputs ([T, C], e.g. timeconv1d) give a map over
 * time that is constant across bands. The model is split at the layer: a sub-model computes A, the rest of
 * the graph is run from A.
 */
export function gradCam(model: tf.LayersModel, input: SaliencyInput, classIndex: number, opts: GradCamOptions = {}): Float32Array {
  checkClass(model, classIndex);
  const layerName = opts.layerName;
  if (!layerName) throw new Error("gradCam: pass layerName (MODEL_ZOO[name].lastConvLayer / lastConvLayerName(name))");
  const idx = layerIndex(model, layerName);
  const layer = model.layers[idx] as unknown as LayerInternals;
  const convSymbolic = nodeOf(layer).outputTensors[0];
  const { height, width } = mapShape(model);
  const features = featureModel(model, idx, layerName);
  const result = tf.tidy(() => {
    const a = features.apply(inputBatch(model, input), { training: false }) as tf.Tensor;
    const f = (act: tf.Tensor) => selectClass(runFrom(model, convSymbolic.id, act, idx + 1), classIndex);
    const g = withKernelHint(() => tf.grad(f)(a));
    const spatialAxes = a.rank === 4 ? [1, 2] : [1];
    const alpha = tf.mean(g, spatialAxes, true); // [1, 1, 1, C] or [1, 1, C]
    const cam = tf.relu(tf.sum(tf.mul(a, alpha), -1)); // [1, h, w] or [1, T]
    return { cam: cam.dataSync() as Float32Array, shape: a.shape };
  });
  if (result.shape.length === 4) {
    const [, h, w] = result.shape as number[];
    return resizeMapBilinear(result.cam, h, w, height, width);
  }
  if (result.shape.length === 3) {
    // [1, T, C]: a map over time (timeconv1d transposes so time runs along the input's width).
    const t = result.shape[1];
    const overTime = resizeMapBilinear(result.cam, 1, t, 1, width);
    const out = new Float32Array(height * width);
    for (let y = 0; y < height; y++) out.set(overTime, y * width);
    return out;
  }
  throw new Error(`gradCam: layer ${layerName} outputs rank ${result.shape.length}; need a conv feature map ([h, w, C] or [T, C])`);
}

// ------------------------------------------------------------------ per-genre averages

export type SaliencyMethod = (model: tf.LayersModel, input: SaliencyInput, classIndex: number) => Float32Array;

export interface SaliencyClip {
  input: SaliencyInput;
  /** Index of the true class. */
  trueIndex: number;
  /** Index of the predicted class (default: computed with the model). */
  predIndex?: number;
}

export interface GenreSaliency {
  genre: string;
  /** Clips averaged. */
  count: number;
  /** Mean of the per-clip maps, each scaled to max |value| = 1 first so every clip weighs the same. */
  map: Float32Array;
}

export interface SaliencyPerGenre {
  height: number;
  width: number;
  /** Clips grouped by true genre (maps explain the predicted class: what the model used). */
  byTrue: GenreSaliency[];
  /** Clips grouped by predicted genre. */
  byPredicted: GenreSaliency[];
}

/**
 * Average saliency over clips grouped by true and by predicted genre. Each clip's map explains the class
 * named by `target` ("predicted", default: the evidence the model used; or "true").
 */
export function saliencyPerGenre(
  model: tf.LayersModel,
  clips: readonly SaliencyClip[],
  classes: readonly string[],
  method: SaliencyMethod,
  opts: { target?: "predicted" | "true" } = {},
): SaliencyPerGenre {
  const { height, width } = mapShape(model);
  const size = height * width;
  const sums = {
    byTrue: classes.map(() => ({ n: 0, acc: new Float64Array(size) })),
    byPredicted: classes.map(() => ({ n: 0, acc: new Float64Array(size) })),
  };
  for (const clip of clips) {
    if (!Number.isInteger(clip.trueIndex) || clip.trueIndex < 0 || clip.trueIndex >= classes.length) {
      throw new RangeError(`saliencyPerGenre: true class index ${clip.trueIndex} out of range for ${classes.length} classes`);
    }
    const pred =
      clip.predIndex ??
      tf.tidy(() => {
        const p = model.predict(inputBatch(model, clip.input)) as tf.Tensor;
        return p.argMax(-1).dataSync()[0];
      });
    const target = (opts.target ?? "predicted") === "predicted" ? pred : clip.trueIndex;
    const map = method(model, clip.input, target);
    let peak = 0;
    for (let i = 0; i < size; i++) peak = Math.max(peak, Math.abs(map[i]));
    const scale = peak > 0 ? 1 / peak : 0;
    for (const [group, k] of [[sums.byTrue, clip.trueIndex], [sums.byPredicted, pred]] as const) {
      group[k].n++;
      for (let i = 0; i < size; i++) group[k].acc[i] += map[i] * scale;
    }
  }
  const finish = (group: { n: number; acc: Float64Array }[]): GenreSaliency[] =>
    group.map((g, k) => ({ genre: classes[k], count: g.n, map: Float32Array.from(g.acc, (v) => (g.n ? v / g.n : 0)) }));
  return { height, width, byTrue: finish(sums.byTrue), byPredicted: finish(sums.byPredicted) };
}

// ------------------------------------------------------------------ comparing maps

/** Ranks 1…n with ties given their average rank. */
function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const r = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k]] = avg;
    i = j + 1;
  }
  return r;
}

/** Spearman rank correlation of two maps (Adebayo et al.'s similarity measure for the randomisation test). */
export function spearmanCorrelation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`spearmanCorrelation: lengths ${a.length} and ${b.length} differ`);
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += ra[i] / n;
    mb += rb[i] / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) ** 2;
    sbb += (rb[i] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** Share of a map's total |mass| that lies in rows [rowStart, rowEnd) (e.g. a band of mel bins). */
export function rowMassFraction(map: ArrayLike<number>, height: number, width: number, rowStart: number, rowEnd: number): number {
  let inside = 0;
  let total = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = Math.abs(map[y * width + x]);
      total += v;
      if (y >= rowStart && y < rowEnd) inside += v;
    }
  }
  return total > 0 ? inside / total : 0;
}

/**
 * The `windowFrames`-frame stretch of time holding the most saliency (a map nMels × nFrames, row-major):
 * its start frame and its share of the map's total |mass|. For listening to what the model looked at.
 */
export function mostSalientWindow(map: ArrayLike<number>, nMels: number, nFrames: number, windowFrames: number): { startFrame: number; share: number } {
  const w = Math.max(1, Math.min(nFrames, Math.round(windowFrames)));
  const column = new Float64Array(nFrames);
  let total = 0;
  for (let m = 0; m < nMels; m++) {
    for (let t = 0; t < nFrames; t++) column[t] += Math.abs(map[m * nFrames + t]);
  }
  for (let t = 0; t < nFrames; t++) total += column[t];
  let sum = 0;
  for (let t = 0; t < w; t++) sum += column[t];
  let best = sum;
  let bestStart = 0;
  for (let t = w; t < nFrames; t++) {
    sum += column[t] - column[t - w];
    if (sum > best) {
      best = sum;
      bestStart = t - w + 1;
    }
  }
  return { startFrame: bestStart, share: total > 0 ? best / total : 0 };
}
