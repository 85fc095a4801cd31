// A gradient replica of data-parallel training (see data-parallel.ts): its own tfjs engine and model,
// given the current weights through shared memory before each step; it computes its shard's loss and
// gradient and writes the gradient to its shared buffer.
import { parentPort, workerData } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../tf/backend";
import { configureCompute } from "../native/settings";
import { getModelSpec } from "../models/zoo";
import { modelExampleShape } from "../eval/predict";
import { batchGradients, dropoutLayers } from "./step";
import { copyTensorInto, type ReplicaMessage, type ReplicaStep, type ReplicaWorkerData } from "./data-parallel";

const data = workerData as ReplicaWorkerData;
const port = parentPort;
const post = (m: ReplicaMessage) => port?.postMessage(m);

async function main(): Promise<void> {
  if (!port || data?.kind !== "fmalab-grad-worker") throw new Error("grad-worker.ts must be started by GradientReplicas");
  const { setup, layout } = data;
  configureCompute(data.compute);
  await initBackend({ backend: setup.backend, log: false });
  const model = getModelSpec(setup.model).build(setup.build);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const mismatch =
    vars.length !== layout.length ? `${vars.length} trainable variables, the main model has ${layout.length}` : vars.findIndex((v, i) => v.shape.join("x") !== layout[i][1].join("x"));
  if (typeof mismatch === "string" || mismatch >= 0) {
    const why = typeof mismatch === "string" ? mismatch : `variable ${mismatch} has shape [${vars[mismatch].shape}], the main model's ${layout[mismatch][0]} has [${layout[mismatch][1]}]`;
    throw new Error(`replica of ${setup.model} differs from the main model: ${why}`);
  }
  const offsets: number[] = [];
  vars.reduce((off, v) => (offsets.push(off), off + v.size), 0);
  const weights = new Float32Array(data.weights);
  const grads = new Float32Array(data.grads);
  const exampleShape = modelExampleShape(model);
  const cw = setup.classWeights ? tf.tensor1d(setup.classWeights) : null;
  const dropouts = dropoutLayers(model);

  port.on("message", (msg: ReplicaStep) => {
    try {
      tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(weights.subarray(offsets[i], offsets[i] + v.size), v.shape))));
      dropouts.forEach((d, j) => (d.seed = msg.dropoutSeeds[j]));
      const r = batchGradients(model, vars, msg.x, msg.y, msg.n, exampleShape, cw, setup.outputIsProb);
      vars.forEach((v, i) => {
        const g = r.grads[v.name];
        copyTensorInto(g, grads, offsets[i]);
        g.dispose();
      });
      post({ type: "done", step: msg.step, loss: r.loss, hits: r.hits });
    } catch (err) {
      post({ type: "error", message: (err as Error).message });
    }
  });
  post({ type: "ready" });
}

main().catch((err: Error) => post({ type: "error", message: err.message }));
