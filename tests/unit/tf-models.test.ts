// One SGD step of every zoo model (small inputs/widths) gives the same updated weights on wasm (with our
// training kernels) and on the reference cpu backend; zoo registry behaviour; hand-derived parameter counts.
import "../helpers/compute-env";
import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/tf";
import { createModel, listModels, MODEL_ZOO, SEED_V2_CHANNELS, penultimateLayerName, lastConvLayerName } from "../../src/models";
import type { ModelBuildOptions, ModelSpec } from "../../src/models";
import { randomArray } from "../helpers/tf-parity";

before(async () => {
  await initBackend({ backend: "wasm", log: false });
});

const BATCH = 3;

function smallOptions(spec: ModelSpec): ModelBuildOptions {
  const big = spec.name === "resnet50" || spec.name === "seed_improved_v2";
  if (spec.input.kind === "features") return { seed: 5, inputDim: 12, dropoutSeed: 9 };
  return {
    seed: 5,
    dropoutSeed: 9,
    width: big ? 0.125 : spec.input.kind === "seed-image" ? 0.25 : 0.5,
    // ResNet50 at 32×32 ends at 1×1×C: batch-norm over 3 values per channel is too ill-conditioned for a
    // parity test (float rounding gets amplified); at 64×64 the inference outputs agree to ≈1e-7.
    inputShape: spec.name === "resnet50" ? [64, 64, 3] : spec.input.kind === "seed-image" ? [32, 32, 3] : [32, 24, 1],
  };
}

interface StepResult {
  loss: number;
  before: Float32Array[];
  after: Float32Array[];
}

async function oneStep(backend: string, spec: ModelSpec, init: Float32Array[] | null): Promise<StepResult> {
  await tf.setBackend(backend);
  const opts = smallOptions(spec);
  const model = createModel(spec.name, opts);
  if (init) model.setWeights(model.getWeights().map((w, i) => tf.tensor(init[i], w.shape)));
  const inShape = model.inputs[0].shape.slice(1) as number[];
  const x = tf.tensor(randomArray(BATCH * inShape.reduce((a, b) => a * b), 77), [BATCH, ...inShape]);
  const y = tf.oneHot(tf.tensor1d([1, 4, 6], "int32"), 8).toFloat();
  model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
  const before = model.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
  const loss = (await model.trainOnBatch(x, y)) as number;
  const after = model.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
  tf.dispose([x, y]);
  model.dispose();
  return { loss, before, after };
}

for (const spec of listModels()) {
  test(`one SGD step of ${spec.name}: wasm and cpu give the same updated weights`, async () => {
    const wasm = await oneStep("wasm", spec, null);
    const cpu = await oneStep("cpu", spec, wasm.before);
    await tf.setBackend("wasm");
    assert.ok(Number.isFinite(wasm.loss));
    assert.ok(Math.abs(wasm.loss - cpu.loss) <= 1e-4 * Math.abs(cpu.loss) + 1e-5, `loss ${wasm.loss} vs ${cpu.loss}`);
    // Floor: biases feeding a BatchNorm have a zero gradient in exact arithmetic, so their updates are pure
    // rounding noise on both backends; compare those against the scale of the whole step.
    let globalMax = 0;
    for (let i = 0; i < cpu.after.length; i++)
      for (let j = 0; j < cpu.after[i].length; j++) globalMax = Math.max(globalMax, Math.abs(cpu.after[i][j] - cpu.before[i][j]));
    let moved = 0;
    for (let i = 0; i < wasm.after.length; i++) {
      let maxRef = 0;
      let maxDiff = 0;
      for (let j = 0; j < wasm.after[i].length; j++) {
        const dWasm = wasm.after[i][j] - wasm.before[i][j];
        const dCpu = cpu.after[i][j] - cpu.before[i][j];
        maxRef = Math.max(maxRef, Math.abs(dCpu));
        maxDiff = Math.max(maxDiff, Math.abs(dWasm - dCpu));
      }
      if (maxRef > 1e-6) moved++;
      assert.ok(maxDiff <= 1e-3 * maxRef + 1e-4 * globalMax, `weight ${i}: max |Δwasm − Δcpu| = ${maxDiff}, max |Δcpu| = ${maxRef}`);
    }
    assert.ok(moved >= 1, "the step changed no weight");
  });
}

test("createModel: unknown names are rejected with the list of known models", () => {
  assert.throws(() => createModel("no_such_model"), (err: Error) => /unknown model 'no_such_model'.*mel_cnn4_128/.test(err.message));
});

test("every spec names an existing penultimate layer and (for CNNs) a 4-D last conv layer", () => {
  for (const spec of listModels()) {
    const model = createModel(spec.name, smallOptions(spec));
    const pen = model.getLayer(penultimateLayerName(spec));
    assert.equal(pen.outputShape.length, 2, `${spec.name}: embedding should be [batch, dim]`);
    const conv = lastConvLayerName(spec);
    if (spec.input.kind === "features") assert.equal(conv, null);
    else if (spec.name !== "timeconv1d") assert.equal((model.getLayer(conv!).outputShape as number[]).length, 4, spec.name);
    model.dispose();
  }
});

/** Parameter count of ImprovedMusicGenreCNNv2 derived from its definition (BN counts γ, β, moving mean, variance). */
function seedV2ParamsByHand(inputSide: number, inChannels: number, classes: number): number {
  let total = 0;
  let cin = inChannels;
  for (const cout of SEED_V2_CHANNELS) {
    total += 9 * cin * cout + cout; // conv3×3 + bias
    total += 4 * cout; // BN
    total += cin * cout + cout; // 1×1 shortcut conv + bias
    total += 4 * cout; // shortcut BN
    cin = cout;
  }
  const side = inputSide / 2 ** 5;
  const flat = side * side * 1024;
  total += flat * 2048 + 2048 + 2048 * 1024 + 1024 + 1024 * classes + classes;
  return total;
}

test("seed_improved_v2 at 224×224×3 has the hand-derived ≈112 M parameters", () => {
  const expected = seedV2ParamsByHand(224, 3, 8);
  assert.equal(expected, 111_873_672);
  const model = MODEL_ZOO.seed_improved_v2.build({ seed: 1 });
  assert.equal(model.countParams(), expected);
  assert.deepEqual(model.getLayer("block6_add").outputShape, [null, 7, 7, 1024]);
  model.dispose();
});

test("resnet50 for 8 classes has Keras's ResNet50 parameter count (23,587,712 backbone + 2048·8 + 8 head)", () => {
  const model = MODEL_ZOO.resnet50.build({ seed: 1 });
  assert.equal(model.countParams(), 23_587_712 + 2048 * 8 + 8);
  model.dispose();
});

test("mel_cnn4_128 parameter count matches its definition", () => {
  const chans = [1, 32, 64, 128, 128];
  let expected = 0;
  for (let i = 1; i < chans.length; i++) expected += 9 * chans[i - 1] * chans[i] + 4 * chans[i];
  expected += 128 * 8 + 8;
  const model = createModel("mel_cnn4_128", { seed: 1 });
  assert.equal(model.countParams(), expected);
  assert.deepEqual(model.outputs[0].shape, [null, 8]);
  model.dispose();
});

test("an input too small for the architecture is rejected at build time with the layer named", () => {
  assert.throws(
    () => createModel("mel_cnn4_128", { seed: 1, inputShape: [16, 12, 1] }),
    (err: Error) => /mel_cnn4_128: input 16×12×1 is too small .*block4_pool/.test(err.message),
  );
});

test("loadResNet50Weights copies weights by layer name from a local folder and never looks elsewhere", async () => {
  const fs = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  const { saveModel } = await import("../../src/tf");
  const { loadResNet50Weights } = await import("../../src/models");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-resnet-"));
  const opts = { width: 0.125, inputShape: [64, 64, 3] as [number, number, number] };
  const source = createModel("resnet50", { ...opts, seed: 1 });
  await saveModel(source, dir);
  // A 3-class head: its classifier does not match the file and keeps its own initial weights.
  const target = createModel("resnet50", { ...opts, seed: 2, numClasses: 3 });
  const headBefore = target.getLayer("classifier").getWeights()[0].dataSync().slice();
  const set = loadResNet50Weights(target, dir);
  assert.ok(set.includes("conv1_conv") && set.includes("conv5_block3_3_bn") && !set.includes("classifier"));
  const a = source.getLayer("conv4_block2_2_conv").getWeights()[0].dataSync();
  const b = target.getLayer("conv4_block2_2_conv").getWeights()[0].dataSync();
  assert.deepEqual(Array.from(b), Array.from(a));
  assert.deepEqual(Array.from(target.getLayer("classifier").getWeights()[0].dataSync()), Array.from(headBefore));
  assert.throws(() => loadResNet50Weights(target, path.join(dir, "missing")), /no model\.json .*never downloads/);
  source.dispose();
  target.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});
