// _FusedMatMul (tfjs-layers' dense with bias and activation) on the system BLAS: the output starts as the
// bias rows, the GEMM accumulates onto it, the activation runs in place. PReLU and odd bias shapes stay on wasm.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { activeBlas, callFunc, fillRows, heapF32, type KernelArgs, type KernelFunc } from "./gemm";
import { activationSupported, applyActivation } from "./activation";
import { planMatMul, runMatMul } from "./matmul";

export function makeFusedMatMulBlas(fallback: KernelFunc) {
  return function fusedMatMulBlas(args: KernelArgs): tf.TensorInfo {
    const blas = activeBlas();
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean; activation?: string; leakyreluAlpha?: number };
    const plan = blas ? planMatMul(a!, b!, attrs.transposeA, attrs.transposeB) : null;
    const biasSize = bias ? tf.util.sizeFromShape(bias.shape) : 0;
    const biasOk = !bias || (bias.dtype === "float32" && (biasSize === 1 || (plan !== null && biasSize === plan.n && bias.shape[bias.shape.length - 1] === plan.n)));
    if (!blas || !plan || preluActivationWeights || !biasOk || !activationSupported(attrs.activation)) return callFunc(fallback, args);
    const backend = args.backend as BackendWasm;
    const out = backend.makeOutput(plan.outShape, "float32");
    const c = heapF32(backend, out);
    if (bias) {
      const bv = heapF32(backend, bias);
      if (biasSize === 1) c.fill(bv[0]);
      else fillRows(c, bv, c.length / plan.n);
    }
    runMatMul(blas, backend, a!, b!, attrs.transposeA, attrs.transposeB, plan, c, bias ? 1 : 0);
    applyActivation(c, attrs.activation, attrs.leakyreluAlpha);
    return out;
  };
}
