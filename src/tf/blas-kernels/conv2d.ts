// Conv2D as im2col × filter on the system BLAS.
import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { activeBlas, callFunc, type KernelArgs, type KernelFunc } from "./gemm";
import { blasConvCase, convBiasActivation, convInfo, forwardOnBlas, type ConvAttrs } from "./conv";

export function makeConv2DBlas(fallback: KernelFunc) {
  return function conv2DBlas(args: KernelArgs): tf.TensorInfo {
    const blas = activeBlas();
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs;
    if (!blas || !blasConvCase(attrs, x, filter) || !forwardOnBlas(filter.shape)) return callFunc(fallback, args);
    const info = convInfo(x.shape, filter.shape, attrs);
    return convBiasActivation(blas, args.backend as BackendWasm, x, filter, null, info, "linear", undefined);
  };
}
