// A tiny WebAssembly SIMD kernel for the resampler's hot loop, assembled here from its opcodes (no
// build step, no binary blob in the repo). It computes, for t = 0 … nOut−1,
//   y[t] = Σ_j taps[phase][j] · x[n − left[phase] + 1 + j]      (f32x4 lanes, float32 products/sums)
// stepping n and phase exactly like the JS polyphase loop in resample.ts. The caller zero-pads x on both
// sides by more than the longest filter, so there are no edge cases inside the kernel (zeros beyond the
// signal are what resampy's truncated wings amount to).
//
// WAT equivalent of the function (params: x, taps, phases, up, nStep, phaseStep, y, nOut — byte
// addresses except the counts; phases holds per phase [tapByteOffset, tapBytes (multiple of 16),
// (left − 1)·4]):
//   loop over t: info = phases + 12·phase; tp = taps + info[0]; end = tp + info[1];
//     xp = x + 4n − info[2]; acc = 0; while tp < end: acc += load128(tp) * load128(xp); tp += 16; xp += 16
//     y[t] = (acc0 + acc1) + (acc2 + acc3); n += nStep; phase += phaseStep; if phase ≥ up: phase −= up, n++

import { uleb, sleb, section, str, I32, V128, get, set, i32c, i32Load, ADD, SUB, MUL, SHL, GE_S, GE_U, v128Load, v128Zero, F32X4_MUL, F32X4_ADD, lane, F32_ADD, f32Store, BLOCK, LOOP, IF, END, br, brIf, wasmHeader } from "./wasm-asm";

function buildModule(): Uint8Array {
  // params 0..7: x, taps, phases, up, nStep, phaseStep, y, nOut; locals 8..14 i32, 15 v128
  const [X, TAPS, PHASES, UP, NSTEP, PSTEP, Y, NOUT] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [T, N, PHASE, INFO, TP, END_, XP, ACC] = [8, 9, 10, 11, 12, 13, 14, 15];
  const code: number[] = [
    ...BLOCK,
    ...LOOP,
    ...get(T), ...get(NOUT), GE_S, ...brIf(1),
    // info = phases + phase*12
    ...get(PHASES), ...get(PHASE), ...i32c(12), MUL, ADD, ...set(INFO),
    ...get(TAPS), ...get(INFO), ...i32Load(0), ADD, ...set(TP),
    ...get(TP), ...get(INFO), ...i32Load(4), ADD, ...set(END_),
    ...get(X), ...get(N), ...i32c(2), SHL, ADD, ...get(INFO), ...i32Load(8), SUB, ...set(XP),
    ...v128Zero, ...set(ACC),
    ...BLOCK,
    ...LOOP,
    ...get(TP), ...get(END_), GE_U, ...brIf(1),
    ...get(ACC), ...get(TP), ...v128Load, ...get(XP), ...v128Load, ...F32X4_MUL, ...F32X4_ADD, ...set(ACC),
    ...get(TP), ...i32c(16), ADD, ...set(TP),
    ...get(XP), ...i32c(16), ADD, ...set(XP),
    ...br(0),
    END,
    END,
    // y[t] = (a0 + a1) + (a2 + a3)
    ...get(Y), ...get(T), ...i32c(2), SHL, ADD,
    ...get(ACC), ...lane(0), ...get(ACC), ...lane(1), F32_ADD,
    ...get(ACC), ...lane(2), ...get(ACC), ...lane(3), F32_ADD, F32_ADD,
    ...f32Store,
    ...get(T), ...i32c(1), ADD, ...set(T),
    ...get(N), ...get(NSTEP), ADD, ...set(N),
    ...get(PHASE), ...get(PSTEP), ADD, ...set(PHASE),
    ...get(PHASE), ...get(UP), GE_S,
    ...IF,
    ...get(PHASE), ...get(UP), SUB, ...set(PHASE),
    ...get(N), ...i32c(1), ADD, ...set(N),
    END,
    ...br(0),
    END,
    END,
    END, // function end
  ];
  const locals = [2, ...uleb(7), I32, 1, V128];
  const body = [...locals, ...code];
  const bytes = [
    ...wasmHeader,
    ...section(1, [1, 0x60, 8, ...new Array(8).fill(I32), 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0, 1]),
    ...section(7, [2, ...str("memory"), 2, 0, ...str("polyphase"), 0, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ];
  return new Uint8Array(bytes);
}

export interface PolyphaseKernel {
  /** See the header comment; all pointers are byte offsets into `memory`. */
  polyphase(x: number, taps: number, phases: number, up: number, nStep: number, phaseStep: number, y: number, nOut: number): void;
  memory: WebAssembly.Memory;
}

let kernel: PolyphaseKernel | null | undefined;

/** The SIMD kernel, or null where WebAssembly SIMD is unavailable (the JS loop is used then). */
export function simdPolyphaseKernel(): PolyphaseKernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const bytes = buildModule();
    if (typeof WebAssembly === "undefined" || !WebAssembly.validate(bytes)) {
      kernel = null;
    } else {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
      const exp = instance.exports as unknown as PolyphaseKernel;
      kernel = { polyphase: exp.polyphase, memory: exp.memory };
    }
  } catch {
    kernel = null;
  }
  return kernel;
}
