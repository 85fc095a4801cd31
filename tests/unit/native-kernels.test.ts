// fmalab's native kernels (src/native/addon) against their JavaScript twins, function by function, on odd
// shapes; then through tfjs: the fused batch-norm layer and the pooling / activation gradients with the
// native kernels on against tfjs-layers' and tfjs-core's own maths. Skips, saying so, where the addon is
// not built — except in CI (CI=true), where `npm ci` builds it and its absence is a failure.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { loadNativeKernels, nativeKernelsError } from "../../src/native/kernels";
import { im2colJs, col2imAddJs } from "../../src/tf/blas-kernels";
import type { ConvGeometry } from "../../src/tf/blas-kernels/gemm";
import { geometryArray, setActiveNativeKernels, activeNativeKernels } from "../../src/tf/native-engine";
import { batchNormTrainingGradient, channelMoments, normaliseChannels } from "../../src/tf/fused-ops/batch-norm-training";
import { FusedBatchNormalization } from "../../src/models/layers";
import { InPlaceSGDOptimizer } from "../../src/tf/fused-ops/sgd";
import { initBackend } from "../../src/tf";
import { configureCompute, computeSettingsFromEnv } from "../../src/native/settings";
import { randomArray, relMaxError } from "../helpers/tf-parity";

const kernels = loadNativeKernels();
const skip = kernels ? false : `fmalab native kernels not built: ${nativeKernelsError()}`;

test("CI builds the native kernels (npm ci runs scripts/build-addon.mjs)", { skip: process.env.CI ? false : "not CI" }, () => {
  assert.ok(kernels, `the addon did not load in CI: ${nativeKernelsError()}`);
});

function geometry(o: Partial<ConvGeometry> & { N: number; H: number; W: number; C: number; k: number; s?: number; d?: number; pad: "same" | "valid" }): ConvGeometry {
  const s = o.s ?? 1;
  const d = o.d ?? 1;
  const eff = (o.k - 1) * d + 1;
  const oH = o.pad === "same" ? Math.ceil(o.H / s) : Math.floor((o.H - eff) / s) + 1;
  const oW = o.pad === "same" ? Math.ceil(o.W / s) : Math.floor((o.W - eff) / s) + 1;
  const padH = o.pad === "same" ? Math.max(0, (oH - 1) * s + eff - o.H) : 0;
  const padW = o.pad === "same" ? Math.max(0, (oW - 1) * s + eff - o.W) : 0;
  return { N: o.N, H: o.H, W: o.W, C: o.C, kH: o.k, kW: o.k, sH: s, sW: s, dH: d, dW: d, pt: Math.floor(padH / 2), pl: Math.floor(padW / 2), oH, oW };
}

const CASES: [string, ConvGeometry][] = [
  ["3×3 same, 5 channels", geometry({ N: 2, H: 7, W: 9, C: 5, k: 3, pad: "same" })],
  ["3×3 stride 2 same (odd image)", geometry({ N: 3, H: 11, W: 6, C: 3, k: 3, s: 2, pad: "same" })],
  ["5×5 valid", geometry({ N: 1, H: 12, W: 10, C: 2, k: 5, pad: "valid" })],
  ["3×3 dilation 2 same", geometry({ N: 2, H: 9, W: 9, C: 4, k: 3, d: 2, pad: "same" })],
  ["1×1 stride 2 (a shortcut)", geometry({ N: 2, H: 8, W: 8, C: 6, k: 1, s: 2, pad: "valid" })],
  ["batch 1, one channel", geometry({ N: 1, H: 16, W: 13, C: 1, k: 3, pad: "same" })],
];

for (const [why, g] of CASES) {
  const K = g.kH * g.kW * g.C;
  const rows = g.N * g.oH * g.oW;
  test(`im2col native = JavaScript, whole and in chunks: ${why}`, { skip }, () => {
    const x = randomArray(g.N * g.H * g.W * g.C, 1);
    for (const [r0, r1] of [
      [0, rows],
      [Math.floor(rows / 3), Math.floor((2 * rows) / 3) + 1],
    ]) {
      const a = new Float32Array((r1 - r0) * K).fill(7);
      const b = new Float32Array((r1 - r0) * K).fill(-7);
      kernels!.im2col(x, geometryArray(g), r0, r1, a);
      im2colJs(x, g, r0, r1, b);
      assert.deepEqual(a, b, `rows ${r0}..${r1}`);
    }
  });

  test(`col2imAdd native = JavaScript (adds into dx, rows in chunks): ${why}`, { skip }, () => {
    const base = randomArray(g.N * g.H * g.W * g.C, 2);
    const a = Float32Array.from(base);
    const b = Float32Array.from(base);
    const cut = Math.max(1, Math.floor(rows / 2) - 1);
    for (const [r0, r1] of [
      [0, cut],
      [cut, rows],
    ]) {
      const col = randomArray((r1 - r0) * K, 3 + r0);
      kernels!.col2imAdd(col, geometryArray(g), r0, r1, a);
      col2imAddJs(col, g, r0, r1, b);
    }
    // Sums in another order (gathered per pixel, not scattered per row): float rounding only.
    assert.ok(relMaxError(a, b) < 1e-6, `relative max error ${relMaxError(a, b)}`);
  });
}

test("batch-norm moments, normalisation and gradient: native = JavaScript (float64 sums; 1e-6)", { skip }, () => {
  for (const [rows, C] of [
    [1, 3],
    [37, 5],
    [4099, 16],
  ]) {
    // An offset mean: the shifted sums must not cancel.
    const x = randomArray(rows * C, 4).map((v, i) => 3 * v + 100 + (i % C));
    const dy = randomArray(rows * C, 5);
    const gamma = randomArray(C, 6);
    const beta = randomArray(C, 7);
    const js = channelMoments(x, C);
    const mean = new Float32Array(C);
    const variance = new Float32Array(C);
    kernels!.bnMoments(x, C, mean, variance);
    assert.ok(relMaxError(mean, js.mean) < 1e-6 && relMaxError(variance, js.variance) < 1e-6, `moments ${rows}×${C}`);
    const yN = new Float32Array(x.length);
    const yJ = new Float32Array(x.length);
    kernels!.bnNormalise(x, mean, variance, gamma, beta, 1e-5, yN);
    normaliseChannels(x, mean, variance, gamma, beta, 1e-5, yJ);
    assert.ok(relMaxError(yN, yJ) < 1e-6, `normalise ${rows}×${C}: ${relMaxError(yN, yJ)}`);
    const n = { dx: new Float32Array(x.length), dgamma: new Float32Array(C), dbeta: new Float32Array(C) };
    const j = { dx: new Float32Array(x.length), dgamma: new Float32Array(C), dbeta: new Float32Array(C) };
    kernels!.bnGrad(dy, x, mean, variance, gamma, 1e-5, n.dx, n.dgamma, n.dbeta);
    batchNormTrainingGradient(dy, x, mean, variance, gamma, 1e-5, j);
    for (const k of ["dx", "dgamma", "dbeta"] as const) assert.ok(relMaxError(n[k], j[k]) < 1e-5, `${k} ${rows}×${C}: ${relMaxError(n[k], j[k])}`);
  }
});

test("the native kernels are deterministic for a fixed thread count, and agree across thread counts", { skip }, () => {
  const rows = 50_000;
  const C = 8;
  const x = randomArray(rows * C, 8);
  const dy = randomArray(rows * C, 9);
  const gamma = new Float32Array(C).fill(1.5);
  const run = (): Float32Array[] => {
    const mean = new Float32Array(C);
    const variance = new Float32Array(C);
    kernels!.bnMoments(x, C, mean, variance);
    const out = { dx: new Float32Array(x.length), dgamma: new Float32Array(C), dbeta: new Float32Array(C) };
    kernels!.bnGrad(dy, x, mean, variance, gamma, 1e-5, out.dx, out.dgamma, out.dbeta);
    return [mean, variance, out.dx, out.dgamma, out.dbeta];
  };
  const before = kernels!.threads();
  try {
    kernels!.setThreads(2);
    assert.equal(kernels!.threads(), 2);
    const a = run();
    const b = run();
    a.forEach((v, k) => assert.deepEqual(v, b[k], `output ${k}, 2 threads, twice`));
    kernels!.setThreads(1);
    const c = run();
    a.forEach((v, k) => assert.ok(relMaxError(v, c[k]) < 1e-6, `output ${k}: 1 vs 2 threads`));
  } finally {
    kernels!.setThreads(before);
  }
});

test("the native kernels refuse wrong arguments with a clear error instead of writing out of bounds", { skip }, () => {
  const g = CASES[0][1];
  const x = new Float32Array(g.N * g.H * g.W * g.C);
  assert.throws(() => kernels!.im2col(x, geometryArray(g), 0, 10, new Float32Array(5)), /im2col: arrays too small/);
  assert.throws(() => kernels!.im2col(new Float64Array(4) as unknown as Float32Array, geometryArray(g), 0, 1, new Float32Array(500)), /x: Float32Array/);
  assert.throws(() => kernels!.bnMoments(new Float32Array(7), 3, new Float32Array(3), new Float32Array(3)), /rows × channels/);
  assert.throws(() => kernels!.leakyReluGrad(new Float32Array(4), new Float32Array(5), 0, new Float32Array(5), false), /lengths differ/);
});

// ---- through tfjs on wasm ----------------------------------------------------------------------------

before(async () => {
  configureCompute(computeSettingsFromEnv(process.env));
  await initBackend({ backend: "wasm", log: false });
});

after(() => {
  configureCompute(computeSettingsFromEnv(process.env));
});

/** fn's outputs with the native kernels on, then off (the JavaScript / wasm twins). */
function nativeAndTwin(fn: () => tf.Tensor[]): { native: Float32Array[]; twin: Float32Array[] } {
  const was = activeNativeKernels();
  const values = (): Float32Array[] => {
    const outs = tf.tidy(fn);
    const v = outs.map((t) => Float32Array.from(t.dataSync()));
    tf.dispose(outs);
    return v;
  };
  try {
    setActiveNativeKernels(kernels);
    const native = values();
    setActiveNativeKernels(null);
    const twin = values();
    return { native, twin };
  } finally {
    setActiveNativeKernels(was);
  }
}

test("MaxPoolGrad and the Relu / LeakyRelu gradients: native = wasm kernels (ties, NaN, overlapping windows)", { skip }, async () => {
  await tf.setBackend("wasm");
  // Small integers make ties; one NaN; 3×3 windows at stride 2 overlap.
  const data = randomArray(2 * 9 * 7 * 3, 10).map((v) => Math.round(v * 2));
  data[5] = NaN;
  const x = tf.tensor4d(data, [2, 9, 7, 3]);
  const w = tf.tensor4d(randomArray(2 * 9 * 7 * 3, 11), [2, 9, 7, 3]);
  const r = nativeAndTwin(() => [
    tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 2, 2, "valid")))(x),
    tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 3, 2, "same"), tf.maxPool(w, 3, 2, "same"))))(x),
    tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), w)))(x),
    tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(t, 0.01), w)))(x),
  ]);
  r.native.forEach((v, k) => assert.deepEqual(v, r.twin[k], `output ${k}`));
  tf.dispose([x, w]);
});

test("LeakyRelu forward: native = the wasm package's kernel bit for bit, and = cpu (NaN, ±0, odd sizes, several alphas)", { skip }, async () => {
  await tf.setBackend("wasm");
  // Odd sizes around the pool's 65,536-value chunks; NaN, ±0 and ±Infinity pass through as tfjs defines.
  const sizes = [1, 7, 65537, 3 * 65536 + 5];
  let calls = 0;
  const counting = { ...kernels!, leakyRelu: (x: Float32Array, a: number, y: Float32Array) => (calls++, kernels!.leakyRelu(x, a, y)) };
  const outputs = (withNative: boolean): Float32Array[] => {
    const was = activeNativeKernels();
    setActiveNativeKernels(withNative ? counting : null);
    try {
      return sizes.flatMap((n, i) => {
        const data = randomArray(n, 60 + i);
        data[0] = NaN;
        if (n > 4) [data[1], data[2], data[3], data[4]] = [-0, 0, -Infinity, Infinity];
        return [0.01, 0.2, 1.5].map((alpha) => {
          const x = tf.tensor1d(data);
          const y = tf.leakyRelu(tf.reshape(x, n % 7 === 0 ? [n / 7, 7] : [n]), alpha);
          const v = Float32Array.from(y.dataSync());
          tf.dispose([x, y]);
          return v;
        });
      });
    } finally {
      setActiveNativeKernels(was);
    }
  };
  const native = outputs(true);
  assert.equal(calls, sizes.length * 3, "every case ran on the native kernel");
  const wasm = outputs(false);
  await tf.setBackend("cpu");
  const cpu = outputs(false);
  await tf.setBackend("wasm");
  native.forEach((v, k) => {
    assert.deepEqual(v, wasm[k], `case ${k}: native vs the wasm package's kernel`);
    const e = relMaxError(v.map((u) => (Number.isFinite(u) ? u : 0)), cpu[k].map((u) => (Number.isFinite(u) ? u : 0)));
    assert.ok(e < 1e-6, `case ${k}: native vs cpu relative max error ${e}`);
    assert.ok(Number.isNaN(v[0]) && Number.isNaN(cpu[k][0]), `case ${k}: NaN passes through`);
  });
  const int = tf.tensor1d([-3, 2], "int32");
  calls = 0;
  setActiveNativeKernels(counting);
  const yi = tf.leakyRelu(int, 0.5);
  assert.deepEqual(Array.from(yi.dataSync()), [-1.5, 2], "int32 input: the package's kernel (float32 out)");
  assert.equal(calls, 0, "int32 input does not take the native kernel");
  setActiveNativeKernels(kernels);
  tf.dispose([int, yi]);
  assert.throws(() => kernels!.leakyRelu(new Float32Array(3), 0.1, new Float32Array(4)), /leakyRelu: lengths differ/);
});

test("InPlaceSGDOptimizer: the native in-place update = tfjs's SGD bit for bit; shared memory takes tfjs's path", { skip }, async () => {
  await tf.setBackend("wasm");
  const shapes = [[7, 5], [300001], [3]];
  let axpyCalls = 0;
  const counting = { ...kernels!, axpy: (x: Float32Array, a: number, y: Float32Array) => (axpyCalls++, kernels!.axpy(x, a, y)) };
  const run = (make: () => tf.Optimizer, withNative: boolean) => {
    const was = activeNativeKernels();
    setActiveNativeKernels(withNative ? counting : null);
    try {
      const vars = shapes.map((s, i) => tf.tidy(() => tf.variable(tf.tensor(randomArray(s.reduce((a, b) => a * b), 30 + i), s), true, `sgd_parity_${withNative}_${i}`)));
      // The third variable's memory is shared with a reshaped view: it must not change under the view.
      const view = tf.reshape(vars[2], [3, 1]);
      const before = Float32Array.from(view.dataSync());
      const opt = make();
      for (let step = 0; step < 3; step++) {
        const grads = vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(randomArray(v.size, 40 + 10 * step + i), v.shape) }));
        opt.applyGradients(grads);
        tf.dispose(grads.map((g) => g.tensor));
      }
      const out = vars.map((v) => Float32Array.from(v.dataSync()));
      assert.deepEqual(Float32Array.from(view.dataSync()), before, "the view sharing the variable's first memory is unchanged");
      const iterations = (opt as unknown as { iterations: number }).iterations;
      tf.dispose([view, ...vars]);
      opt.dispose();
      return { out, iterations };
    } finally {
      setActiveNativeKernels(was);
    }
  };
  const native = run(() => new InPlaceSGDOptimizer(0.037), true);
  const tfjs = run(() => tf.train.sgd(0.037), false);
  native.out.forEach((v, i) => assert.deepEqual(v, tfjs.out[i], `variable ${i}`));
  assert.equal(native.iterations, tfjs.iterations);
  // 3 steps × 2 unshared variables, plus the shared one from step 2 on (its first update replaced its memory).
  assert.equal(axpyCalls, 8);
  assert.throws(() => kernels!.axpy(new Float32Array(3), 1, new Float32Array(4)), /axpy: lengths differ/);
});

test("FusedBatchNormalization in training: native = tfjs-layers' BatchNormalization (y, gradients, moving stats)", { skip }, async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor4d(randomArray(3 * 5 * 4 * 6, 12).map((v) => 2 * v + 5), [3, 5, 4, 6]);
  const w = tf.tensor4d(randomArray(3 * 5 * 4 * 6, 13), [3, 5, 4, 6]);
  const make = (fused: boolean): tf.layers.Layer => {
    const args = { axis: -1, momentum: 0.9, epsilon: 1e-5 };
    const layer = fused ? new FusedBatchNormalization(args) : tf.layers.batchNormalization(args);
    layer.apply(x);
    layer.setWeights([tf.tensor1d(randomArray(6, 14)), tf.tensor1d(randomArray(6, 15)), tf.zeros([6]), tf.ones([6])]);
    return layer;
  };
  const run = (layer: tf.layers.Layer): Float32Array[] => {
    const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
    const f = (t: tf.Tensor) => tf.sum(tf.mul(layer.apply(t, { training: true }) as tf.Tensor, w)) as tf.Scalar;
    const { grads } = tf.variableGrads(() => f(x), vars);
    const dx = tf.grad(f)(x);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const out = [y, dx, ...vars.map((v) => grads[v.name]), ...layer.getWeights().slice(2)].map((t) => Float32Array.from(t.dataSync()));
    tf.dispose([dx, y, ...Object.values(grads)]);
    return out;
  };
  setActiveNativeKernels(kernels);
  const fused = run(make(true));
  const plain = run(make(false));
  setActiveNativeKernels(null);
  const names = ["y", "dx", "dgamma", "dbeta", "moving mean", "moving variance"];
  fused.forEach((v, k) => assert.ok(relMaxError(v, plain[k]) < 1e-4, `${names[k]}: relative max error ${relMaxError(v, plain[k])}`));
  tf.dispose([x, w]);
});
