// Backend selection: one tfjs-core copy, the fallback order, the backend setting (FMALAB_BACKEND at the
// edges), idempotence.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend, currentBackend, tfjsCoreLocations, registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from "../../src/tf";
import { configureCompute, computeSettings, computeSettingsFromEnv, resetComputeSettings } from "../../src/native/settings";

function tfjsNodeInstalled(): boolean {
  try {
    require.resolve("tfjs-node-optional");
    return true;
  } catch {
    return false;
  }
}

test("tfjs, tfjs-backend-wasm, tfjs-layers and danfojs-node share one @tensorflow/tfjs-core", () => {
  const locations = tfjsCoreLocations();
  const paths = new Set(Object.values(locations));
  assert.equal(paths.size, 1, JSON.stringify(locations, null, 2));
  assert.ok(![...paths][0].startsWith("unresolved"), JSON.stringify(locations));
});

test("initBackend picks tensorflow when tfjs-node is installed, else wasm; repeated calls return the same choice", async () => {
  const saved = computeSettings();
  resetComputeSettings();
  configureCompute({ blas: saved.blas, blasThreads: saved.blasThreads });
  try {
    const first = await initBackend({ log: false });
    assert.equal(first.backend, tfjsNodeInstalled() ? "tensorflow" : "wasm");
    assert.equal(tf.getBackend(), first.backend);
    assert.ok(first.threads >= 0 && first.note.length > 0);
    const again = await initBackend({ log: false });
    assert.equal(again, first);
    assert.equal(currentBackend(), first);
  } finally {
    configureCompute(saved);
  }
});

test("FMALAB_BACKEND=cpu (the backend setting) selects cpu; the option overrides it; bad names are rejected", async () => {
  const saved = computeSettings();
  try {
    configureCompute(computeSettingsFromEnv({ FMALAB_BACKEND: "cpu" }));
    assert.equal((await initBackend({ log: false })).backend, "cpu");
    assert.equal(tf.getBackend(), "cpu");
    assert.equal((await initBackend({ backend: "wasm", log: false })).backend, "wasm");
    assert.throws(() => computeSettingsFromEnv({ FMALAB_BACKEND: "gpu" }), /FMALAB_BACKEND=gpu: expected one of/);
    configureCompute({ backend: "gpu" as never });
    await assert.rejects(initBackend({ log: false }), /unknown backend 'gpu'/);
    if (!tfjsNodeInstalled()) await assert.rejects(initBackend({ backend: "tensorflow", log: false }), /tfjs-node not available/);
  } finally {
    resetComputeSettings();
    configureCompute(saved);
  }
  await tf.setBackend("wasm");
});

test("our training kernels are registered on wasm and registration is idempotent", () => {
  registerWasmTrainingKernels();
  const first = new Map(WASM_TRAINING_KERNELS.map((name) => [name, tf.getKernel(name, "wasm")?.kernelFunc]));
  for (const [name, fn] of first) assert.ok(fn, `${name} registered`);
  // A second call must not wrap our kernels again (a wrapper around a wrapper would call itself twice).
  registerWasmTrainingKernels();
  for (const name of WASM_TRAINING_KERNELS) assert.equal(tf.getKernel(name, "wasm")?.kernelFunc, first.get(name), `${name} unchanged by the second call`);
  // Our Conv2DBackpropFilter replaces the package's (wasm has none) rather than sitting beside it.
  assert.equal(tf.getKernelsForBackend("wasm").filter((k) => k.kernelName === "Conv2DBackpropFilter").length, 1);
});

test("FMALAB_WASM_KERNELS is parsed at the edge into computeSettings().wasmKernels; bad values are rejected", () => {
  assert.equal(computeSettingsFromEnv({ FMALAB_WASM_KERNELS: "minimal" }).wasmKernels, "minimal");
  assert.equal(computeSettingsFromEnv({ FMALAB_WASM_KERNELS: "fmalab" }).wasmKernels, "fmalab");
  assert.equal(computeSettingsFromEnv({}).wasmKernels, undefined);
  assert.throws(() => computeSettingsFromEnv({ FMALAB_WASM_KERNELS: "fast" }), /FMALAB_WASM_KERNELS=fast: expected one of fmalab, minimal/);
  const saved = computeSettings();
  try {
    assert.equal(configureCompute(computeSettingsFromEnv({ FMALAB_WASM_KERNELS: "minimal" })).wasmKernels, "minimal");
  } finally {
    resetComputeSettings();
    configureCompute(saved);
  }
});
