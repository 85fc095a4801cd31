// BatchMatMul on the system BLAS (transposed operands as BLAS flags, no copies).
import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { activeBlas, callFunc, heapF32, type KernelArgs, type KernelFunc } from "./gemm";
import { planMatMul, runMatMul } from "./matmul";

export function makeBatchMatMulBlas(fallback: KernelFunc) {
  return function batchMatMulBlas(args: KernelArgs): tf.TensorInfo {
    const blas = activeBlas();
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const plan = blas ? planMatMul(a, b, transposeA, transposeB) : null;
    if (!blas || !plan) return callFunc(fallback, args);
    const backend = args.backend as BackendWasm;
    const out = backend.makeOutput(plan.outShape, "float32");
    runMatMul(blas, backend, a, b, transposeA, transposeB, plan, heapF32(backend, out), 0);
    return out;
  };
}
