// Data-parallel training on one machine. The wasm backend computes on one core in Node (no wasm threads
// there), so with R replicas a batch is split into R shards: the main thread computes shard 0 on its own
// model while R − 1 worker threads (each with its own tfjs engine, wasm heap and model replica) compute the
// others; the gradients are combined as Σ W_s·g_s / Σ W_s (W_s = the shard's loss weight), which is the
// whole batch's gradient, and the caller takes one optimizer step. Before every step the replicas receive
// the current weights through shared memory, so they never drift.
//
// What differs from one replica on the whole batch, as in PyTorch's DistributedDataParallel without
// SyncBatchNorm: batch-norm normalises each shard with its own batch statistics (the moving averages are
// the main shard's; training recalibrates them after every epoch anyway), and each shard draws its own
// dropout masks. Results are deterministic for a given replica count, and differ between counts.
// Separate wasm heaps also let a big model take batches whose activations overflow one 4 GiB heap.
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { initBackend, type BackendName } from "../tf/backend";
import { computeSettings, type ComputeSettings } from "../native/settings";
import { defaultBlasThreads } from "../native/blas";
import type { ModelBuildOptions } from "../models/spec";
import { batchGradients, dropoutLayers, lossWeight } from "./step";

export interface ReplicaSetup {
  /** Zoo model name and the exact build options of the main model (same architecture in every replica). */
  model: string;
  build: ModelBuildOptions;
  backend: BackendName;
  /** Worker threads to start (replicas − 1: the main thread is replica 0). */
  workers: number;
  classWeights: number[] | null;
  outputIsProb: boolean;
}

/** Worker → main messages. */
export type ReplicaMessage =
  | { type: "ready" }
  | { type: "done"; step: number; loss: number; hits: number }
  | { type: "error"; message: string };

/** Main → worker: compute shard `step`'s gradient into the worker's gradient buffer. */
export interface ReplicaStep {
  type: "step";
  step: number;
  x: Float32Array;
  y: Float32Array;
  n: number;
  dropoutSeeds: number[];
}

export interface ReplicaWorkerData {
  kind: "fmalab-grad-worker";
  setup: ReplicaSetup;
  layout: Array<[string, number[]]>;
  weights: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  /** The main thread's compute settings (the worker applies them first), BLAS threads per replica. */
  compute: ComputeSettings;
}

/** BLAS threads per replica: the cores shared out (the BLAS's thread count is one per process). */
export function blasThreadsPerReplica(replicas: number): number {
  return computeSettings().blasThreads ?? Math.max(1, Math.floor(defaultBlasThreads() / replicas));
}

interface ReplicaWorker {
  worker: Worker;
  grads: Float32Array;
  pending: { resolve(m: { loss: number; hits: number }): void; reject(e: Error): void } | null;
  failed: Error | null;
}

export interface ParallelStep {
  loss: number;
  hits: number;
  /** Combined gradient, by variable name; the caller disposes it. */
  grads: tf.NamedTensorMap;
  /** Shards the batch was split into (fewer than the replicas for a batch too small to share). */
  shards: number;
}

/**
 * Copy a float32 tensor's values into dst at offset. On wasm straight from the backend's heap: dataSync
 * would allocate a fresh copy first, which for the seed's 411 MB dense kernel costs more than the copy.
 */
export function copyTensorInto(t: tf.Tensor, dst: Float32Array, offset: number): void {
  const backend = tf.backend() as unknown as { typedArrayFromHeap?(t: tf.TensorInfo): Float32Array };
  if (t.dtype === "float32" && tf.getBackend() === "wasm" && typeof backend.typedArrayFromHeap === "function") {
    dst.set(backend.typedArrayFromHeap(t), offset);
  } else {
    dst.set(t.dataSync() as Float32Array, offset);
  }
}

/** Shapes of the trainable variables, in order: replicas check theirs against it. */
export function variableLayout(vars: tf.Variable[]): Array<[string, number[]]> {
  return vars.map((v) => [v.name, v.shape.slice()]);
}

/**
 * Shard boundaries of a batch of n examples over at most `replicas` shards, each with ≥ 2 examples
 * where the batch allows (batch norm needs two to have a variance): [start, end) per shard.
 */
export function shardRanges(n: number, replicas: number): Array<[number, number]> {
  const shards = Math.max(1, Math.min(replicas, Math.floor(n / 2)));
  const out: Array<[number, number]> = [];
  for (let s = 0; s < shards; s++) out.push([Math.floor((s * n) / shards), Math.floor(((s + 1) * n) / shards)]);
  return out;
}

export class GradientReplicas {
  private readonly workers: ReplicaWorker[] = [];
  private readonly weights: Float32Array;
  private readonly offsets: number[];
  private step = 0;
  private scratch: Float32Array | null = null;

  private constructor(
    private readonly trainVars: tf.Variable[],
    private readonly setup: ReplicaSetup,
    private readonly classWeightTensor: tf.Tensor1D | null,
  ) {
    this.offsets = [];
    let total = 0;
    for (const v of trainVars) {
      this.offsets.push(total);
      total += v.size;
    }
    this.weights = new Float32Array(new SharedArrayBuffer(total * 4));
  }

  /** Replicas in all (worker threads + the main thread). */
  get replicas(): number {
    return this.workers.length + 1;
  }

  /** Start `setup.workers` replica threads for the model whose trainable variables are `trainVars`. */
  static async start(trainVars: tf.Variable[], setup: ReplicaSetup): Promise<GradientReplicas> {
    const cw = setup.classWeights ? tf.keep(tf.tensor1d(setup.classWeights)) : null;
    const r = new GradientReplicas(trainVars, setup, cw);
    const layout = variableLayout(trainVars);
    // The replicas share the cores: each computes with its share of the BLAS threads.
    if (setup.workers > 0) await initBackend({ backend: setup.backend, threads: blasThreadsPerReplica(setup.workers + 1), log: false });
    try {
      await Promise.all(Array.from({ length: setup.workers }, (_, i) => r.startWorker(i + 1, layout)));
    } catch (err) {
      await r.close();
      throw err;
    }
    return r;
  }

  private startWorker(index: number, layout: Array<[string, number[]]>): Promise<void> {
    const grads = new SharedArrayBuffer(this.weights.length * 4);
    const compute = { ...computeSettings(), backend: this.setup.backend, blasThreads: blasThreadsPerReplica(this.setup.workers + 1) };
    const data: ReplicaWorkerData = { kind: "fmalab-grad-worker", setup: this.setup, layout, weights: this.weights.buffer as SharedArrayBuffer, grads, compute };
    // The .cjs registers tsx in the thread, so this works from tsx, node --import tsx and a tslab kernel.
    const worker = new Worker(path.join(__dirname, "grad-worker.cjs"), { execArgv: [], workerData: data });
    const rw: ReplicaWorker = { worker, grads: new Float32Array(grads), pending: null, failed: null };
    this.workers.push(rw);
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const fail = (err: Error) => {
        rw.failed = err;
        if (!ready) reject(err);
        rw.pending?.reject(err);
        rw.pending = null;
      };
      worker.on("message", (m: ReplicaMessage) => {
        if (m.type === "ready") {
          ready = true;
          resolve();
        } else if (m.type === "done") {
          const p = rw.pending;
          rw.pending = null;
          p?.resolve({ loss: m.loss, hits: m.hits });
        } else if (m.type === "error") {
          fail(new Error(`gradient replica ${index}: ${m.message}`));
        }
      });
      worker.on("error", (err) => fail(new Error(`gradient replica ${index} crashed: ${err.message}`)));
      worker.on("exit", (code) => {
        if (code !== 0 && !rw.failed) fail(new Error(`gradient replica ${index} exited with code ${code}`));
      });
    });
  }

  /**
   * The gradient of the batch (x: n examples of `exampleShape`, y: n × k soft labels) for `model`,
   * split over the replicas. `dropoutSeeds()` gives one seed per Dropout layer for each shard's step.
   */
  async gradients(
    model: tf.LayersModel,
    x: Float32Array,
    y: Float32Array,
    n: number,
    exampleShape: number[],
    dropoutSeeds: () => number[],
  ): Promise<ParallelStep> {
    const k = y.length / n;
    const size = x.length / n;
    const ranges = shardRanges(n, this.replicas);
    const step = ++this.step;
    // Current weights → shared memory (written before the step messages are posted); a batch too
    // small to share stays here.
    if (ranges.length > 1) this.trainVars.forEach((v, i) => copyTensorInto(v, this.weights, this.offsets[i]));
    const mainSeeds = dropoutSeeds();
    const remote = ranges.slice(1).map(([a, b], s) => {
      const rw = this.workers[s];
      if (rw.failed) throw rw.failed;
      const msg: ReplicaStep = { type: "step", step, x: x.slice(a * size, b * size), y: y.slice(a * k, b * k), n: b - a, dropoutSeeds: dropoutSeeds() };
      return new Promise<{ loss: number; hits: number }>((resolve, reject) => {
        rw.pending = { resolve, reject };
        rw.worker.postMessage(msg, [msg.x.buffer, msg.y.buffer]);
      });
    });
    // Shard 0 here, while the workers compute theirs.
    const [a0, b0] = ranges[0];
    dropoutLayers(model).forEach((d, j) => (d.seed = mainSeeds[j]));
    const own = batchGradients(
      model,
      this.trainVars,
      ranges.length === 1 ? x : x.subarray(a0 * size, b0 * size),
      ranges.length === 1 ? y : y.subarray(a0 * k, b0 * k),
      b0 - a0,
      exampleShape,
      this.classWeightTensor,
      this.setup.outputIsProb,
    );
    let results: Array<{ loss: number; hits: number }>;
    try {
      results = await Promise.all(remote);
    } catch (err) {
      for (const g of Object.values(own.grads)) g.dispose();
      throw err;
    }
    if (ranges.length === 1) return { ...own, shards: 1 };
    const weights = ranges.map(([a, b]) => lossWeight(y.subarray(a * k, b * k), b - a, k, this.setup.classWeights));
    const total = weights.reduce((s, w) => s + w, 0);
    let loss = (weights[0] * own.loss) / total;
    let hits = own.hits;
    results.forEach((r, s) => {
      loss += (weights[s + 1] * r.loss) / total;
      hits += r.hits;
    });
    // Combine variable by variable in one scratch buffer: the main wasm heap never holds more than one
    // extra variable's worth.
    const grads: tf.NamedTensorMap = {};
    // Kept between steps: a fresh 400 MB array would cost a page-fault storm every step.
    this.scratch ??= new Float32Array(Math.max(...this.trainVars.map((v) => v.size)));
    const scratch = this.scratch;
    const w = weights.map((ws) => ws / total);
    this.trainVars.forEach((v, i) => {
      const size = v.size;
      const g0 = own.grads[v.name];
      copyTensorInto(g0, scratch, 0);
      g0.dispose();
      const off = this.offsets[i];
      if (ranges.length === 2) {
        // The common case (2 replicas) in one pass.
        const g1 = this.workers[0].grads;
        const [w0, w1] = w;
        for (let j = 0; j < size; j++) scratch[j] = w0 * scratch[j] + w1 * g1[off + j];
      } else {
        for (let j = 0; j < size; j++) scratch[j] *= w[0];
        for (let s = 1; s < ranges.length; s++) {
          const gs = this.workers[s - 1].grads;
          const ws = w[s];
          for (let j = 0; j < size; j++) scratch[j] += ws * gs[off + j];
        }
      }
      grads[v.name] = tf.tensor(scratch.subarray(0, size), v.shape);
    });
    return { loss, hits, grads, shards: ranges.length };
  }

  /** Stop the worker threads (idempotent). */
  async close(): Promise<void> {
    this.classWeightTensor?.dispose();
    this.scratch = null;
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((w) => w.worker.terminate()));
    // Back to this process's own BLAS thread count.
    if (ws.length > 0) await initBackend({ backend: this.setup.backend, log: false });
  }
}
