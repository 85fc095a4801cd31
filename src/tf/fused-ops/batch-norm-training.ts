// Batch normalisation in training mode as one op with its own gradient. tfjs-layers normalises a training
// batch with tf.moments then tf.batchNorm, so autodiff differentiates through Mean, Sub, Square, Mean and
// the batch norm: ≈20 full-activation passes per layer and step, each single-threaded on wasm, and every
// intermediate kept for the backward pass (the heap a seed_v2_224 batch-16 step overran). Here the forward
// pass reads the activation twice (per-channel sums, then normalise) and the backward pass twice (two
// per-channel sums, then dx), with float64 accumulators. The maths is the composition's exact gradient:
//   x̂ = (x − μ)/σ,  dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)),  σ² biased.
// Channels are the last axis (NHWC, as every zoo model); the layer falls back to tfjs-layers otherwise.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { activeNativeKernels } from "../native-engine";

/** Kernel: {x [..., C], gamma [C], beta [C]}, {epsilon} → [y (x's shape), mean [C], variance [C]]. */
export const BATCH_NORM_TRAINING = "FmalabBatchNormTraining";
/** Kernel: {dy, x, mean, variance, gamma}, {epsilon} → [dx, dgamma, dbeta]. */
export const BATCH_NORM_TRAINING_GRAD = "FmalabBatchNormTrainingGrad";

const BACKENDS = ["wasm", "cpu"] as const;

/** Per-channel mean and biased variance of x viewed as rows × C. */
export function channelMoments(x: Float32Array, channels: number): { mean: Float32Array; variance: Float32Array } {
  const rows = x.length / channels;
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  // Shift by the first row: the sums of squares then do not cancel when |mean| ≫ std.
  const shift = Float64Array.from(x.subarray(0, channels));
  for (let base = 0; base < x.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      const v = x[base + c] - shift[c];
      sum[c] += v;
      sumSq[c] += v * v;
    }
  }
  const mean = new Float32Array(channels);
  const variance = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const m = sum[c] / rows;
    mean[c] = shift[c] + m;
    variance[c] = Math.max(0, sumSq[c] / rows - m * m);
  }
  return { mean, variance };
}

/** y = (x − mean)·γ/√(var + ε) + β, written into `y`. */
export function normaliseChannels(x: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array, beta: Float32Array, epsilon: number, y: Float32Array): void {
  const channels = mean.length;
  const scale = new Float64Array(channels);
  for (let c = 0; c < channels; c++) scale[c] = gamma[c] / Math.sqrt(variance[c] + epsilon);
  for (let base = 0; base < x.length; base += channels) {
    for (let c = 0; c < channels; c++) y[base + c] = (x[base + c] - mean[c]) * scale[c] + beta[c];
  }
}

/** The gradient of normalise(x, moments(x)) for dy: dx into `dx`, and dγ, dβ into theirs. */
export function batchNormTrainingGradient(
  dy: Float32Array,
  x: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  gamma: Float32Array,
  epsilon: number,
  out: { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array },
): void {
  const channels = mean.length;
  const rows = x.length / channels;
  const invStd = new Float64Array(channels);
  for (let c = 0; c < channels; c++) invStd[c] = 1 / Math.sqrt(variance[c] + epsilon);
  const sumDy = new Float64Array(channels);
  const sumDyXc = new Float64Array(channels); // Σ dy·(x − μ)
  for (let base = 0; base < x.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      const g = dy[base + c];
      sumDy[c] += g;
      sumDyXc[c] += g * (x[base + c] - mean[c]);
    }
  }
  // dx = a·dy + b·(x − μ) + d per channel.
  const a = new Float64Array(channels);
  const b = new Float64Array(channels);
  const d = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    out.dbeta[c] = sumDy[c];
    out.dgamma[c] = sumDyXc[c] * invStd[c];
    a[c] = gamma[c] * invStd[c];
    b[c] = -a[c] * invStd[c] * invStd[c] * (sumDyXc[c] / rows);
    d[c] = -a[c] * (sumDy[c] / rows);
  }
  const dx = out.dx;
  for (let base = 0; base < x.length; base += channels) {
    for (let c = 0; c < channels; c++) dx[base + c] = a[c] * dy[base + c] + b[c] * (x[base + c] - mean[c]) + d[c];
  }
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap };

/** Float32 views of inputs and fresh outputs on one backend (wasm: the heap; cpu: its arrays). */
interface Memory {
  output(shape: number[]): tf.TensorInfo;
  /** Views of tensors; take them after every output is made (a wasm heap may grow and detach older views). */
  view(t: tf.TensorInfo): Float32Array;
}

function memoryOf(backend: tf.KernelBackend, backendName: (typeof BACKENDS)[number]): Memory {
  if (backendName === "wasm") {
    const wasm = backend as BackendWasm;
    return { output: (shape) => wasm.makeOutput(shape, "float32"), view: (t) => wasm.typedArrayFromHeap(t) as Float32Array };
  }
  // cpu: outputs are allocated as JS arrays and handed to the backend.
  const cpu = backend as tf.KernelBackend & { data: { get(id: tf.DataId): { values: Float32Array } }; makeTensorInfo(shape: number[], dtype: "float32", values: Float32Array): tf.TensorInfo };
  return {
    output: (shape) => cpu.makeTensorInfo(shape, "float32", new Float32Array(shape.reduce((n, s) => n * s, 1))),
    view: (t) => cpu.data.get(t.dataId).values,
  };
}

function forwardKernel(backendName: (typeof BACKENDS)[number]): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { x, gamma, beta } = args.inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
    const epsilon = args.attrs.epsilon as number;
    const channels = x.shape[x.shape.length - 1];
    const mem = memoryOf(args.backend, backendName);
    const y = mem.output(x.shape);
    const mean = mem.output([channels]);
    const variance = mem.output([channels]);
    const native = backendName === "wasm" ? activeNativeKernels() : null;
    const [xs, ys, means, variances] = [mem.view(x), mem.view(y), mem.view(mean), mem.view(variance)];
    if (native) {
      native.bnMoments(xs, channels, means, variances);
      native.bnNormalise(xs, means, variances, mem.view(gamma), mem.view(beta), epsilon, ys);
    } else {
      const moments = channelMoments(xs, channels);
      means.set(moments.mean);
      variances.set(moments.variance);
      normaliseChannels(xs, means, variances, mem.view(gamma), mem.view(beta), epsilon, ys);
    }
    return [y, mean, variance];
  }) as unknown as tf.KernelFunc;
}

function gradientKernel(backendName: (typeof BACKENDS)[number]): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { dy, x, mean, variance, gamma } = args.inputs as Record<"dy" | "x" | "mean" | "variance" | "gamma", tf.TensorInfo>;
    const channels = x.shape[x.shape.length - 1];
    const mem = memoryOf(args.backend, backendName);
    const dx = mem.output(x.shape);
    const dgamma = mem.output([channels]);
    const dbeta = mem.output([channels]);
    const epsilon = args.attrs.epsilon as number;
    const native = backendName === "wasm" ? activeNativeKernels() : null;
    const v = { dy: mem.view(dy), x: mem.view(x), mean: mem.view(mean), variance: mem.view(variance), gamma: mem.view(gamma) };
    const out = { dx: mem.view(dx), dgamma: mem.view(dgamma), dbeta: mem.view(dbeta) };
    if (native) native.bnGrad(v.dy, v.x, v.mean, v.variance, v.gamma, epsilon, out.dx, out.dgamma, out.dbeta);
    else batchNormTrainingGradient(v.dy, v.x, v.mean, v.variance, v.gamma, epsilon, out);
    return [dx, dgamma, dbeta];
  }) as unknown as tf.KernelFunc;
}

const gradConfig: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAINING,
  inputsToSave: ["x", "gamma"],
  outputsToSave: [false, true, true],
  gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [x, gamma, mean, variance] = saved;
    // Only y reaches a loss (mean and variance feed the moving averages, which are not differentiated).
    const dy = (Array.isArray(dys) ? dys[0] : dys) ?? tf.zerosLike(x);
    const [dx, dgamma, dbeta] = tf.engine().runKernel(BATCH_NORM_TRAINING_GRAD, { dy, x, mean, variance, gamma }, attrs) as tf.Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
};

/** Register both kernels on wasm and cpu, and the gradient (idempotent). */
export function registerBatchNormTraining(): void {
  for (const backendName of BACKENDS) {
    if (!tf.getKernel(BATCH_NORM_TRAINING, backendName)) tf.registerKernel({ kernelName: BATCH_NORM_TRAINING, backendName, kernelFunc: forwardKernel(backendName) });
    if (!tf.getKernel(BATCH_NORM_TRAINING_GRAD, backendName)) tf.registerKernel({ kernelName: BATCH_NORM_TRAINING_GRAD, backendName, kernelFunc: gradientKernel(backendName) });
  }
  tf.registerGradient(gradConfig);
}

/**
 * Whether to use the fused op now: on cpu always; on wasm when the native kernels are active (without them
 * the wasm path stays tfjs-layers' composition, whose passes run in the package's C kernels, as before).
 */
export function batchNormTrainingAvailable(): boolean {
  const backend = tf.getBackend();
  if (tf.getKernel(BATCH_NORM_TRAINING, backend) == null) return false;
  return backend === "cpu" || (backend === "wasm" && activeNativeKernels() != null);
}

/**
 * Normalise a training batch over every axis but the last: [y, batch mean, batch (biased) variance], as
 * tfjs-layers' normalizeBatchInTraining returns them, differentiable in x, gamma and beta.
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  if (x.dtype !== "float32") x = tf.cast(x, "float32");
  return tf.engine().runKernel(BATCH_NORM_TRAINING, { x, gamma, beta }, { epsilon }) as unknown as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
}
