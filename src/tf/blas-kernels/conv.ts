// Convolution attributes → geometry, the cases the BLAS kernels take, and the forward pass with bias and
// activation shared by Conv2D and FusedConv2D.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { Blas } from "../../native/blas";
import { applyActivation } from "./activation";
import { convForward, fillRows, geometryOf, heapF32, type ConvGeometry } from "./gemm";

export interface ConvAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  dilations?: number | [number, number];
}

export function convInfo(xShape: number[], filterShape: number[], attrs: ConvAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
}

/**
 * Forward convolutions this narrow (K = kH·kW·C values per output pixel, e.g. a first layer on one channel)
 * stay on XNNPACK: a GEMM with K = 9 is bound by writing its output, and XNNPACK does that in one pass
 * (measured 30 ms against 55 ms for 32×128×128×1 → 16 channels, 3×3).
 */
export const MIN_FORWARD_K = 32;

export function forwardOnBlas(filterShape: number[]): boolean {
  return filterShape[0] * filterShape[1] * filterShape[2] >= MIN_FORWARD_K;
}

/** NHWC float32 rank-4 operands with no empty dimension: everything else stays on the wasm kernels. */
export function blasConvCase(attrs: ConvAttrs, ...infos: { shape: number[]; dtype: string }[]): boolean {
  if (attrs.dataFormat !== "NHWC") return false;
  return infos.every((t) => t.dtype === "float32" && !t.shape.includes(0));
}

/** y = act(conv(x, filter) + bias) as a new [N, oH, oW, O] tensor. */
export function convBiasActivation(
  blas: Blas,
  backend: BackendWasm,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  bias: tf.TensorInfo | null,
  info: tf.backend_util.Conv2DInfo,
  activation: string | undefined,
  leakyreluAlpha: number | undefined,
): tf.TensorInfo {
  const g: ConvGeometry = geometryOf(info);
  const O = info.outChannels;
  const out = backend.makeOutput([g.N, g.oH, g.oW, O], "float32");
  const y = heapF32(backend, out);
  let beta = 0;
  if (bias) {
    const b = heapF32(backend, bias);
    if (b.length === 1) y.fill(b[0]);
    else fillRows(y, b, g.N * g.oH * g.oW);
    beta = 1;
  }
  convForward(blas, g, O, heapF32(backend, x), heapF32(backend, filter), y, beta);
  applyActivation(y, activation, leakyreluAlpha);
  return out;
}
