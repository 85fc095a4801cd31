// Backend selection: one tfjs-core copy, the fallback order, FMALAB_BACKEND, idempotence.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend, currentBackend, tfjsCoreLocations, registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from "../../src/tf";

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
  const saved = process.env.FMALAB_BACKEND;
  delete process.env.FMALAB_BACKEND;
  try {
    const first = await initBackend({ log: false });
    assert.equal(first.backend, tfjsNodeInstalled() ? "tensorflow" : "wasm");
    assert.equal(tf.getBackend(), first.backend);
    assert.ok(first.threads >= 0 && first.note.length > 0);
    const again = await initBackend({ log: false });
    assert.equal(again, first);
    assert.equal(currentBackend(), first);
  } finally {
    if (saved !== undefined) process.env.FMALAB_BACKEND = saved;
  }
});

test("FMALAB_BACKEND=cpu selects cpu; the option overrides the variable; bad names are rejected", async () => {
  const saved = process.env.FMALAB_BACKEND;
  try {
    process.env.FMALAB_BACKEND = "cpu";
    assert.equal((await initBackend({ log: false })).backend, "cpu");
    assert.equal(tf.getBackend(), "cpu");
    assert.equal((await initBackend({ backend: "wasm", log: false })).backend, "wasm");
    process.env.FMALAB_BACKEND = "gpu";
    await assert.rejects(initBackend({ log: false }), /unknown backend 'gpu'/);
    if (!tfjsNodeInstalled()) await assert.rejects(initBackend({ backend: "tensorflow", log: false }), /tfjs-node not available/);
  } finally {
    if (saved === undefined) delete process.env.FMALAB_BACKEND;
    else process.env.FMALAB_BACKEND = saved;
  }
  await tf.setBackend("wasm");
});

test("our training kernels are registered on wasm and registration is idempotent", () => {
  registerWasmTrainingKernels();
  registerWasmTrainingKernels();
  for (const name of WASM_TRAINING_KERNELS) assert.ok(tf.getKernel(name, "wasm"), name);
});
