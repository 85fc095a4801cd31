// Data-parallel training (src/train/data-parallel.ts): the replicas' combined gradient is the whole
// batch's gradient (exactly, for a model without batch norm or dropout; per shard, for one with them),
// with and without class weights; a replica that is not the same model is refused; and the training loop
// runs with replicas, deterministically, recording the count so a resume cannot change it.
import "../helpers/compute-env";
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/tf/backend";
import { createModel } from "../../src/models/zoo";
import { GradientReplicas, shardRanges } from "../../src/train/data-parallel";
import { batchGradients, dropoutLayers, lossWeight } from "../../src/train/step";
import { outputIsProbability } from "../../src/eval/predict";
import { trainModel } from "../../src/train/train";
import { resolveTrainConfig, resumeConflicts } from "../../src/train/config";
import { loadRun, type EpochMetrics } from "../../src/train/runs";
import { fixtureConfig, fixtureData } from "../helpers/train-fixture";

const SHAPE: [number, number, number] = [16, 16, 1];
const K = 8;

function batch(n: number, seed: number): { x: Float32Array; y: Float32Array } {
  const x = tf.tidy(() => tf.randomNormal([n, ...SHAPE], 0, 1, "float32", seed).dataSync() as Float32Array);
  const y = new Float32Array(n * K);
  for (let i = 0; i < n; i++) y[i * K + ((i * 3 + seed) % K)] = 1;
  return { x, y };
}

/** max |a − b| / max |b| over every variable's gradient. */
function gradError(a: tf.NamedTensorMap, b: tf.NamedTensorMap): number {
  let worst = 0;
  for (const name of Object.keys(b)) {
    const av = a[name].dataSync();
    const bv = b[name].dataSync();
    let scale = 1e-12;
    let diff = 0;
    for (let i = 0; i < bv.length; i++) {
      scale = Math.max(scale, Math.abs(bv[i]));
      diff = Math.max(diff, Math.abs(av[i] - bv[i]));
    }
    worst = Math.max(worst, diff / scale);
  }
  return worst;
}

const dispose = (m: tf.NamedTensorMap) => Object.values(m).forEach((t) => t.dispose());

test("shard ranges: even split, at least two examples per shard where the batch allows", () => {
  assert.deepEqual(shardRanges(32, 2), [[0, 16], [16, 32]]);
  assert.deepEqual(shardRanges(7, 3), [[0, 2], [2, 4], [4, 7]]);
  assert.deepEqual(shardRanges(5, 4), [[0, 2], [2, 5]]);
  assert.deepEqual(shardRanges(3, 2), [[0, 3]]);
  assert.deepEqual(shardRanges(1, 2), [[0, 1]]);
});

test("loss weight of a shard: its size, or the sum of its examples' class weights", () => {
  const y = new Float32Array([1, 0, 0, 0, 0.25, 0.75]); // 2 examples, 3 classes (the second mixup)
  assert.equal(lossWeight(y, 2, 3, null), 2);
  assert.equal(lossWeight(y, 2, 3, [2, 1, 4]), 2 + 0.25 + 3);
});

test("wasm, no batch norm or dropout: 2 and 3 replicas give the whole batch's loss and gradient", async () => {
  await initBackend({ backend: "wasm", log: false });
  const build = { seed: 5, inputShape: SHAPE, width: 0.5 };
  const model = createModel("probe_3conv_128", build);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const outputIsProb = outputIsProbability(model);
  for (const [replicas, n, classWeights] of [
    [2, 12, null],
    [3, 7, [1, 2, 0.5, 1, 3, 1, 1, 0.25]],
  ] as Array<[number, number, number[] | null]>) {
    const { x, y } = batch(n, replicas);
    const cw = classWeights ? tf.tensor1d(classWeights) : null;
    const whole = batchGradients(model, vars, x, y, n, SHAPE, cw, outputIsProb);
    const dp = await GradientReplicas.start(vars, { model: "probe_3conv_128", build, backend: "wasm", workers: replicas - 1, classWeights, outputIsProb });
    try {
      assert.equal(dp.replicas, replicas);
      const split = await dp.gradients(model, x, y, n, SHAPE, () => []);
      assert.equal(split.shards, replicas);
      assert.ok(Math.abs(split.loss - whole.loss) <= 1e-5 * Math.abs(whole.loss), `loss ${split.loss} vs ${whole.loss}`);
      assert.equal(split.hits, whole.hits);
      const err = gradError(split.grads, whole.grads);
      assert.ok(err <= 1e-4, `${replicas} replicas: gradient relative error ${err}`);
      dispose(split.grads);
    } finally {
      await dp.close();
      dispose(whole.grads);
      cw?.dispose();
    }
  }
  model.dispose();
});

test("wasm, batch norm and dropout: the combined gradient is the shards' gradients weighted by size", async () => {
  await initBackend({ backend: "wasm", log: false });
  const build = { seed: 2, inputShape: SHAPE, width: 0.125 };
  const model = createModel("mel_cnn4_128", build);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const outputIsProb = outputIsProbability(model);
  const n = 11; // shards of 5 and 6: unequal weights
  const { x, y } = batch(n, 9);
  const dropouts = dropoutLayers(model).length;
  assert.ok(dropouts > 0, "the model should have a dropout layer");
  let next = 100;
  const seedsGiven: number[][] = [];
  const seeds = () => {
    const s = Array.from({ length: dropouts }, () => next++);
    seedsGiven.push(s);
    return s;
  };
  const dp = await GradientReplicas.start(vars, { model: "mel_cnn4_128", build, backend: "wasm", workers: 1, classWeights: null, outputIsProb });
  const split = await dp.gradients(model, x, y, n, SHAPE, seeds);
  await dp.close();
  // The same two shards, one after the other on this thread, with the seeds each shard was given.
  const size = x.length / n;
  const parts = shardRanges(n, 2).map(([a, b], s) => {
    dropoutLayers(model).forEach((d, j) => (d.seed = seedsGiven[s][j]));
    return { n: b - a, ...batchGradients(model, vars, x.slice(a * size, b * size), y.slice(a * K, b * K), b - a, SHAPE, null, outputIsProb) };
  });
  const expected: tf.NamedTensorMap = {};
  for (const v of vars) {
    expected[v.name] = tf.tidy(() => tf.div(tf.add(tf.mul(parts[0].grads[v.name], parts[0].n), tf.mul(parts[1].grads[v.name], parts[1].n)), n));
  }
  const err = gradError(split.grads, expected);
  assert.ok(err <= 1e-4, `gradient relative error ${err}`);
  const expectedLoss = (parts[0].loss * parts[0].n + parts[1].loss * parts[1].n) / n;
  assert.ok(Math.abs(split.loss - expectedLoss) <= 1e-5 * expectedLoss, `loss ${split.loss} vs ${expectedLoss}`);
  // Batch norm really is per shard: the whole batch at once gives another gradient.
  dropoutLayers(model).forEach((d, j) => (d.seed = seedsGiven[0][j]));
  const whole = batchGradients(model, vars, x, y, n, SHAPE, null, outputIsProb);
  assert.ok(gradError(split.grads, whole.grads) > 1e-3, "per-shard batch statistics should change the gradient");
  [split.grads, expected, whole.grads, ...parts.map((p) => p.grads)].forEach(dispose);
  model.dispose();
});

test("a replica that is not the main model is refused with the reason", async () => {
  await initBackend({ backend: "wasm", log: false });
  const model = createModel("probe_3conv_128", { seed: 1, inputShape: SHAPE, width: 0.5 });
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  await assert.rejects(
    GradientReplicas.start(vars, { model: "mel_cnn4_128", build: { seed: 1, inputShape: SHAPE }, backend: "wasm", workers: 1, classWeights: null, outputIsProb: true }),
    /gradient replica 1: replica of mel_cnn4_128 differs from the main model/,
  );
  model.dispose();
});

const withoutSeconds = (m: EpochMetrics[]) => m.map(({ seconds, ...rest }) => (void seconds, rest));

test("training with 2 replicas: learns the fixture, is deterministic, records the count, resume keeps it", async () => {
  const quiet = { progress: false, log: () => undefined };
  const runs = () => fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-dp-"));
  const cfg = (dir: string) => fixtureConfig(dir, { epochs: 3, replicas: 2, backend: "wasm", evaluateAtEnd: true });
  const a = await trainModel(cfg(runs()), { ...quiet, data: fixtureData() });
  const b = await trainModel(cfg(runs()), { ...quiet, data: fixtureData() });
  assert.deepEqual(withoutSeconds(b.metrics), withoutSeconds(a.metrics));
  for (const m of a.metrics) assert.ok(Number.isFinite(m.train_loss) && Number.isFinite(m.val_loss));
  assert.ok(a.evaluation && a.evaluation.trackLevel.accuracy >= 0.75, `test accuracy ${a.evaluation?.trackLevel.accuracy}`);
  assert.equal(loadRun(a.dir).config.train.replicas, 2);
  const stored = resolveTrainConfig(cfg("x"));
  assert.match(resumeConflicts(stored, { ...stored, replicas: 1 }).join("\n"), /^replicas: 2 in the run, 1 now$/);
  // Runs stored before the option existed had one replica.
  const old = { ...stored, replicas: undefined } as unknown as typeof stored;
  assert.deepEqual(resumeConflicts(old, { ...stored, replicas: 1 }), []);
});
