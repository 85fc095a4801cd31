// Helpers for wasm kernels built from other wasm kernels. We call the registered kernel functions
// directly (as the wasm package's own kernels do), never tf ops: a kernelFunc must return a plain
// TensorInfo and dispose its intermediates through the backend.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

export type NamedTensorInfo = Record<string, tf.TensorInfo>;

/** Run the kernel registered as `name` for `backend` (wasm), returning its TensorInfo output. */
export function callKernel(
  name: string,
  backend: BackendWasm,
  inputs: NamedTensorInfo,
  attrs: Record<string, unknown> = {},
  backendName = "wasm",
): tf.TensorInfo {
  const config = tf.getKernel(name, backendName);
  if (!config) throw new Error(`wasm training kernels need the '${name}' kernel on '${backendName}'`);
  const out = config.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap });
  return Array.isArray(out) ? out[0] : out;
}

/** A view of `info` with another shape (no copy: the wasm kernels read shapes from the TensorInfo). */
export function reshapeView(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

export function transposeInfo(backend: BackendWasm, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return callKernel("Transpose", backend, { x }, { perm });
}

/** Free intermediates made inside a kernel. */
export function disposeInfos(backend: BackendWasm, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}
