// `npm run bench -- train [--engines native,wasm] [--blas-threads 1,2] [--replicas 1,2] [--backends wasm,cpu]
//   [--models a,b] [--steps N] [--profile] [--no-pytorch]`
// One JSON object per (engine, model, threads, replicas): training and inference throughput (medians of timed
// batches after a warm-up) and peak RSS, each in its own child process (so peak RSS is its own). Engines:
//   native  wasm + the system BLAS + fmalab's native kernels, at each --blas-threads count with 1 replica,
//           and with 2 replicas sharing the cores (src/train/data-parallel.ts);
//   wasm    the same backend with the BLAS off (FMALAB_BLAS=off): the fallback, 1 and 2 replicas;
//   cpu     tfjs's pure-JS backend, only with --backends cpu (minutes per step: ≈20 min of bench);
//   tensorflow  tfjs-node, when it is installed.
// Then, when /usr/bin/python3 has PyTorch, the same architectures in PyTorch on every core in the same run
// (bench/pytorch/train_reference.py), each row's vs_pytorch_train / vs_pytorch_infer, and a `best` row per
// model. The document records the CPU model, core count and load average.
// --profile adds per-kernel milliseconds of one training step (tf.profile) to each object; --kernels minimal
// runs wasm with the package kernels (+ the Conv2DBackpropFilter it lacks) for a before/after comparison.
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { parseCommandArgs, intOption } from "../src/cli/command";
import { initBackend } from "../src/tf/backend";
import { createModel, DEFAULT_MODEL } from "../src/models";
import { outputIsProbability } from "../src/eval/predict";
import { batchGradients, dropoutLayers } from "../src/train/step";
import { GradientReplicas } from "../src/train/data-parallel";
import { median, peakRssMb } from "./stats";
import { InPlaceSGDOptimizer } from "../src/tf/fused-ops/sgd";

interface BenchModel {
  model: string; // zoo name
  batch: number;
  inputShape: [number, number, number];
  optimizer?: "adam" | "sgd";
  /** Batch used on wasm with one replica (`batch` does not fit one wasm heap). */
  wasmBatch?: number;
  note?: string;
}

const BENCH_MODELS: Record<string, BenchModel> = {
  seed_v2_224: {
    model: "seed_improved_v2",
    batch: 16,
    inputShape: [224, 224, 3],
    optimizer: "sgd",
    wasmBatch: 8,
    note:
      "SGD keeps optimizer state small (Adam adds two 411 MB moment buffers for the dense layer); on the BLAS-off wasm engine with 1 replica at batch 8, since there a batch-16 step overruns one wasm heap (4 GiB; the native engine keeps im2col outside the heap and batch norm in 4 passes, so batch 16 fits)",
  },
  default_logmel_128: { model: DEFAULT_MODEL, batch: 32, inputShape: [128, 128, 1], note: `the default model (${DEFAULT_MODEL})` },
  probe_3conv_128: { model: "probe_3conv_128", batch: 32, inputShape: [128, 128, 1] },
  mel_cnn4_128: { model: "mel_cnn4_128", batch: 32, inputShape: [128, 128, 1] },
};

// The cpu backend needs minutes per step on these: time only the small ones, once, at batch CPU_BATCH
// (a batch-32 mel_cnn4_128 step takes over ten minutes there).
const CPU_BATCH = 8;
const CPU_SKIP: Record<string, string> = {
  seed_v2_224: "cpu backend: one step of the 112 M-parameter model at 224×224 batch 16 would take many minutes",
};

export interface TrainBenchResult {
  backend: string;
  threads: number;
  /** Data-parallel replicas (worker threads + the main thread), one core each (src/train/data-parallel.ts). */
  replicas?: number;
  model: string;
  zoo_model: string;
  batch: number;
  train_clips_per_s?: number;
  infer_clips_per_s?: number;
  train_step_ms?: number;
  timed_steps?: number;
  peak_rss_mb?: number;
  /** CPU time / wall time over the timed training steps: < threads means the machine was shared. */
  cpu_share?: number;
  /** 1-minute load average at the end of the run (this machine has os.cpus().length cores). */
  load_avg_1m?: number;
  cores?: number;
  optimizer?: string;
  skipped?: string;
  note?: string;
  wasm_kernels?: string;
  profile_ms_by_kernel?: Record<string, number>;
  /** This row's training throughput / PyTorch's (every core, same model and batch) measured in the same run. */
  vs_pytorch_train?: number;
  vs_pytorch_infer?: number;
  torch?: string;
  /** The engine row: native (BLAS + kernels), wasm (BLAS off), cpu, tensorflow, pytorch-cpu. */
  engine?: string;
  /** initBackend's one-line description (backend, BLAS library, threads). */
  engine_detail?: string;
  blas_library?: string | null;
  blas_threads?: number | null;
  native_kernels?: boolean;
}

/** One measured configuration. */
interface EngineRow {
  engine: "native" | "wasm" | "cpu" | "tensorflow";
  backend: "wasm" | "cpu" | "tensorflow";
  /** FMALAB_BLAS for the child. */
  blas: "auto" | "off";
  /** FMALAB_BLAS_THREADS for the child (native rows; with replicas, per replica). */
  blasThreads?: number;
  replicas: number;
}

const TFJS_NODE_MISSING = "tfjs-node (optional dependency tfjs-node-optional) is not installed: its install downloads a native binary";

function tfjsNodeInstalled(): boolean {
  try {
    require.resolve("tfjs-node-optional");
    return true;
  } catch {
    return false;
  }
}

async function runOne(backend: string, name: string, steps: number, profile: boolean, batch: number | undefined, replicas: number): Promise<TrainBenchResult> {
  const bm = { ...BENCH_MODELS[name], ...(batch ? { batch } : {}) };
  const choice = await initBackend({ backend: backend as "wasm", log: false });
  const base: TrainBenchResult = {
    backend: choice.backend,
    threads: choice.blas?.threads ?? choice.threads,
    replicas,
    model: name,
    zoo_model: bm.model,
    batch: bm.batch,
    engine_detail: choice.engine,
    blas_library: choice.blas?.library ?? null,
    blas_threads: choice.blas?.threads ?? null,
    native_kernels: Boolean(choice.blas?.nativeKernels),
  };
  if (bm.note) base.note = bm.note;
  if (choice.backend === "wasm") base.wasm_kernels = process.env.FMALAB_WASM_KERNELS === "minimal" ? "minimal (package kernels + Conv2DBackpropFilter)" : "fmalab";
  const build = { seed: 1, inputShape: bm.inputShape };
  const model = createModel(bm.model, build);
  const optimizerName = bm.optimizer ?? "adam";
  const optimizer = optimizerName === "sgd" ? new InPlaceSGDOptimizer(1e-3) : tf.train.adam(1e-3);
  const trainVars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const outputIsProb = outputIsProbability(model);
  // The training loop's own step (src/train/train.ts): gradients of the batch, then the optimizer.
  const x = tf.tidy(() => tf.randomNormal([bm.batch, ...bm.inputShape], 0, 1, "float32", 7).dataSync() as Float32Array);
  const y = new Float32Array(bm.batch * 8);
  for (let i = 0; i < bm.batch; i++) y[i * 8 + (i % 8)] = 1;
  const seeds = () => dropoutLayers(model).map((_, j) => 1000 + j);
  const dp =
    replicas > 1
      ? await GradientReplicas.start(trainVars, { model: bm.model, build, backend: choice.backend as "wasm", workers: replicas - 1, classWeights: null, outputIsProb })
      : null;
  const trainStep = async () => {
    const r = dp
      ? await dp.gradients(model, x, y, bm.batch, bm.inputShape, seeds)
      : batchGradients(model, trainVars, x, y, bm.batch, bm.inputShape, null, outputIsProb);
    optimizer.applyGradients(trainVars.map((v) => ({ name: v.name, tensor: r.grads[v.name] })));
    for (const g of Object.values(r.grads)) g.dispose();
  };
  const warmup = backend === "cpu" ? 0 : 1;
  for (let i = 0; i < warmup; i++) await trainStep();
  const trainMs: number[] = [];
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await trainStep();
    trainMs.push(performance.now() - t0);
    process.stderr.write(`  ${backend} ${name} ×${replicas} step ${i + 1}/${steps}: ${trainMs[i].toFixed(0)} ms\n`);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuShare = (cpu.user + cpu.system) / 1000 / (performance.now() - wall0);
  await dp?.close();
  const xt = tf.tensor(x, [bm.batch, ...bm.inputShape]);
  const inferMs: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const out = model.predict(xt) as tf.Tensor;
    out.dataSync();
    out.dispose();
    if (i >= warmup) inferMs.push(performance.now() - t0);
  }
  const result: TrainBenchResult = {
    ...base,
    train_clips_per_s: round((bm.batch * 1000) / median(trainMs)),
    infer_clips_per_s: round((bm.batch * 1000) / median(inferMs)),
    train_step_ms: Math.round(median(trainMs)),
    timed_steps: steps,
    optimizer: optimizerName,
    cpu_share: round(cpuShare),
  };
  if (profile) {
    const info = await tf.profile(async () => {
      await trainStep();
    });
    const byKernel: Record<string, number> = {};
    for (const k of info.kernels.filter((k) => !k.name.endsWith("__op"))) byKernel[k.name] = (byKernel[k.name] ?? 0) + (await k.kernelTimeMs as number);
    result.profile_ms_by_kernel = Object.fromEntries(
      Object.entries(byKernel)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, Math.round(v * 10) / 10]),
    );
  }
  result.peak_rss_mb = peakRssMb();
  result.load_avg_1m = round(os.loadavg()[0]);
  result.cores = os.cpus().length;
  return result;
}

function batchFor(row: EngineRow, bm: BenchModel): number {
  // BLAS off, one replica: the batch the heap holds; with ≥ 2 replicas every shard has its own heap.
  if (row.engine === "wasm" && bm.wasmBatch && row.replicas === 1) return bm.wasmBatch;
  if (row.engine === "cpu") return Math.min(CPU_BATCH, bm.batch);
  return bm.batch;
}

/** The rows to measure: native at each thread count and with replicas, the BLAS-off fallback, and others asked for. */
function engineRows(engines: string[], backends: string[], blasThreads: number[], replicaCounts: number[]): EngineRow[] {
  const cores = os.cpus().length;
  const rows: EngineRow[] = [];
  if (engines.includes("native")) {
    for (const t of blasThreads) rows.push({ engine: "native", backend: "wasm", blas: "auto", blasThreads: t, replicas: 1 });
    for (const r of replicaCounts.filter((r) => r > 1)) rows.push({ engine: "native", backend: "wasm", blas: "auto", blasThreads: Math.max(1, Math.floor(cores / r)), replicas: r });
  }
  if (engines.includes("wasm")) for (const r of replicaCounts) rows.push({ engine: "wasm", backend: "wasm", blas: "off", replicas: r });
  if (backends.includes("cpu")) rows.push({ engine: "cpu", backend: "cpu", blas: "off", replicas: 1 });
  if (backends.includes("tensorflow")) rows.push({ engine: "tensorflow", backend: "tensorflow", blas: "off", replicas: 1 });
  return rows;
}

function cpuModel(): string {
  return os.cpus()[0]?.model?.trim() ?? "unknown";
}

const PYTHON = "/usr/bin/python3";

/** PyTorch's rows from bench/pytorch/train_reference.py (every core), or why there are none. */
function pytorchRows(models: string[], steps: number): { rows: TrainBenchResult[]; note?: string } {
  const probe = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.status !== 0) {
    return { rows: [], note: `PyTorch not measured: ${PYTHON} cannot import torch (Debian: apt-get install python3-torch)` };
  }
  const threads = String(os.cpus().length);
  process.stderr.write(`[bench train] pytorch-cpu (${threads} threads) ${models.join(", ")}\n`);
  const child = spawnSync(PYTHON, [path.join(__dirname, "pytorch", "train_reference.py"), "--threads", threads, "--steps", String(steps), "--models", models.join(",")], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (child.status !== 0) return { rows: [], note: `PyTorch reference failed: ${child.stderr.trim().split("\n").slice(-1)[0]}` };
  return { rows: JSON.parse(child.stdout) as TrainBenchResult[] };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

export async function run(argv: string[]): Promise<unknown> {
  const usage =
    "npm run bench -- train [--engines native,wasm] [--blas-threads 1,2] [--replicas 1,2] [--backends cpu,tensorflow] [--models seed_v2_224,...] [--steps N] [--batch N] [--profile] [--kernels minimal] [--no-pytorch]";
  const { values } = parseCommandArgs(
    argv,
    {
      engines: { type: "string" },
      "blas-threads": { type: "string" },
      backends: { type: "string" },
      models: { type: "string" },
      replicas: { type: "string" },
      steps: { type: "string" },
      profile: { type: "boolean" },
      child: { type: "boolean" },
      batch: { type: "string" },
      kernels: { type: "string" },
      "no-pytorch": { type: "boolean" },
    },
    usage,
  );
  const list = (v: unknown, fallback: string) => ((v as string | undefined) ?? fallback).split(",").filter(Boolean);
  const steps = intOption(values.steps as string | undefined, "steps", 3);
  const models = list(values.models, Object.keys(BENCH_MODELS).join(","));
  for (const m of models) if (!BENCH_MODELS[m]) throw new Error(`unknown bench model '${m}'; known: ${Object.keys(BENCH_MODELS).join(", ")}`);
  const batchOverride = values.batch ? intOption(values.batch as string, "batch", 1) : undefined;
  const cores = os.cpus().length;
  const numbers = (v: unknown, fallback: string, name: string) => list(v, fallback).map((r) => intOption(r, name, 1)).filter((r, i, all) => all.indexOf(r) === i);
  const replicaCounts = numbers(values.replicas, `1,${Math.min(2, cores)}`, "replicas");
  if (values.child) {
    const backend = list(values.backends, "wasm")[0];
    return runOne(backend, models[0], steps, Boolean(values.profile), batchOverride, replicaCounts[0]);
  }
  const engines = list(values.engines, "native,wasm");
  for (const e of engines) if (!["native", "wasm"].includes(e)) throw new Error(`--engines: unknown engine '${e}' (native, wasm; cpu and tensorflow come with --backends)`);
  const backends = list(values.backends, "tensorflow");
  const rows = engineRows(engines, backends, numbers(values["blas-threads"], [...new Set([1, cores])].join(","), "blas-threads"), replicaCounts);

  const results: TrainBenchResult[] = [];
  const torchRows: TrainBenchResult[] = [];
  let torchNote: string | undefined = values["no-pytorch"] ? "PyTorch not measured (--no-pytorch)" : undefined;
  for (const name of models) {
    const bm = BENCH_MODELS[name];
    for (const row of rows) {
      const batch = batchOverride ?? batchFor(row, bm);
      const label = { engine: row.engine, backend: row.backend, model: name, zoo_model: bm.model, batch, replicas: row.replicas };
      const skip = row.engine === "cpu" ? CPU_SKIP[name] : row.engine === "tensorflow" && !tfjsNodeInstalled() ? TFJS_NODE_MISSING : undefined;
      if (skip) {
        results.push({ ...label, threads: 1, skipped: skip });
        continue;
      }
      // default_logmel_128 is the same network as mel_cnn4_128 when the default is mel_cnn4_128: measure once.
      const twin = results.find(
        (r) => r.engine === row.engine && r.zoo_model === bm.model && !r.skipped && r.batch === batch && (r.replicas ?? 1) === row.replicas && (r.blas_threads ?? null) === (row.blasThreads ?? r.blas_threads ?? null),
      );
      if (twin) {
        results.push({ ...twin, model: name, note: `${bm.note ?? ""}; same network and batch as ${twin.model}: measured once`.replace(/^; /, "") });
        continue;
      }
      results.push(measureInChild(row, name, batch, steps, values));
    }
    // PyTorch right after our rows of this model: the same minutes of the machine, not the end of the run.
    if (!torchNote) {
      const torch = pytorchRows([name], steps);
      if (torch.note) torchNote = torch.note;
      torchRows.push(...torch.rows.map((t) => ({ ...t, model: name })));
    }
  }
  const torch = { rows: torchRows, note: torchNote };
  for (const r of results) {
    const ref = torch.rows.find((t) => t.model === r.model);
    if (!ref || r.skipped) continue;
    if (ref.train_clips_per_s && r.train_clips_per_s) r.vs_pytorch_train = round(r.train_clips_per_s / ref.train_clips_per_s);
    if (ref.infer_clips_per_s && r.infer_clips_per_s) r.vs_pytorch_infer = round(r.infer_clips_per_s / ref.infer_clips_per_s);
    if (ref.batch !== r.batch) r.note = [r.note, `PyTorch measured at batch ${ref.batch}`].filter(Boolean).join("; ");
  }
  return {
    cpu_model: cpuModel(),
    cores,
    load_avg_1m_at_end: round(os.loadavg()[0]),
    rows: [...results, ...torch.rows.map((t) => ({ ...t, engine: "pytorch-cpu" }))],
    best: bestRows(models, results, torch.rows),
    ...(torch.note ? { pytorch_note: torch.note } : {}),
  };
}

/** Per model: the fastest training row of ours and its ratios to PyTorch in this run. */
function bestRows(models: string[], results: TrainBenchResult[], torch: TrainBenchResult[]): Record<string, unknown>[] {
  return models.map((model) => {
    const ours = results.filter((r) => r.model === model && r.train_clips_per_s).sort((a, b) => b.train_clips_per_s! - a.train_clips_per_s!)[0];
    const ref = torch.find((t) => t.model === model);
    const bestInfer = results.filter((r) => r.model === model && r.infer_clips_per_s).sort((a, b) => b.infer_clips_per_s! - a.infer_clips_per_s!)[0];
    return {
      model,
      engine: ours ? `${ours.engine} ×${ours.replicas ?? 1} replica(s), ${ours.blas_threads ?? ours.threads} thread(s)` : "none measured",
      train_clips_per_s: ours?.train_clips_per_s,
      pytorch_train_clips_per_s: ref?.train_clips_per_s,
      vs_pytorch_train: ours?.vs_pytorch_train,
      infer_clips_per_s: bestInfer?.infer_clips_per_s,
      pytorch_infer_clips_per_s: ref?.infer_clips_per_s,
      vs_pytorch_infer: bestInfer?.vs_pytorch_infer,
    };
  });
}

// One row may take this long (warm-up, timed steps, inference); past it the row is reported as timed out.
const ROW_TIMEOUT_MS = 240_000;

/** One row in its own process (its own peak RSS and heap), with the engine set through the environment. */
function measureInChild(row: EngineRow, name: string, batch: number, steps: number, values: Record<string, unknown>): TrainBenchResult {
  const bm = BENCH_MODELS[name];
  const threadsText = row.blasThreads ? `, ${row.blasThreads} BLAS thread${row.blasThreads === 1 ? "" : "s"}` : "";
  process.stderr.write(`[bench train] ${row.engine} ${name} (batch ${batch}, ${row.replicas} replica${row.replicas === 1 ? "" : "s"}${threadsText})\n`);
  const childSteps = row.engine === "cpu" ? Math.min(steps, 1) : steps;
  const env: NodeJS.ProcessEnv = { ...process.env, FMALAB_BLAS: row.blas };
  delete env.FMALAB_BLAS_THREADS;
  if (row.blasThreads) env.FMALAB_BLAS_THREADS = String(row.blasThreads);
  if (values.kernels) env.FMALAB_WASM_KERNELS = values.kernels as string;
  const child = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(__dirname, "main.ts"),
      "train",
      "--child",
      "--backends",
      row.backend,
      "--models",
      name,
      "--replicas",
      String(row.replicas),
      "--steps",
      String(childSteps),
      "--batch",
      String(batch),
      ...(values.profile ? ["--profile"] : []),
    ],
    { cwd: path.resolve(__dirname, ".."), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26, env, timeout: ROW_TIMEOUT_MS, killSignal: "SIGKILL" },
  );
  process.stderr.write(child.stderr.split("\n").filter((l) => l.startsWith("  ")).join("\n") + "\n");
  if (child.error && /ETIMEDOUT/.test(String((child.error as NodeJS.ErrnoException).code ?? child.error.message))) {
    return { engine: row.engine, backend: row.backend, threads: 0, replicas: row.replicas, model: name, zoo_model: bm.model, batch, skipped: `timed out after ${ROW_TIMEOUT_MS / 1000} s (the default bench must finish in 20 min)` };
  }
  if (child.status !== 0) {
    const why = child.stderr.split("\n").find((l) => /Error/.test(l)) ?? `exit ${child.status}`;
    return { engine: row.engine, backend: row.backend, threads: 0, replicas: row.replicas, model: name, zoo_model: bm.model, batch, skipped: `failed: ${why.trim().slice(0, 300)}` };
  }
  return { engine: row.engine, ...(JSON.parse(child.stdout) as TrainBenchResult) };
}
