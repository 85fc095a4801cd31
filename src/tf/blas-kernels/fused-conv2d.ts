// FusedConv2D (tfjs-layers' conv with bias and activation) on the system BLAS: the output starts as the bias
// rows, the GEMM accumulates onto it, the activation runs in place. PReLU and odd bias shapes stay on wasm.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { activeBlas, callFunc, type KernelArgs, type KernelFunc } from "./gemm";
import { activationSupported } from "./activation";
import { blasConvCase, convBiasActivation, convInfo, forwardOnBlas, type ConvAttrs } from "./conv";

export function makeFusedConv2DBlas(fallback: KernelFunc) {
  return function fusedConv2DBlas(args: KernelArgs): tf.TensorInfo {
    const blas = activeBlas();
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as unknown as ConvAttrs & { activation?: string; leakyreluAlpha?: number };
    const O = filter!.shape[3];
    const biasSize = bias ? tf.util.sizeFromShape(bias.shape) : 0;
    const biasOk = !bias || (bias.dtype === "float32" && (biasSize === 1 || (biasSize === O && bias.shape[bias.shape.length - 1] === O)));
    if (!blas || preluActivationWeights || !activationSupported(attrs.activation) || !biasOk || !blasConvCase(attrs, x!, filter!) || !forwardOnBlas(filter!.shape)) {
      return callFunc(fallback, args);
    }
    const info = convInfo(x!.shape, filter!.shape, attrs);
    return convBiasActivation(blas, args.backend as BackendWasm, x!, filter!, bias ?? null, info, attrs.activation, attrs.leakyreluAlpha);
  };
}
