// Saliency methods on a tiny CNN trained in the test on a trivially learnable task: the class is which of
// four mel bands holds energy. Checks: the sanity test of Adebayo et al. 2018 (maps of the trained model
// differ from those of the same architecture with random weights), that trained maps concentrate on the
// informative band, Integrated Gradients' completeness, Grad-CAM through a model split at the conv layer.
import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/tf";
import { Rng } from "../../src/util/random";
import {
  classScore,
  gradCam,
  integratedGradients,
  rowMassFraction,
  saliencyPerGenre,
  smoothGrad,
  spearmanCorrelation,
  vanillaGradient,
} from "../../src/analysis/saliency";

const H = 16; // mel bands
const W = 16; // frames
const K = 4; // classes: band k = rows 4k … 4k+3
const BAND = H / K;

/** A clip of class k: background noise, energy (with a random time envelope) in band k. */
function clip(k: number, rng: Rng): Float32Array {
  const x = new Float32Array(H * W);
  for (let i = 0; i < x.length; i++) x[i] = 0.1 * rng.next();
  for (let t = 0; t < W; t++) {
    const level = 0.6 + 0.4 * rng.next();
    for (let y = k * BAND; y < (k + 1) * BAND; y++) x[y * W + t] = level;
  }
  return x;
}

function tinyModel(seed: number): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed * 10 + s });
  const input = tf.input({ shape: [H, W, 1], name: "input" });
  let x = tf.layers.conv2d({ name: "conv1", filters: 8, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ name: "pool1", poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ name: "conv2", filters: 8, kernelSize: 3, padding: "same", kernelInitializer: init(2) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: "conv2_relu" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: "flatten" }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: "classifier", units: K, activation: "softmax", kernelInitializer: init(3) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

let trained: tf.LayersModel;
let random: tf.LayersModel;
let trainedAccuracy = 0;
const probe = (() => {
  const rng = new Rng(99);
  return Array.from({ length: K }, (_, k) => clip(k, rng));
})();

before(async () => {
  await initBackend({ backend: "wasm", log: false });
  trained = tinyModel(1);
  random = tinyModel(2);
  const rng = new Rng(7);
  const n = 256;
  const xs = new Float32Array(n * H * W);
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % K;
    xs.set(clip(k, rng), i * H * W);
    ys.push(k);
  }
  const x = tf.tensor4d(xs, [n, H, W, 1]);
  const y = tf.oneHot(tf.tensor1d(ys, "int32"), K);
  trained.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  await trained.fit(x, y, { epochs: 4, batchSize: 32, shuffle: false, verbose: 0 });
  const pred = (trained.predict(tf.tensor4d(Float32Array.from(probe.flatMap((p) => Array.from(p))), [K, H, W, 1])) as tf.Tensor).argMax(-1).dataSync();
  trainedAccuracy = Array.from(pred).filter((p, i) => p === i).length / K;
  tf.dispose([x, y]);
});

test("the tiny model learns the band task (precondition of the saliency checks)", () => {
  assert.equal(trainedAccuracy, 1, "trained model should classify the 4 probe clips");
});

function mean(values: number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

for (const [name, method] of [
  ["vanilla gradient", (m: tf.LayersModel, x: Float32Array, k: number) => vanillaGradient(m, x, k)],
  ["SmoothGrad", (m: tf.LayersModel, x: Float32Array, k: number) => smoothGrad(m, x, k, { samples: 8, seed: 3 })],
] as const) {
  test(`${name}: trained maps differ from a randomised model's and lean on the informative band`, () => {
    const correlations: number[] = [];
    const trainedMass: number[] = [];
    const randomMass: number[] = [];
    for (let k = 0; k < K; k++) {
      const a = method(trained, probe[k], k);
      const b = method(random, probe[k], k);
      assert.equal(a.length, H * W);
      assert.ok(a.every(Number.isFinite), "finite map");
      correlations.push(spearmanCorrelation(a, b));
      trainedMass.push(rowMassFraction(a, H, W, k * BAND, (k + 1) * BAND));
      randomMass.push(rowMassFraction(b, H, W, k * BAND, (k + 1) * BAND));
    }
    const corr = mean(correlations);
    console.log(`${name}: Spearman trained vs random ${corr.toFixed(3)}; mass in band trained ${mean(trainedMass).toFixed(3)}, random ${mean(randomMass).toFixed(3)}`);
    assert.ok(corr < 0.4, `${name}: trained and randomised maps too similar (Spearman ${corr.toFixed(3)})`);
    assert.ok(mean(trainedMass) > 0.28, `${name}: ${(mean(trainedMass) * 100).toFixed(1)}% of the map in the informative band (chance 25%)`);
    assert.ok(mean(trainedMass) > mean(randomMass) + 0.05, `${name}: band mass trained ${mean(trainedMass)} vs random ${mean(randomMass)}`);
  });
}

test("Integrated Gradients: signs differ from a randomised model's; the trained map's band evidence is positive", () => {
  // |IG| = |x · mean gradient| follows the input for any weights (Adebayo et al.'s point about
  // gradient ⊙ input), so the randomisation check compares signed maps.
  const correlations: number[] = [];
  for (let k = 0; k < K; k++) {
    const a = integratedGradients(trained, probe[k], k, { steps: 16 });
    const b = integratedGradients(random, probe[k], k, { steps: 16 });
    correlations.push(spearmanCorrelation(a, b));
    let inBand = 0;
    let total = 0;
    for (let y = 0; y < H; y++) {
      for (let t = 0; t < W; t++) {
        total += Math.abs(a[y * W + t]);
        if (y >= k * BAND && y < (k + 1) * BAND) inBand += a[y * W + t];
      }
    }
    assert.ok(inBand > 0.5 * total, `class ${k}: signed band attribution ${inBand} of total |IG| ${total}`);
  }
  const corr = mean(correlations);
  console.log(`Integrated Gradients: signed Spearman trained vs random ${corr.toFixed(3)}`);
  assert.ok(corr < 0.4, `signed IG maps too similar (Spearman ${corr.toFixed(3)})`);
});

// Grad-CAM assumes a head that pools over positions (GAP): a texture task that a GAP model can learn.
// Class 0: steady energy, class 1: energy pulsing every other frame, in a band at a random position.
function textureClip(k: number, band: number, rng: Rng): Float32Array {
  const x = new Float32Array(H * W);
  for (let i = 0; i < x.length; i++) x[i] = 0.1 * rng.next();
  for (let t = 0; t < W; t++) {
    const level = k === 0 ? 0.8 : t % 2 === 0 ? 1 : 0.1;
    for (let y = band * BAND; y < (band + 1) * BAND; y++) x[y * W + t] = level;
  }
  return x;
}

function gapModel(seed: number): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed * 10 + s });
  const input = tf.input({ shape: [H, W, 1], name: "input" });
  let x = tf.layers.conv2d({ name: "conv1", filters: 8, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ name: "pool1", poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ name: "conv2", filters: 8, kernelSize: 3, padding: "same", kernelInitializer: init(2) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: "conv2_relu" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: "classifier", units: 2, activation: "softmax", kernelInitializer: init(3) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

test("Grad-CAM (model split at the conv layer) finds the textured band and differs from a randomised model's", async () => {
  const model = gapModel(3);
  const randomGap = gapModel(4);
  const rng = new Rng(11);
  const n = 256;
  const xs = new Float32Array(n * H * W);
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 2;
    xs.set(textureClip(k, rng.int(0, K), rng), i * H * W);
    ys.push(k);
  }
  const x = tf.tensor4d(xs, [n, H, W, 1]);
  const y = tf.oneHot(tf.tensor1d(ys, "int32"), 2);
  model.compile({ optimizer: tf.train.adam(0.02), loss: "categoricalCrossentropy" });
  await model.fit(x, y, { epochs: 6, batchSize: 32, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  const probeRng = new Rng(5);
  // Adebayo et al.'s cascading randomisation, top layer first: the trained model with its classifier
  // re-initialised. (A fully random CNN's CAM still follows where the input has energy.)
  const topRandomised = gapModel(3);
  topRandomised.setWeights(model.getWeights().slice(0, -2).concat(randomGap.getWeights().slice(-2)));
  const correlations: number[] = [];
  const masses: number[] = [];
  const randomMasses: number[] = [];
  for (let band = 0; band < K; band++) {
    // The pulsing class: its evidence is present in the band (the steady class's is an absence of pulses,
    // and its CAM is all zero — Grad-CAM keeps only positive evidence).
    for (const k of [1]) {
      const clipX = textureClip(k, band, probeRng);
      const a = gradCam(model, clipX, k, { layerName: "conv2_relu" });
      const b = gradCam(topRandomised, clipX, k, { layerName: "conv2_relu" });
      randomMasses.push(rowMassFraction(gradCam(randomGap, clipX, k, { layerName: "conv2_relu" }), H, W, band * BAND, (band + 1) * BAND));
      assert.ok(a.every((v) => v >= 0 && Number.isFinite(v)), "Grad-CAM is a ReLU: non-negative");
      correlations.push(spearmanCorrelation(a, b));
      masses.push(rowMassFraction(a, H, W, band * BAND, (band + 1) * BAND));
    }
  }
  const corr = mean(correlations);
  console.log(`Grad-CAM: Spearman trained vs top-randomised ${corr.toFixed(3)}, mass in textured band ${mean(masses).toFixed(3)} (random CNN ${mean(randomMasses).toFixed(3)})`);
  assert.ok(mean(masses) > 0.5, `Grad-CAM mass in the textured band ${mean(masses)} (chance 0.25)`);
  assert.ok(corr < 0.6, `Grad-CAM maps of trained and randomised models too similar (Spearman ${corr.toFixed(3)})`);
});

test("Integrated Gradients is complete: the map sums to score(x) − score(baseline)", () => {
  const k = 2;
  const map = integratedGradients(trained, probe[k], k, { steps: 64 });
  const total = map.reduce((s, v) => s + v, 0);
  const diff = classScore(trained, probe[k], k) - classScore(trained, new Float32Array(H * W), k);
  assert.ok(Math.abs(total - diff) < 0.05 * Math.abs(diff) + 1e-3, `sum ${total} vs score difference ${diff}`);
});

test("vanilla gradient matches a finite difference of the class score", () => {
  const k = 1;
  const x = probe[k];
  const g = vanillaGradient(trained, x, k);
  // Largest-gradient cell: central difference in float32 with a step well above rounding noise.
  let best = 0;
  for (let i = 1; i < g.length; i++) if (g[i] > g[best]) best = i;
  const h = 2e-3;
  const xp = Float32Array.from(x);
  const xm = Float32Array.from(x);
  xp[best] += h;
  xm[best] -= h;
  const fd = (classScore(trained, xp, k) - classScore(trained, xm, k)) / (2 * h);
  assert.ok(Math.abs(Math.abs(fd) - g[best]) < 0.05 * g[best] + 1e-3, `finite difference ${fd} vs gradient ${g[best]}`);
});

test("Grad-CAM is non-negative and rejects unknown layers; saliencyPerGenre averages per class", () => {
  const cam = gradCam(trained, probe[0], 0, { layerName: "conv2_relu" });
  assert.ok(cam.every((v) => v >= 0));
  assert.throws(() => gradCam(trained, probe[0], 0, { layerName: "nope" }), /no layer "nope"/);
  assert.throws(() => vanillaGradient(trained, probe[0], 9), /out of range/);
  const classes = ["low", "mid-low", "mid-high", "high"];
  const clips = probe.map((x, k) => ({ input: x, trueIndex: k }));
  const per = saliencyPerGenre(trained, [...clips, ...clips], classes, (m, x, k) => vanillaGradient(m, x, k));
  assert.deepEqual(per.byTrue.map((g) => g.count), [2, 2, 2, 2]);
  assert.deepEqual(per.byPredicted.map((g) => g.count), [2, 2, 2, 2]);
  // Each clip is scaled to peak 1 before averaging, and identical clips average to themselves.
  const single = vanillaGradient(trained, probe[3], 3);
  const peak = single.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  per.byTrue[3].map.forEach((v, i) => assert.ok(Math.abs(v - single[i] / peak) < 1e-5));
});

test("every method runs on the zoo's log-mel models (BN, GAP, 1-D convs) at a small input size", async () => {
  const { MODEL_ZOO } = await import("../../src/models");
  const rng = new Rng(4);
  const x = Float32Array.from({ length: 32 * 32 }, () => rng.next());
  for (const name of ["mel_cnn4_128", "timeconv1d", "probe_3conv_128"]) {
    const spec = MODEL_ZOO[name];
    const model = spec.build({ numClasses: 3, seed: 1, inputShape: [32, 32, 1], width: 0.25 });
    for (const map of [
      vanillaGradient(model, x, 1),
      gradCam(model, x, 1, { layerName: spec.lastConvLayer! }),
      integratedGradients(model, x, 1, { steps: 4 }),
    ]) {
      assert.equal(map.length, 32 * 32, name);
      assert.ok(map.every(Number.isFinite), `${name}: finite`);
    }
    const ig = integratedGradients(model, x, 2, { steps: 32 });
    const diff = classScore(model, x, 2) - classScore(model, new Float32Array(32 * 32), 2);
    const sum = ig.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(sum - diff) < 0.1 * Math.abs(diff) + 1e-3, `${name}: IG sum ${sum} vs score difference ${diff}`);
    model.dispose();
  }
});

test("saliency methods leave no tensors behind", () => {
  const x = probe[1];
  const run = () => {
    gradCam(trained, x, 1, { layerName: "conv2_relu" });
    vanillaGradient(trained, x, 1);
    smoothGrad(trained, x, 1, { samples: 3 });
    integratedGradients(trained, x, 1, { steps: 3 });
    classScore(trained, x, 1);
  };
  run(); // first call builds and caches the Grad-CAM sub-model
  const before = tf.memory().numTensors;
  run();
  run();
  assert.equal(tf.memory().numTensors, before);
});
