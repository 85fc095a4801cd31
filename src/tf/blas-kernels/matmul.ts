// Batched matrix products on the system BLAS, shared by BatchMatMul and _FusedMatMul. The transposes are
// BLAS flags (no copies). Batch dimensions must be equal, or one side has a single matrix; other
// broadcasts stay on wasm.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { Blas } from "../../native/blas";
import { heapF32 } from "./gemm";

export interface MatMulPlan {
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
  outShape: number[];
}

/** The plan for op(a)·op(b), or null where the BLAS kernels do not take it. */
export function planMatMul(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): MatMulPlan | null {
  if (a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length < 2 || b.shape.length < 2) return null;
  if (a.shape.includes(0) || b.shape.includes(0)) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) return null;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  let outer: number[];
  if (batchA === batchB && outerA.join() === outerB.join()) outer = outerA;
  else if (batchB === 1 && outerB.length <= outerA.length) outer = outerA;
  else if (batchA === 1 && outerA.length <= outerB.length) outer = outerB;
  else return null;
  return { batchA, batchB, m, n, k, outShape: [...outer, m, n] };
}

/** c (+)= op(a)·op(b) per batch; beta = 1 accumulates onto c (the bias rows of _FusedMatMul). */
export function runMatMul(blas: Blas, backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean, p: MatMulPlan, c: Float32Array, beta: number): void {
  const av = heapF32(backend, a);
  const bv = heapF32(backend, b);
  const lda = a.shape[a.shape.length - 1];
  const ldb = b.shape[b.shape.length - 1];
  const { m, n, k } = p;
  const batch = Math.max(p.batchA, p.batchB);
  if (p.batchB === 1 && !transposeA) {
    // Stacked A matrices against one B: a single (batch·m)×k GEMM.
    blas.sgemm(false, transposeB, batch * m, n, k, 1, av, lda, bv, ldb, beta, c, n);
    return;
  }
  const strideA = p.batchA === 1 ? 0 : m * k;
  const strideB = p.batchB === 1 ? 0 : k * n;
  for (let i = 0; i < batch; i++) {
    blas.sgemm(transposeA, transposeB, m, n, k, 1, av.subarray(i * strideA), lda, bv.subarray(i * strideB), ldb, beta, c.subarray(i * m * n, (i + 1) * m * n), n);
  }
}
