// Helpers for comparing tfjs backends in tests.
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/util/random";

export function randomArray(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** max|a − b| / max|b| (b is the reference); 0 when both are all zero. */
export function relMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    ref = Math.max(ref, Math.abs(b[i]));
  }
  if (!Number.isFinite(diff)) return Infinity;
  return ref === 0 ? diff : diff / ref;
}

/** Run `fn` on `backend`, returning the output values (tensors made inside are disposed). */
export async function onBackend(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(fn);
  const list = Array.isArray(outs) ? outs : [outs];
  const values = list.map((t) => t.dataSync() as Float32Array).map((v) => Float32Array.from(v));
  tf.dispose(list);
  return values;
}
