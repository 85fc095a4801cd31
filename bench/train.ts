// `npm run bench -- train [--backends wasm,cpu] [--models a,b] [--steps N] [--profile]`
// One JSON object per (backend, model): training and inference throughput (medians of timed batches after
// a warm-up) and peak RSS. Each (backend, model) runs in its own child process, so peak RSS is its own.
// --profile adds per-kernel milliseconds of one training step (tf.profile) to each object; --kernels minimal
// runs wasm with the package kernels (+ the Conv2DBackpropFilter it lacks) for a before/after comparison.
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { parseCommandArgs, intOption } from "../src/cli/command";
import { initBackend } from "../src/tf/backend";
import { createModel, DEFAULT_MODEL } from "../src/models";
import { median, peakRssMb } from "./stats";

interface BenchModel {
  model: string; // zoo name
  batch: number;
  inputShape: [number, number, number];
  optimizer?: "adam" | "sgd";
  /** Retried with this batch when the wasm heap (4 GiB at most) runs out at `batch`. */
  fallbackBatch?: number;
  /** Batch used on wasm from the start (known not to fit at `batch`). */
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
      "SGD keeps optimizer state small (Adam adds two 411 MB moment buffers for the dense layer); on wasm batch 8, since a batch-16 step (SGD or Adam) overruns the wasm backend's 4 GiB heap (peak RSS ≈3.5 GB at batch 8)",
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

function oneHotLabels(batch: number, classes: number): tf.Tensor {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % classes), "int32"), classes).toFloat());
}

async function runOne(backend: string, name: string, steps: number, profile: boolean, batch?: number): Promise<TrainBenchResult> {
  const bm = { ...BENCH_MODELS[name], ...(batch ? { batch } : {}) };
  const choice = await initBackend({ backend: backend as "wasm", log: false });
  const base: TrainBenchResult = { backend: choice.backend, threads: choice.threads, model: name, zoo_model: bm.model, batch: bm.batch };
  if (bm.note) base.note = bm.note;
  if (choice.backend === "wasm") base.wasm_kernels = process.env.FMALAB_WASM_KERNELS === "minimal" ? "minimal (package kernels + Conv2DBackpropFilter)" : "fmalab";
  const model = createModel(bm.model, { seed: 1, inputShape: bm.inputShape });
  const optimizer = bm.optimizer ?? "adam";
  model.compile({ optimizer: optimizer === "sgd" ? tf.train.sgd(1e-3) : tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
  const x = tf.randomNormal([bm.batch, ...bm.inputShape], 0, 1, "float32", 7);
  const y = oneHotLabels(bm.batch, 8);
  const warmup = backend === "cpu" ? 0 : 1;
  for (let i = 0; i < warmup; i++) await model.trainOnBatch(x, y);
  const trainMs: number[] = [];
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await model.trainOnBatch(x, y);
    trainMs.push(performance.now() - t0);
    process.stderr.write(`  ${backend} ${name} step ${i + 1}/${steps}: ${trainMs[i].toFixed(0)} ms\n`);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuShare = (cpu.user + cpu.system) / 1000 / (performance.now() - wall0);
  const inferMs: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const out = model.predict(x) as tf.Tensor;
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
    optimizer,
    cpu_share: round(cpuShare),
  };
  if (profile) {
    const info = await tf.profile(async () => {
      await model.trainOnBatch(x, y);
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

function batchFor(backend: string, bm: BenchModel): number {
  if (backend === "wasm" && bm.wasmBatch) return bm.wasmBatch;
  if (backend === "cpu") return Math.min(CPU_BATCH, bm.batch);
  return bm.batch;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

export async function run(argv: string[]): Promise<unknown> {
  const usage =
    "npm run bench -- train [--backends wasm,cpu] [--models seed_v2_224,...] [--steps N] [--batch N] [--profile] [--kernels minimal]";
  const { values } = parseCommandArgs(
    argv,
    {
      backends: { type: "string" },
      models: { type: "string" },
      steps: { type: "string" },
      profile: { type: "boolean" },
      child: { type: "boolean" },
      batch: { type: "string" },
      kernels: { type: "string" },
    },
    usage,
  );
  const steps = intOption(values.steps as string | undefined, "steps", 3);
  const models = ((values.models as string | undefined) ?? Object.keys(BENCH_MODELS).join(",")).split(",").filter(Boolean);
  for (const m of models) if (!BENCH_MODELS[m]) throw new Error(`unknown bench model '${m}'; known: ${Object.keys(BENCH_MODELS).join(", ")}`);
  const backends = ((values.backends as string | undefined) ?? BACKENDS.join(",")).split(",").filter(Boolean);
  const batchOverride = values.batch ? intOption(values.batch as string, "batch", 1) : undefined;
  if (values.child) return runOne(backends[0], models[0], steps, Boolean(values.profile), batchOverride);

  const results: TrainBenchResult[] = [];
  for (const backend of backends) {
    for (const name of models) {
      const bm = BENCH_MODELS[name];
      const skip = backend === "cpu" ? CPU_SKIP[name] : backend === "tensorflow" && !tfjsNodeInstalled() ? TFJS_NODE_MISSING : undefined;
      if (skip) {
        results.push({ backend, threads: 1, model: name, zoo_model: bm.model, batch: bm.batch, skipped: skip });
        continue;
      }
      // default_logmel_128 is the same network as mel_cnn4_128 when the default is mel_cnn4_128: measure once.
      const twin = results.find((r) => r.backend === backend && r.zoo_model === bm.model && !r.skipped && r.batch === batchFor(backend, bm));
      if (twin) {
        results.push({ ...twin, model: name, note: `${bm.note ?? ""}; same network and batch as ${twin.model}: measured once`.replace(/^; /, "") });
        continue;
      }
      process.stderr.write(`[bench train] ${backend} ${name} (batch ${batchFor(backend, bm)})\n`);
      const childSteps = backend === "cpu" ? Math.min(steps, 1) : steps;
      const runChild = (batch: number) =>
        spawnSync(
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
            "--steps",
            String(childSteps),
            "--batch",
            String(batchOverride ?? batch),
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
      let child = runChild(batchFor(backend, bm));
      process.stderr.write(child.stderr.split("\n").filter((l) => l.startsWith("  ")).join("\n") + "\n");
      let retried = "";
      if (child.status !== 0 && bm.fallbackBatch && /memory access out of bounds|out of memory/i.test(child.stderr)) {
        retried = `batch ${bm.batch} ran out of wasm heap (4 GiB max); measured at batch ${bm.fallbackBatch}`;
        process.stderr.write(`[bench train] ${retried}\n`);
        child = runChild(bm.fallbackBatch);
        process.stderr.write(child.stderr.split("\n").filter((l) => l.startsWith("  ")).join("\n") + "\n");
      }
      if (child.status !== 0) {
        const why = child.stderr.split("\n").find((l) => /Error/.test(l)) ?? `exit ${child.status}`;
        results.push({ backend, threads: 0, model: name, zoo_model: bm.model, batch: bm.batch, skipped: `failed: ${why.trim().slice(0, 300)}` });
        continue;
      }
      const result = JSON.parse(child.stdout) as TrainBenchResult;
      if (retried) result.note = [result.note, retried].filter(Boolean).join("; ");
      results.push(result);
    }
  }
  return results;
}
