// Conv2D gradients on wasm, both expressed as forward convolutions so they run on XNNPACK's conv.
//
// Forward (NHWC): y[n,i,j,o] = Σ_{a,b,c} Xp[n, i·s+a, j·s+b, c] · W[a,b,c,o], Xp = X zero-padded (top pt, left pl).
//
// dW[a,b,c,o] = Σ_{n,i,j} Xp[n, i·s+a, j·s+b, c] · dY[n,i,j,o]
//   = conv2d(input I[c,h,w,n] = Xp[n,h,w,c], filter F[i,j,n,o] = dY[n,i,j,o], stride 1, dilation s)[c,a,b,o]:
//   the channels index c becomes the batch, the batch n becomes the channels, dY becomes an oH×oW filter
//   whose taps are s apart. Output rows = Hp − s·(oH−1); we pad the bottom so that equals kH exactly (or
//   crop when the forward conv ignored trailing rows).
// dX (stride 1) = conv2d(dY padded (kH−1−pt) top, flipped filter W'[a,b,o,c] = W[kH−1−a, kW−1−b, c, o]).
//   1×1 convs with stride s (ResNet / seed-v2 downsampling shortcuts): dX is dY·Wᵀ (a 1×1 conv) placed on the
//   stride grid, zeros elsewhere. Other strided convs keep the package's (slow, naive) Conv2DBackpropInput.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { callKernel, disposeInfos, reshapeView, transposeInfo } from "./compose";

interface ConvGradAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  dilations?: number | [number, number];
}

/** A zero-filled float32 output (for degenerate, empty operands). */
function zeros(backend: BackendWasm, shape: number[]): tf.TensorInfo {
  const out = backend.makeOutput(shape, "float32");
  (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
  return out;
}

function assertNhwc(kernel: string, dataFormat: string): void {
  if (dataFormat !== "NHWC") throw new Error(`${kernel} on wasm supports NHWC only (got ${dataFormat})`);
}

function forwardConvInfo(
  xShape: number[],
  filterShape: number[],
  attrs: ConvGradAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
}

export function conv2DBackpropFilterWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvGradAttrs & { filterShape: number[] };
  assertNhwc("Conv2DBackpropFilter", attrs.dataFormat);
  if (x.shape.includes(0) || dy.shape.includes(0)) return zeros(backend, attrs.filterShape);
  const info = forwardConvInfo(x.shape, attrs.filterShape, attrs);
  const { filterHeight: kH, filterWidth: kW, strideHeight: sH, strideWidth: sW, outHeight: oH, outWidth: oW } = info;
  const [, H, W] = x.shape;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  // Padding that makes the correlation's output exactly kH×kW; negative = rows the forward conv never read.
  const pb = kH + sH * (oH - 1) - H - pt;
  const pr = kW + sW * (oW - 1) - W - pl;

  const input = transposeInfo(backend, x, [3, 1, 2, 0]); // [Ci, H, W, N]
  const filter = transposeInfo(backend, dy, [1, 2, 0, 3]); // [oH, oW, N, Co]
  const corr = callKernel(
    "Conv2D",
    backend,
    { x: input, filter },
    {
      strides: [1, 1],
      dilations: [sH, sW],
      pad: [
        [0, 0],
        [pt, Math.max(pb, 0)],
        [pl, Math.max(pr, 0)],
        [0, 0],
      ],
      dataFormat: "NHWC",
    },
  ); // [Ci, kH', kW', Co] with kH' ≥ kH
  disposeInfos(backend, input, filter);
  let cropped = corr;
  if (corr.shape[1] !== kH || corr.shape[2] !== kW) {
    cropped = callKernel("Slice", backend, { x: corr }, { begin: [0, 0, 0, 0], size: [corr.shape[0], kH, kW, corr.shape[3]] });
    disposeInfos(backend, corr);
  }
  const dw = transposeInfo(backend, cropped, [1, 2, 0, 3]); // [kH, kW, Ci, Co]
  disposeInfos(backend, cropped);
  return dw;
}

type KernelFunc = (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }) => tf.TensorInfo | tf.TensorInfo[];

/** Conv2DBackpropInput through the forward conv for stride 1; `fallback` (the package's kernel) otherwise. */
export function makeConv2DBackpropInputWasm(fallback: KernelFunc | null) {
  return function conv2DBackpropInputWasm(args: {
    inputs: tf.NamedTensorInfoMap;
    backend: tf.KernelBackend;
    attrs: tf.NamedAttrMap;
  }): tf.TensorInfo {
    const backend = args.backend as BackendWasm;
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvGradAttrs & { inputShape: number[] };
    assertNhwc("Conv2DBackpropInput", attrs.dataFormat);
    if (attrs.inputShape.includes(0) || dy.shape.includes(0)) return zeros(backend, attrs.inputShape);
    const info = forwardConvInfo(attrs.inputShape, filter.shape, attrs);
    const { filterHeight: kH, filterWidth: kW, strideHeight: sH, strideWidth: sW, outHeight: oH, outWidth: oW } = info;
    const [, H, W] = attrs.inputShape;
    const top = kH - 1 - info.padInfo.top;
    const left = kW - 1 - info.padInfo.left;
    const bottom = H + kH - 1 - oH - top;
    const right = W + kW - 1 - oW - left;
    if (kH === 1 && kW === 1 && (sH !== 1 || sW !== 1)) return stridedPointwiseBackpropInput(backend, dy, filter, info);
    if (sH !== 1 || sW !== 1 || top < 0 || left < 0 || bottom < 0 || right < 0) {
      if (!fallback) throw new Error("Conv2DBackpropInput: no wasm kernel for strides > 1");
      const out = fallback(args);
      return Array.isArray(out) ? out[0] : out;
    }
    const flipped = callKernel("Reverse", backend, { x: filter }, { dims: [0, 1] });
    const filterT = transposeInfo(backend, flipped, [0, 1, 3, 2]); // [kH, kW, Co, Ci]
    disposeInfos(backend, flipped);
    const dx = callKernel(
      "Conv2D",
      backend,
      { x: dy, filter: filterT },
      {
        strides: [1, 1],
        dilations: [1, 1],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dataFormat: "NHWC",
      },
    );
    disposeInfos(backend, filterT);
    return reshapeView(dx, attrs.inputShape);
  };
}

/** dX of a 1×1 conv with stride > 1: G = conv1×1(dY, Wᵀ) on XNNPACK, scattered onto every s-th pixel. */
function stridedPointwiseBackpropInput(
  backend: BackendWasm,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: Ci, outHeight: oH, outWidth: oW, strideHeight: sH, strideWidth: sW } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const filterT = transposeInfo(backend, filter, [0, 1, 3, 2]); // [1, 1, Co, Ci]
  const g = callKernel("Conv2D", backend, { x: dy, filter: filterT }, { strides: [1, 1], dilations: [1, 1], pad: "valid", dataFormat: "NHWC" });
  disposeInfos(backend, filterT);
  const out = backend.makeOutput([N, H, W, Ci], "float32");
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const gv = backend.typedArrayFromHeap(g) as Float32Array;
  dx.fill(0);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < oH; i++) {
      const r = i * sH - pt;
      if (r < 0 || r >= H) continue;
      for (let j = 0; j < oW; j++) {
        const c = j * sW - pl;
        if (c < 0 || c >= W) continue;
        const src = ((n * oH + i) * oW + j) * Ci;
        dx.set(gv.subarray(src, src + Ci), ((n * H + r) * W + c) * Ci);
      }
    }
  disposeInfos(backend, g);
  return out;
}
