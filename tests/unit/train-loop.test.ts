// The training loop on tiny in-memory data (cpu backend): run folder contents, determinism, no tensor
// leak, kill -9 + resume = uninterrupted run, and the errors that must come before any training.
import "../helpers/compute-env";
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { trainModel, recalibrateBatchNorm } from "../../src/train/train";
import { makeInputBuilder } from "../../src/models/inputs";
import { getModelSpec } from "../../src/models/zoo";
import { initBackend } from "../../src/tf/backend";
import { loadRun, listRuns, compareRuns, type EpochMetrics } from "../../src/train/runs";
import { readNamedArrays } from "../../src/train/checkpoint";
import { openTrainingData } from "../../src/train/sources";
import { readEmbeddings } from "../../src/eval/evaluate";
import { fixtureConfig, fixtureData, FIXTURE_GENRES } from "../helpers/train-fixture";
import { PROJECT_ROOT } from "../../src/util/fs";

const quiet = { progress: false, log: () => undefined };

function tmpRuns(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-train-"));
}

function withoutSeconds(metrics: EpochMetrics[]): Array<Omit<EpochMetrics, "seconds">> {
  return metrics.map(({ seconds, ...rest }) => (void seconds, rest));
}

function checkpointWeights(runDir: string): Float32Array[] {
  return readNamedArrays(path.join(runDir, "checkpoint"), "model-weights").map((a) => a.data as Float32Array);
}

test("a run writes config, metrics, checkpoint, best/last models, evaluation, predictions and embeddings", async () => {
  const runsDir = tmpRuns();
  const counts: number[] = [];
  const record = await trainModel(fixtureConfig(runsDir, { epochs: 5 }), {
    ...quiet,
    data: fixtureData(),
    onEpoch: () => {
      counts.push(tf.memory().numTensors);
    },
  });
  const dir = record.dir;
  for (const f of ["config.json", "metrics.jsonl", "checkpoint/state.json", "best/model.json", "last/model.json", "evaluation.json", "predictions.jsonl", "embeddings.f32", "embeddings.json"]) {
    assert.ok(fs.existsSync(path.join(dir, f)), `${f} missing`);
  }
  const lines = fs.readFileSync(path.join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 5);
  assert.deepEqual(Object.keys(lines[0]).sort(), ["epoch", "lr", "seconds", "train_acc", "train_loss", "val_acc", "val_loss"]);
  assert.deepEqual(lines.map((l) => l.epoch), [1, 2, 3, 4, 5]);
  // No tensor leak: the count after every epoch is the same (weights + optimizer moments only).
  assert.equal(new Set(counts).size, 1, `tensor counts per epoch: ${counts}`);
  // The fixture is easy (one mel band per genre): far above chance (1/3).
  assert.ok(record.evaluation, "evaluation missing");
  assert.ok(record.evaluation.trackLevel.accuracy >= 0.75, `test accuracy ${record.evaluation.trackLevel.accuracy}`);
  const preds = fs.readFileSync(path.join(dir, "predictions.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(preds.length, 12);
  for (const p of preds) {
    assert.ok(FIXTURE_GENRES.includes(p.true) && FIXTURE_GENRES.includes(p.predicted));
    assert.ok(Math.abs(p.probs.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-4);
  }
  const emb = readEmbeddings(dir);
  assert.equal(emb.rows.length, 12);
  assert.equal(emb.dim, 16); // gap of block4: 128 filters × width 1/8
  assert.deepEqual(emb.trackIds, preds.map((p) => p.trackId));
  const run = loadRun(dir);
  assert.equal(run.config.classes.join(","), FIXTURE_GENRES.join(","));
  assert.equal(run.metrics.length, 5);
  assert.equal(listRuns(runsDir).length, 1);
  const [row] = compareRuns(["fixture-run"], runsDir);
  assert.equal(row.test_acc, record.evaluation.trackLevel.accuracy);
  assert.equal(row.epochs, 5);
});

test("same seed, same backend: identical metrics and weights; another seed differs", async () => {
  const a = await trainModel(fixtureConfig(tmpRuns(), { epochs: 2, evaluateAtEnd: false }), { ...quiet, data: fixtureData() });
  const b = await trainModel(fixtureConfig(tmpRuns(), { epochs: 2, evaluateAtEnd: false }), { ...quiet, data: fixtureData() });
  const c = await trainModel(fixtureConfig(tmpRuns(), { epochs: 2, evaluateAtEnd: false, seed: 4 }), { ...quiet, data: fixtureData() });
  assert.deepEqual(withoutSeconds(a.metrics), withoutSeconds(b.metrics));
  assert.deepEqual(checkpointWeights(a.dir), checkpointWeights(b.dir));
  assert.notDeepEqual(withoutSeconds(a.metrics), withoutSeconds(c.metrics));
});

function runChild(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const child = spawn(process.execPath, ["--import", "tsx", path.join("tests", "helpers", "train-child.ts"), ...args], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, done };
}

test("kill -9 after the first checkpoint, then --resume: same metrics and weights as an uninterrupted run", async () => {
  const runsDir = tmpRuns();
  const full = runChild([runsDir, "full", "--epochs", "4"]);
  const fullExit = await full.done;
  assert.equal(fullExit.code, 0, fullExit.stderr);

  // Each epoch sleeps 1.5 s after its checkpoint, so the kill lands between epochs 1 and 2 (or
  // during epoch 2); either way the run is cut short.
  const killed = runChild([runsDir, "cut", "--epochs", "4", "--sleep-ms", "1500"]);
  const state = path.join(runsDir, "cut", "checkpoint", "state.json");
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(state) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(fs.existsSync(state), "no checkpoint appeared");
  killed.child.kill("SIGKILL");
  const killedExit = await killed.done;
  assert.equal(killedExit.signal, "SIGKILL");
  const cutEpoch = JSON.parse(fs.readFileSync(state, "utf8")).epoch;
  assert.ok(cutEpoch >= 1 && cutEpoch < 4, `killed after epoch ${cutEpoch}`);
  assert.ok(!fs.existsSync(path.join(runsDir, "cut", "evaluation.json")), "the killed run got to the end");

  const resumed = runChild([runsDir, "cut", "--epochs", "4", "--resume"]);
  const resumedExit = await resumed.done;
  assert.equal(resumedExit.code, 0, resumedExit.stderr);

  const a = loadRun(path.join(runsDir, "full"));
  const b = loadRun(path.join(runsDir, "cut"));
  assert.equal(b.metrics.length, 4);
  assert.deepEqual(withoutSeconds(b.metrics), withoutSeconds(a.metrics));
  assert.deepEqual(checkpointWeights(b.dir), checkpointWeights(a.dir));
  assert.deepEqual(
    readNamedArrays(path.join(b.dir, "checkpoint"), "optimizer-weights").map((x) => Array.from(x.data)),
    readNamedArrays(path.join(a.dir, "checkpoint"), "optimizer-weights").map((x) => Array.from(x.data)),
  );
  assert.equal(b.evaluation?.trackLevel.accuracy, a.evaluation?.trackLevel.accuracy);
});

test("bad input fails before training, with a message naming the problem", async () => {
  const runsDir = tmpRuns();
  const noEpoch = { ...quiet, onBatch: () => assert.fail("training started") };
  await assert.rejects(trainModel(fixtureConfig(runsDir, { model: "mel_cnn9000" }), { ...noEpoch, data: fixtureData() }), (err: Error) => {
    assert.match(err.message, /unknown model "mel_cnn9000"/);
    assert.match(err.message, /mel_cnn4_128/);
    return true;
  });
  // A 64-mel cache for the default 128-mel model.
  await assert.rejects(
    trainModel(fixtureConfig(runsDir, { modelOptions: undefined, runId: "mels" }), { ...noEpoch, data: fixtureData({ nMels: 64 }) }),
    /64 mel bands but model mel_cnn4_128 expects 128/,
  );
  // A genre absent from the validation split.
  const data = fixtureData();
  const gone = data.tracks.filter((t) => !(t.split === "validation" && t.genre === "Hip-Hop"));
  await assert.rejects(
    trainModel(fixtureConfig(runsDir, { runId: "gap" }), { ...noEpoch, data: { ...data, tracks: gone } }),
    /the validation split has no tracks of genre "Hip-Hop"/,
  );
  // No cache: says how to build one.
  assert.throws(
    () => openTrainingData({ data: runsDir }, { kind: "logmel", height: 128, width: 128, channels: 1 }),
    /fmalab spectrograms --data/,
  );
});

test("resume refuses a different model, a damaged checkpoint, and a run id that exists without --resume", async () => {
  const runsDir = tmpRuns();
  await trainModel(fixtureConfig(runsDir, { epochs: 1, evaluateAtEnd: false }), { ...quiet, data: fixtureData() });
  await assert.rejects(trainModel(fixtureConfig(runsDir, { epochs: 2 }), { ...quiet, data: fixtureData() }), /already exists.*--resume fixture-run/);
  await assert.rejects(
    trainModel(fixtureConfig(runsDir, { epochs: 2, model: "probe_3conv_128" }), { ...quiet, data: fixtureData(), resume: true }),
    /model: "mel_cnn4_128" in the run, "probe_3conv_128" now/,
  );
  await assert.rejects(trainModel(fixtureConfig(runsDir, { runId: "nope" }), { ...quiet, data: fixtureData(), resume: true }), /no run "nope"/);
  // Truncate the checkpoint's weights.
  const bin = path.join(runsDir, "fixture-run", "checkpoint", "model-weights.bin");
  fs.writeFileSync(bin, fs.readFileSync(bin).subarray(0, 100));
  await assert.rejects(
    trainModel(fixtureConfig(runsDir, { epochs: 2 }), { ...quiet, data: fixtureData(), resume: true, onBatch: () => assert.fail("training started") }),
    /model-weights\.bin: 100 bytes, expected \d+ \(truncated\).*train run fixture-run again from epoch 1/,
  );
  // A foreign state.json as well: two files no longer match the checkpoint's COMPLETE record.
  fs.writeFileSync(path.join(runsDir, "fixture-run", "checkpoint", "state.json"), '{"hello": 1}');
  await assert.rejects(trainModel(fixtureConfig(runsDir, { epochs: 2 }), { ...quiet, data: fixtureData(), resume: true }), /model-weights\.bin: 100 bytes, .*; 1 more damaged file\(s\)/);
  // Written before checksums existed (COMPLETE holds a date): the state itself is checked.
  fs.writeFileSync(path.join(runsDir, "fixture-run", "checkpoint", "COMPLETE"), new Date().toISOString() + "\n");
  await assert.rejects(trainModel(fixtureConfig(runsDir, { epochs: 2 }), { ...quiet, data: fixtureData(), resume: true }), /not an fmalab checkpoint/);
});

test("a features model (feat_logreg) trains on standardised summary features stored with the run", async () => {
  const runsDir = tmpRuns();
  const record = await trainModel(
    fixtureConfig(runsDir, { model: "feat_logreg", modelOptions: undefined, epochs: 8, lr: 0.1, augment: {}, evalCrops: 1 }),
    { ...quiet, data: fixtureData() },
  );
  const run = loadRun(record.dir);
  assert.equal(run.config.model.input.kind, "features");
  assert.equal(run.config.model.input.width, 6);
  assert.equal(run.config.inputNorm.featureMean?.length, 6);
  // Feature j = genre index + noise: 3 genres → accuracy well above 1/3.
  assert.ok(record.evaluation!.trackLevel.accuracy >= 0.75, `accuracy ${record.evaluation!.trackLevel.accuracy}`);
  assert.equal(readEmbeddings(record.dir).dim, 6); // feat_logreg's "penultimate layer" is its input
});

test("precise BN: recalibration sets moving mean/variance to the average of the batch moments", async () => {
  await initBackend({ backend: "cpu", log: false });
  const model = getModelSpec("mel_cnn4_128").build({ numClasses: 3, seed: 1, width: 0.125, inputShape: [16, 16, 1] });
  const data = fixtureData();
  const builder = makeInputBuilder({ kind: "logmel", height: 16, width: 16, channels: 1 }, data.reader, {});
  const examples = data.tracks.filter((t) => t.split === "training").map((t) => ({ trackId: t.trackId, label: 0 }));
  // 24 training examples, count 12 → picks 0, 2, 4, … 22; batches of 6 → two batches.
  assert.equal(recalibrateBatchNorm(model, builder, examples, 12, 6), 12);
  const picks = Array.from({ length: 12 }, (_, i) => examples[2 * i]);
  const conv = tf.model({ inputs: model.inputs, outputs: model.getLayer("block1_conv").output as tf.SymbolicTensor });
  const moments = [0, 6].map((s) =>
    tf.tidy(() => {
      const x = tf.tensor(Float32Array.from(picks.slice(s, s + 6).flatMap((e) => Array.from(builder.evaluationExamples(e.trackId, 1)[0]))), [6, 16, 16, 1]);
      const m = tf.moments(conv.predict(x) as tf.Tensor, [0, 1, 2]);
      return [Array.from(m.mean.dataSync()), Array.from(m.variance.dataSync())];
    }),
  );
  const [, , movingMean, movingVar] = model.getLayer("block1_bn").getWeights().map((w) => Array.from(w.dataSync()));
  movingMean.forEach((v, c) => assert.ok(Math.abs(v - (moments[0][0][c] + moments[1][0][c]) / 2) < 1e-5, `mean ${c}`));
  movingVar.forEach((v, c) => assert.ok(Math.abs(v - (moments[0][1][c] + moments[1][1][c]) / 2) < 1e-5, `variance ${c}`));
  // Momentum is restored (it is part of the saved model config).
  assert.equal((model.getLayer("block1_bn").getConfig() as { momentum: number }).momentum, 0.9);
  model.dispose();
});
