// `npm run bench -- train [--backends wasm,cpu] [--models a,b] [--replicas 1,2] [--steps N] [--profile] [--no-pytorch]`
// One JSON object per (backend, model, replicas): training and inference throughput (medians of timed batches
// after a warm-up) and peak RSS. Each runs in its own child process, so peak RSS is its own. On wasm it
// measures 1 and 2 data-parallel replicas (src/train/data-parallel.ts); then, when /usr/bin/python3 has
// PyTorch, the same architectures in PyTorch on 2 threads (bench/pytorch/train_reference.py), and each
// row's vs_pytorch_train ratio.
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
      "SGD keeps optimizer state small (Adam adds two 411 MB moment buffers for the dense layer); with 1 replica on wasm batch 8, since a batch-16 step overruns one wasm heap (4 GiB); with 2 replicas each heap holds a batch-8 shard, so batch 16 is measured",
  },
  default_logmel_128: { model: DEFAULT_MODEL, batch: 32, inputShape: [128, 128, 1], note: `the default model (${DEFAULT_MODEL})` },
  probe_3conv_128: { model: "probe_3conv_128", batch: 32, inputShape: [128, 128, 1] },
  mel_cnn4_128: { model: "mel_cnn4_128", batch: 32, inputShape: [128, 128, 1] },
};

const BACKENDS = ["tensorflow", "wasm", "cpu"] as const;

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
  /** This row's training throughput / PyTorch's (2 threads, same model and batch) measured in the same run. */
  vs_pytorch_train?: number;
  torch?: string;
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
  const base: TrainBenchResult = { backend: choice.backend, threads: choice.threads, replicas, model: name, zoo_model: bm.model, batch: bm.batch };
  if (bm.note) base.note = bm.note;
  if (choice.backend === "wasm") base.wasm_kernels = process.env.FMALAB_WASM_KERNELS === "minimal" ? "minimal (package kernels + Conv2DBackpropFilter)" : "fmalab";
  const build = { seed: 1, inputShape: bm.inputShape };
  const model = createModel(bm.model, build);
  const optimizerName = bm.optimizer ?? "adam";
  const optimizer = optimizerName === "sgd" ? tf.train.sgd(1e-3) : tf.train.adam(1e-3);
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

function batchFor(backend: string, bm: BenchModel, replicas: number): number {
  // With ≥ 2 replicas every shard has its own wasm heap: the full batch fits where one heap overflows.
  if (backend === "wasm" && bm.wasmBatch && replicas === 1) return bm.wasmBatch;
  if (backend === "cpu") return Math.min(CPU_BATCH, bm.batch);
  return bm.batch;
}

const PYTHON = "/usr/bin/python3";

/** PyTorch's rows from bench/pytorch/train_reference.py, or why there are none. */
function pytorchRows(models: string[], steps: number): { rows: TrainBenchResult[]; note?: string } {
  const probe = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.status !== 0) {
    return { rows: [], note: `PyTorch not measured: ${PYTHON} cannot import torch (Debian: apt-get install python3-torch)` };
  }
  process.stderr.write(`[bench train] pytorch-cpu (2 threads) ${models.join(", ")}\n`);
  const child = spawnSync(PYTHON, [path.join(__dirname, "pytorch", "train_reference.py"), "--threads", "2", "--steps", String(steps), "--models", models.join(",")], {
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
    "npm run bench -- train [--backends wasm,cpu] [--models seed_v2_224,...] [--replicas 1,2] [--steps N] [--batch N] [--profile] [--kernels minimal] [--no-pytorch]";
  const { values } = parseCommandArgs(
    argv,
    {
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
  const steps = intOption(values.steps as string | undefined, "steps", 3);
  const models = ((values.models as string | undefined) ?? Object.keys(BENCH_MODELS).join(",")).split(",").filter(Boolean);
  for (const m of models) if (!BENCH_MODELS[m]) throw new Error(`unknown bench model '${m}'; known: ${Object.keys(BENCH_MODELS).join(", ")}`);
  const backends = ((values.backends as string | undefined) ?? BACKENDS.join(",")).split(",").filter(Boolean);
  const batchOverride = values.batch ? intOption(values.batch as string, "batch", 1) : undefined;
  // Data-parallel replicas to measure on wasm (one core each); other backends use their own threads.
  const replicaCounts = ((values.replicas as string | undefined) ?? `1,${Math.min(2, os.cpus().length)}`)
    .split(",")
    .map((r) => intOption(r, "replicas", 1))
    .filter((r, i, all) => all.indexOf(r) === i);
  if (values.child) return runOne(backends[0], models[0], steps, Boolean(values.profile), batchOverride, replicaCounts[0]);

  const results: TrainBenchResult[] = [];
  for (const backend of backends) {
    for (const name of models) {
      for (const replicas of backend === "wasm" ? replicaCounts : [1]) {
        const bm = BENCH_MODELS[name];
        const batch = batchOverride ?? batchFor(backend, bm, replicas);
        const skip = backend === "cpu" ? CPU_SKIP[name] : backend === "tensorflow" && !tfjsNodeInstalled() ? TFJS_NODE_MISSING : undefined;
        if (skip) {
          results.push({ backend, threads: 1, model: name, zoo_model: bm.model, batch: bm.batch, skipped: skip });
          continue;
        }
        // default_logmel_128 is the same network as mel_cnn4_128 when the default is mel_cnn4_128: measure once.
        const twin = results.find((r) => r.backend === backend && r.zoo_model === bm.model && !r.skipped && r.batch === batch && (r.replicas ?? 1) === replicas);
        if (twin) {
          results.push({ ...twin, model: name, note: `${bm.note ?? ""}; same network and batch as ${twin.model}: measured once`.replace(/^; /, "") });
          continue;
        }
        process.stderr.write(`[bench train] ${backend} ${name} (batch ${batch}, ${replicas} replica${replicas === 1 ? "" : "s"})\n`);
        const childSteps = backend === "cpu" ? Math.min(steps, 1) : steps;
        const child = spawnSync(
          process.execPath,
          [
            "--import",
            "tsx",
            path.join(__dirname, "main.ts"),
            "train",
            "--child",
            "--backends",
            backend,
            "--models",
            name,
            "--replicas",
            String(replicas),
            "--steps",
            String(childSteps),
            "--batch",
            String(batch),
            ...(values.profile ? ["--profile"] : []),
          ],
          {
            cwd: path.resolve(__dirname, ".."),
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            maxBuffer: 1 << 26,
            env: { ...process.env, ...(values.kernels ? { FMALAB_WASM_KERNELS: values.kernels as string } : {}) },
          },
        );
        process.stderr.write(child.stderr.split("\n").filter((l) => l.startsWith("  ")).join("\n") + "\n");
        if (child.status !== 0) {
          const why = child.stderr.split("\n").find((l) => /Error/.test(l)) ?? `exit ${child.status}`;
          results.push({ backend, threads: 0, replicas, model: name, zoo_model: bm.model, batch, skipped: `failed: ${why.trim().slice(0, 300)}` });
          continue;
        }
        results.push(JSON.parse(child.stdout) as TrainBenchResult);
      }
    }
  }
  if (!values["no-pytorch"]) {
    const torch = pytorchRows(models, steps);
    for (const r of results) {
      const ref = torch.rows.find((t) => t.model === r.model);
      if (ref?.train_clips_per_s && r.train_clips_per_s) {
        r.vs_pytorch_train = round(r.train_clips_per_s / ref.train_clips_per_s);
        if (ref.batch !== r.batch) r.note = [r.note, `PyTorch measured at batch ${ref.batch}`].filter(Boolean).join("; ");
      }
    }
    results.push(...torch.rows);
    if (torch.note) results.push({ backend: "pytorch-cpu", threads: 2, model: models.join(","), zoo_model: "", batch: 0, skipped: torch.note });
  }
  return results;
}
