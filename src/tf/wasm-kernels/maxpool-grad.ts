// MaxPoolGrad on wasm as one pass over the activation in JS on the wasm heap: each dy element is added to
// the first maximum of its window (the cpu backend's rule for ties). The package's kernel took ≈0.7 s on a
// 32×128×128×32 activation; this takes a few tens of milliseconds.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { activeNativeKernels, geometryArray } from "../native-engine";

export function maxPoolGradWasm(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: "valid" | "same" | number;
    dimRoundingMode?: "floor" | "round" | "ceil";
  };
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: oH, outWidth: oW, strideHeight: sH, strideWidth: sW } = info;
  const kH = info.effectiveFilterHeight;
  const kW = info.effectiveFilterWidth;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;

  const out = backend.makeOutput(input.shape, "float32");
  if (input.shape.includes(0)) return out;
  // Views after allocating (allocation may grow the heap and detach older views).
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const native = activeNativeKernels();
  if (native) {
    // The same rule on every core (src/native/addon): windows as im2col's geometry, dilation 1.
    native.maxPoolGrad(x, g, geometryArray({ N, H, W, C, kH, kW, sH, sW, dH: 1, dW: 1, pt, pl, oH, oW }), dx);
    return out;
  }
  dx.fill(0);
  const offsets = new Int32Array(kH * kW);
  const rowStride = W * C;
  for (let n = 0; n < N; n++) {
    const xBatch = n * H * rowStride;
    for (let i = 0; i < oH; i++) {
      const r0 = Math.max(0, i * sH - pt);
      const r1 = Math.min(H, i * sH - pt + kH);
      for (let j = 0; j < oW; j++) {
        const c0 = Math.max(0, j * sW - pl);
        const c1 = Math.min(W, j * sW - pl + kW);
        let count = 0;
        for (let r = r0; r < r1; r++) for (let col = c0; col < c1; col++) offsets[count++] = xBatch + r * rowStride + col * C;
        const gBase = ((n * oH + i) * oW + j) * C;
        if (count === 0) continue;
        for (let c = 0; c < C; c++) {
          let best = offsets[0] + c;
          let bestValue = x[best];
          for (let k = 1; k < count; k++) {
            const p = offsets[k] + c;
            const v = x[p];
            if (v > bestValue || (bestValue !== bestValue && v === v)) {
              bestValue = v;
              best = p;
            }
          }
          dx[best] += g[gBase + c];
        }
      }
    }
  }
  return out;
}
