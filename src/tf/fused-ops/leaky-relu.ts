// LeakyRelu's forward on the native kernels' pool when they are active: the wasm package's kernel is a
// scalar loop on one core (≈3× its Relu; ≈240 ms of a seed_v2_224 step at batch 16). The same values
// (x < 0 ? alpha·x : x in float32, NaN through; tested against the package's kernel and cpu). Without the
// native kernels, for int32 inputs, or with an addon built before this kernel, the package's kernel runs.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { activeNativeKernels } from "../native-engine";

const MARK = Symbol.for("fmalab.nativeLeakyRelu");

type WasmKernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap };

function makeLeakyRelu(original: (args: WasmKernelArgs) => tf.TensorInfo): (args: WasmKernelArgs) => tf.TensorInfo {
  return (args) => {
    const native = activeNativeKernels();
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (!native || typeof native.leakyRelu !== "function" || x.dtype !== "float32") return original(args);
    const backend = args.backend as BackendWasm;
    const out = backend.makeOutput(x.shape, "float32");
    if (tf.util.sizeFromShape(x.shape) === 0) return out;
    native.leakyRelu(backend.typedArrayFromHeap(x) as Float32Array, args.attrs.alpha as number, backend.typedArrayFromHeap(out) as Float32Array);
    return out;
  };
}

/** Wrap the wasm package's LeakyRelu (idempotent; it delegates whenever the native kernels are off). */
export function registerNativeLeakyRelu(): void {
  const g = globalThis as unknown as Record<symbol, boolean>;
  if (g[MARK]) return;
  const original = tf.getKernel("LeakyRelu", "wasm");
  if (!original) return; // no wasm backend registered: nothing to wrap
  g[MARK] = true;
  tf.unregisterKernel("LeakyRelu", "wasm");
  // Keep the original's setupFunc: it binds the wasm function the fallback calls.
  tf.registerKernel({
    kernelName: "LeakyRelu",
    backendName: "wasm",
    setupFunc: original.setupFunc,
    kernelFunc: makeLeakyRelu(original.kernelFunc as unknown as (args: WasmKernelArgs) => tf.TensorInfo) as unknown as tf.KernelFunc,
  });
}
