// Plain SGD whose update runs in place on the variables' memory in the wasm heap through the native kernels'
// axpy (v += −lr·g, one pass on every core) when they are active. tfjs's SGDOptimizer makes −lr·g and then
// v + (−lr·g) as two new model-sized tensors on one thread: on seed_v2_224 (112 M parameters) that was about a
// third of a training step. Same bits as tfjs's (the product is rounded before the sum in both).
// A variable whose memory another tensor shares (refCount > 1), a non-float32 one, or another backend takes
// tfjs's own path, which is also the twin the parity test compares with.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { activeNativeKernels } from "../native-engine";

type NamedGradients = tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>;

export class InPlaceSGDOptimizer extends tf.SGDOptimizer {
  override applyGradients(variableGradients: NamedGradients): void {
    const native = activeNativeKernels();
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }));
    if (!native || tf.getBackend() !== "wasm") {
      super.applyGradients(list);
      return;
    }
    const backend = tf.backend() as BackendWasm;
    const rest: Array<{ name: string; tensor: tf.Tensor }> = [];
    for (const { name, tensor: grad } of list) {
      const value = tf.engine().registeredVariables[name];
      if (!value || grad == null) continue;
      const inPlace = value.dtype === "float32" && grad.dtype === "float32" && value.size === grad.size && value.size > 0 && backend.refCount(value.dataId) === 1;
      if (!inPlace) {
        rest.push({ name, tensor: grad });
        continue;
      }
      const g = backend.typedArrayFromHeap(grad) as Float32Array;
      const v = backend.typedArrayFromHeap(value) as Float32Array;
      native.axpy(g, Math.fround(-this.learningRate), v);
    }
    // tfjs's path for the rest; it counts the step (iterations) once, so count it here when nothing is left.
    if (rest.length > 0) super.applyGradients(rest);
    else this.incrementIterations();
  }
}
