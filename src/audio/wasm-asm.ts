// A minimal WebAssembly assembler: LEB128 encoders, section framing and the opcodes our SIMD kernels
// use (src/audio/simd-kernel.ts, src/features/fft.ts). Kernels are assembled at run time from these,
// so the repository holds readable source and no binary blobs.

export const wasmHeader = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

export function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

export function str(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

// Opcodes
export const I32 = 0x7f, V128 = 0x7b;
export const get = (i: number) => [0x20, i];
export const set = (i: number) => [0x21, i];
export const i32c = (v: number) => [0x41, ...sleb(v)];
export const i32Load = (offset: number) => [0x28, 2, ...uleb(offset)];
export const ADD = 0x6a, SUB = 0x6b, MUL = 0x6c, SHL = 0x74, GE_S = 0x4e, GE_U = 0x4f;
export const v128Load = [0xfd, 0x00, 0, 0]; // align hint 1 byte (unaligned), offset 0
export const v128Zero = [0xfd, 0x0c, ...new Array(16).fill(0)];
export const F32X4_MUL = [0xfd, ...uleb(230)];
export const F32X4_ADD = [0xfd, ...uleb(228)];
export const lane = (l: number) => [0xfd, 0x1f, l];
export const F32_ADD = 0x92;
export const f32Store = [0x38, 2, 0];
export const BLOCK = [0x02, 0x40], LOOP = [0x03, 0x40], IF = [0x04, 0x40], END = 0x0b;
export const br = (d: number) => [0x0c, d];
export const brIf = (d: number) => [0x0d, d];

export const tee = (i: number) => [0x22, i];
export const f64Load = (offset: number) => [0x2b, 3, ...uleb(offset)];
export const f64Const = (v: number) => [0x44, ...Array.from(new Uint8Array(new Float64Array([v]).buffer))];
export const v128Store = [0xfd, 0x0b, 0, 0];
export const F64X2_SPLAT = [0xfd, ...uleb(0x14)];
export const F64X2_ADD = [0xfd, ...uleb(0xf0)];
export const F64X2_SUB = [0xfd, ...uleb(0xf1)];
export const F64X2_MUL = [0xfd, ...uleb(0xf2)];
export const LT_S = 0x48, GT_S = 0x4a, LT_U = 0x49;
