// Identity on wasm without a copy. The engine clones every tensor it saves for the backward pass through
// Identity; the package's kernel copies the whole buffer each time (≈10 full activation copies per conv
// block per step). Tensors are immutable (variables are re-pointed, never written in place), so sharing the
// buffer with a reference count is safe — it is what the package's own Reshape and the cpu backend do.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

type KernelFunc = (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }) => tf.TensorInfo | tf.TensorInfo[];

export function makeIdentityWasm(fallback: KernelFunc | null) {
  return function identityWasm(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo {
    const backend = args.backend as BackendWasm;
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === "string") {
      if (!fallback) throw new Error("Identity: no wasm kernel for strings");
      const out = fallback(args);
      return Array.isArray(out) ? out[0] : out;
    }
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** Cast to the dtype the tensor already has (tfjs-core's ReLU gradient casts step(x) to float32): share, like Identity. */
export function makeCastWasm(fallback: KernelFunc | null) {
  return function castWasm(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo {
    const backend = args.backend as BackendWasm;
    const x = args.inputs.x as tf.TensorInfo;
    const dtype = (args.attrs as { dtype?: string } | undefined)?.dtype;
    if (dtype !== x.dtype || x.dtype === "string" || !fallback) {
      if (!fallback) throw new Error("Cast: no wasm kernel");
      const out = fallback(args);
      return Array.isArray(out) ? out[0] : out;
    }
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
