// saveModel / loadModel: round trip, tfjs-node-compatible layout, atomic replacement, clear errors.
import "../helpers/compute-env";
import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend, loadModel, saveModel, readModelMetadata, readWeightsFromDir } from "../../src/tf";
import { createModel } from "../../src/models";
import { randomArray } from "../helpers/tf-parity";

let tmp: string;
before(async () => {
  await initBackend({ backend: "wasm", log: false });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-tf-io-"));
});

function smallModel(): tf.LayersModel {
  return createModel("mel_cnn4_128", { seed: 3, width: 0.25, inputShape: [16, 16, 1] });
}

test("save → load round trip gives identical predictions and weights", async () => {
  const model = smallModel();
  const dir = path.join(tmp, "roundtrip");
  await saveModel(model, dir, { genres: ["Rock", "Pop"], note: "test" });
  const loaded = await loadModel(dir);
  const x = tf.tensor(randomArray(2 * 16 * 16, 1), [2, 16, 16, 1]);
  const a = (model.predict(x) as tf.Tensor).dataSync();
  const b = (loaded.predict(x) as tf.Tensor).dataSync();
  assert.deepEqual(Array.from(b), Array.from(a));
  assert.equal(loaded.getWeights().length, model.getWeights().length);
  assert.deepEqual(readModelMetadata(dir), { genres: ["Rock", "Pop"], note: "test" });
});

test("the folder has tfjs-node's file:// layout (model.json layers-model + weights.bin)", async () => {
  const model = smallModel();
  const dir = path.join(tmp, "layout");
  await saveModel(model, dir);
  // CHECKSUMS.json (sizes + CRC32s, checked by loadModel) beside them; tfjs-node's loader ignores it.
  assert.deepEqual(fs.readdirSync(dir).sort(), ["CHECKSUMS.json", "model.json", "weights.bin"]);
  const sums = JSON.parse(fs.readFileSync(path.join(dir, "CHECKSUMS.json"), "utf8"));
  assert.deepEqual(Object.keys(sums.files).sort(), ["model.json", "weights.bin"]);
  assert.equal(sums.files["weights.bin"].bytes, fs.statSync(path.join(dir, "weights.bin")).size);
  const json = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
  assert.equal(json.format, "layers-model");
  assert.match(json.generatedBy, /TensorFlow\.js/);
  assert.ok("convertedBy" in json);
  assert.equal(json.modelTopology.class_name, "Model");
  assert.equal(json.weightsManifest.length, 1);
  assert.deepEqual(json.weightsManifest[0].paths, ["./weights.bin"]);
  const bytes = json.weightsManifest[0].weights.reduce((s: number, w: { shape: number[] }) => s + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  assert.equal(fs.statSync(path.join(dir, "weights.bin")).size, bytes);
  const named = readWeightsFromDir(dir);
  assert.deepEqual(named["block1_conv/kernel"].shape, [3, 3, 1, 8]);
  tf.dispose(Object.values(named));
});

test("saving over an existing model replaces it and leaves no temp folders", async () => {
  const dir = path.join(tmp, "replace");
  await saveModel(smallModel(), dir);
  const other = createModel("probe_3conv_128", { seed: 4, inputShape: [16, 16, 1] });
  await saveModel(other, dir);
  const loaded = await loadModel(dir);
  assert.equal(loaded.name, other.name);
  assert.deepEqual(fs.readdirSync(tmp).filter((n) => n.endsWith(".tmp") || n.endsWith(".old")), []);
});

test("corrupt or foreign model.json files give errors naming the file and the problem", async () => {
  const write = (name: string, json: string, weights?: Buffer): string => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "model.json"), json);
    if (weights) fs.writeFileSync(path.join(dir, "weights.bin"), weights);
    return dir;
  };
  await assert.rejects(loadModel(path.join(tmp, "absent")), /model\.json does not exist/);
  await assert.rejects(loadModel(write("truncated", '{"modelTopology": {"class_na')), /model\.json is not valid JSON/);
  await assert.rejects(loadModel(write("array", "[1, 2]")), /not a tfjs model\.json/);
  await assert.rejects(loadModel(write("graph", '{"format": "graph-model", "modelTopology": {}, "weightsManifest": []}')), /format 'graph-model'/);
  await assert.rejects(loadModel(write("foreign", '{"name": "some other json"}')), /no modelTopology/);
  // Valid topology, weights file too short.
  const good = path.join(tmp, "good");
  await saveModel(smallModel(), good);
  const json = fs.readFileSync(path.join(good, "model.json"), "utf8");
  await assert.rejects(loadModel(write("short", json, Buffer.alloc(100))), /weights hold 100 bytes but .*model\.json describes/);
  await assert.rejects(loadModel(write("noweights", json)), /weights file .*weights\.bin .* does not exist/);
});
