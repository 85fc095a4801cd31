// Real FFT for spectrograms (and its inverse, for resynthesis: src/analysis/resynth.ts), the project's one FFT
// module. Power-of-two sizes use an iterative radix-2 complex FFT of half the length
// (the classic "two real halves packed in one complex signal" trick) with precomputed twiddles and
// bit-reversal table, all in Float64Array, no allocation per call. Other sizes fall back to a direct
// O(n²) DFT with a precomputed cos/sin table: correct but slow — fine for tests and odd experiments,
// not for bulk feature extraction.

import {
  ADD, BLOCK, END, F64X2_ADD, F64X2_MUL, F64X2_SPLAT, F64X2_SUB, GE_S, GT_S, I32, IF, LOOP, LT_S, SHL, V128,
  br, brIf, f64Const, f64Load, get, i32c, i32Load, section, set, str, uleb, v128Load, v128Store, wasmHeader,
} from "../audio/wasm-asm";

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** An n-point real FFT (n ≥ 2). Reuse one instance per size: construction precomputes all tables. */
export class RealFFT {
  readonly size: number;
  /** Number of non-negative-frequency bins: size/2 + 1 (floor for odd sizes). */
  readonly nBins: number;
  private readonly half: number;
  private readonly pow2: boolean;
  private readonly bitrev: Uint32Array;
  // Direct-DFT table (non-power-of-two sizes only): cos/sin(2πm/size).
  private readonly cosTable: Float64Array;
  private readonly sinTable: Float64Array;
  // Post-processing twiddles of the real split: cos/sin(2πk/size), k ≤ half.
  private readonly splitCos: Float64Array;
  private readonly splitSin: Float64Array;
  // Per-pass twiddles of complexInPlace, laid out in pass order.
  private readonly passTwiddles: Float64Array;
  private readonly workRe: Float64Array;
  private readonly workIm: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2) throw new RangeError(`RealFFT: size must be an integer ≥ 2, got ${size}`);
    this.size = size;
    this.nBins = Math.floor(size / 2) + 1;
    this.pow2 = isPowerOfTwo(size);
    if (this.pow2) {
      const half = size >> 1;
      this.half = half;
      let bits = 0;
      while (1 << bits < half) bits++;
      this.bitrev = new Uint32Array(half);
      for (let i = 0; i < half; i++) {
        let r = 0;
        for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
        this.bitrev[i] = r;
      }
      this.cosTable = new Float64Array(0);
      this.sinTable = new Float64Array(0);
      this.splitCos = new Float64Array(half + 1);
      this.splitSin = new Float64Array(half + 1);
      for (let k = 0; k <= half; k++) {
        this.splitCos[k] = Math.cos((2 * Math.PI * k) / size);
        this.splitSin[k] = Math.sin((2 * Math.PI * k) / size);
      }
      const tw: number[] = [];
      let sz = half >= 4 ? 4 : 1;
      if (half >= 4) tw.push(0, 0, 0, 0); // placeholder for the twiddle-free first pass
      for (; 4 * sz <= half; sz <<= 2) {
        for (let j = 0; j < sz; j++) {
          const a1 = (-2 * Math.PI * j) / (4 * sz);
          const a2 = (-2 * Math.PI * j) / (2 * sz);
          tw.push(Math.cos(a1), Math.sin(a1), Math.cos(a2), Math.sin(a2));
        }
      }
      if (sz < half) {
        for (let j = 0; j < sz; j++) {
          const a = (-2 * Math.PI * j) / (2 * sz);
          tw.push(Math.cos(a), Math.sin(a));
        }
      }
      this.passTwiddles = new Float64Array(tw);
      this.workRe = new Float64Array(half);
      this.workIm = new Float64Array(half);
    } else {
      this.passTwiddles = new Float64Array(0);
      // Direct DFT table: cos/sin(2π m / size) for m < size; index (k·n) mod size.
      this.half = 0;
      this.bitrev = new Uint32Array(0);
      this.cosTable = new Float64Array(size);
      this.sinTable = new Float64Array(size);
      for (let m = 0; m < size; m++) {
        this.cosTable[m] = Math.cos((2 * Math.PI * m) / size);
        this.sinTable[m] = Math.sin((2 * Math.PI * m) / size);
      }
      this.splitCos = new Float64Array(0);
      this.splitSin = new Float64Array(0);
      this.workRe = new Float64Array(0);
      this.workIm = new Float64Array(0);
    }
  }

  /**
   * Unnormalised forward transform of `input` (length `size`): X[k] = Σ x[n]·e^{-2πikn/size},
   * k = 0…nBins−1, written to `outRe`/`outIm` (length ≥ nBins).
   */
  forward(input: ArrayLike<number>, outRe: Float64Array, outIm: Float64Array): void {
    if (input.length < this.size) throw new RangeError(`RealFFT.forward: input has ${input.length} samples, need ${this.size}`);
    if (!this.pow2) {
      this.directDft(input, outRe, outIm);
      return;
    }
    const half = this.half;
    const re = this.workRe;
    const im = this.workIm;
    const bitrev = this.bitrev;
    // Pack even samples as real part, odd samples as imaginary part, in bit-reversed order.
    for (let i = 0; i < half; i++) {
      const j = bitrev[i];
      re[j] = input[2 * i];
      im[j] = input[2 * i + 1];
    }
    this.complexInPlace(re, im);
    // Split: X[k] = E[k] + e^{-2πik/N}·O[k], with E, O recovered from Z[k] and conj(Z[half−k]).
    const c = this.splitCos;
    const s = this.splitSin;
    outRe[0] = re[0] + im[0];
    outIm[0] = 0;
    outRe[half] = re[0] - im[0];
    outIm[half] = 0;
    for (let k = 1; k < half; k++) {
      const zr = re[k];
      const zi = im[k];
      const wr = re[half - k];
      const wi = -im[half - k];
      const er = 0.5 * (zr + wr);
      const ei = 0.5 * (zi + wi);
      // O = (Z − conj(Z[half−k])) / (2i)
      const or = 0.5 * (zi - wi);
      const oi = -0.5 * (zr - wr);
      const tr = c[k];
      const ti = -s[k];
      outRe[k] = er + (or * tr - oi * ti);
      outIm[k] = ei + (or * ti + oi * tr);
    }
  }

  /**
   * Unnormalised inverse transform of a real signal's spectrum: x[n] = Σ_k X[k]·e^{+2πikn/size} over all
   * `size` bins, the bins above nBins being the conjugates of those below (Hermitian), so x is real. Reads
   * bins 0…nBins−1 of `inRe`/`inIm` (the imaginary parts of bin 0 and of bin size/2 are ignored: a real
   * signal has none), writes `size` samples to `out`. Divide by `size` for the signal itself.
   */
  inverse(inRe: ArrayLike<number>, inIm: ArrayLike<number>, out: Float64Array): void {
    if (inRe.length < this.nBins || inIm.length < this.nBins) throw new RangeError(`RealFFT.inverse: need ${this.nBins} bins`);
    if (out.length < this.size) throw new RangeError(`RealFFT.inverse: output has ${out.length} samples, need ${this.size}`);
    if (!this.pow2) {
      this.directInverse(inRe, inIm, out);
      return;
    }
    // The split of forward() run backwards: Z[k] = E[k] + i·O[k] with E = (X[k] + conj(X[half−k]))/2 and
    // O = (X[k] − conj(X[half−k]))/2 · e^{+2πik/N}; then z = IDFT_half(Z) = x[2m] + i·x[2m+1] (times 2 for
    // the unnormalised sum). IDFT = conj(DFT(conj(Z))), so the forward passes (complexInPlace) serve.
    const half = this.half;
    const re = this.workRe;
    const im = this.workIm;
    const bitrev = this.bitrev;
    const c = this.splitCos;
    const s = this.splitSin;
    for (let k = 0; k < half; k++) {
      const xr = inRe[k];
      const xi = k === 0 ? 0 : inIm[k];
      const yr = inRe[half - k];
      const yi = k === 0 ? 0 : -inIm[half - k]; // conj(X[half − k]); bin half is real
      const er = 0.5 * (xr + yr);
      const ei = 0.5 * (xi + yi);
      const dr = 0.5 * (xr - yr);
      const di = 0.5 * (xi - yi);
      const or = dr * c[k] - di * s[k];
      const oi = dr * s[k] + di * c[k];
      // Z = E + i·O, stored conjugated and bit-reversed for the forward passes.
      const j = bitrev[k];
      re[j] = er - oi;
      im[j] = -(ei + or);
    }
    this.complexInPlace(re, im);
    for (let m = 0; m < half; m++) {
      out[2 * m] = 2 * re[m];
      out[2 * m + 1] = -2 * im[m];
    }
  }

  /** |X[k]|^power for k < nBins into `out` (power 2: squared magnitude, power 1: magnitude). */
  power(input: ArrayLike<number>, out: Float64Array, power = 2, scratchRe?: Float64Array, scratchIm?: Float64Array): void {
    const re = scratchRe ?? new Float64Array(this.nBins);
    const im = scratchIm ?? new Float64Array(this.nBins);
    this.forward(input, re, im);
    const n = this.nBins;
    if (power === 2) {
      for (let k = 0; k < n; k++) out[k] = re[k] * re[k] + im[k] * im[k];
    } else if (power === 1) {
      for (let k = 0; k < n; k++) out[k] = Math.sqrt(re[k] * re[k] + im[k] * im[k]);
    } else {
      const p = power / 2;
      for (let k = 0; k < n; k++) out[k] = Math.pow(re[k] * re[k] + im[k] * im[k], p);
    }
  }

  // Iterative decimation-in-time on bit-reversed input, two radix-2 stages fused per pass
  // (radix-2², half the memory traffic of plain radix-2). Pass with block size s combines
  // four length-s DFTs into one length-4s DFT using twiddles w = W_{4s}^j and w² = W_{2s}^j.
  private complexInPlace(re: Float64Array, im: Float64Array): void {
    const n = this.half;
    const tw = this.passTwiddles;
    let s = 1;
    let twOff = 0;
    // First pass (s = 1): all twiddles are 1.
    if (n >= 4) {
      for (let i = 0; i < n; i += 4) {
        const ar = re[i], ai = im[i], br = re[i + 1], bi = im[i + 1];
        const cr = re[i + 2], ci = im[i + 2], dr = re[i + 3], di = im[i + 3];
        const p0r = ar + br, p0i = ai + bi, p1r = ar - br, p1i = ai - bi;
        const q0r = cr + dr, q0i = ci + di, q1r = cr - dr, q1i = ci - di;
        re[i] = p0r + q0r;
        im[i] = p0i + q0i;
        re[i + 2] = p0r - q0r;
        im[i + 2] = p0i - q0i;
        // (−i)·q1 = (q1i, −q1r)
        re[i + 1] = p1r + q1i;
        im[i + 1] = p1i - q1r;
        re[i + 3] = p1r - q1i;
        im[i + 3] = p1i + q1r;
      }
      s = 4;
      twOff = 4;
    }
    for (; 4 * s <= n; s <<= 2) {
      const s2 = 2 * s;
      const s3 = 3 * s;
      const block = 4 * s;
      for (let j = 0; j < s; j++) {
        const t = twOff + 4 * j;
        const w1r = tw[t], w1i = tw[t + 1], w2r = tw[t + 2], w2i = tw[t + 3];
        for (let a = j; a < n; a += block) {
          const b = a + s, c = a + s2, d = a + s3;
          const ar = re[a], ai = im[a];
          const br0 = re[b], bi0 = im[b];
          const cr = re[c], ci = im[c];
          const dr0 = re[d], di0 = im[d];
          const br = br0 * w2r - bi0 * w2i, bi = br0 * w2i + bi0 * w2r;
          const dr = dr0 * w2r - di0 * w2i, di = dr0 * w2i + di0 * w2r;
          const p0r = ar + br, p0i = ai + bi, p1r = ar - br, p1i = ai - bi;
          const q0r0 = cr + dr, q0i0 = ci + di, q1r0 = cr - dr, q1i0 = ci - di;
          const q0r = q0r0 * w1r - q0i0 * w1i, q0i = q0r0 * w1i + q0i0 * w1r;
          const q1r = q1r0 * w1r - q1i0 * w1i, q1i = q1r0 * w1i + q1i0 * w1r;
          re[a] = p0r + q0r;
          im[a] = p0i + q0i;
          re[c] = p0r - q0r;
          im[c] = p0i - q0i;
          re[b] = p1r + q1i;
          im[b] = p1i - q1r;
          re[d] = p1r - q1i;
          im[d] = p1i + q1r;
        }
      }
      twOff += 4 * s;
    }
    // Odd number of radix-2 stages: one plain radix-2 pass of block size 2s (twiddle W_{2s}^j).
    if (s < n) {
      for (let j = 0; j < s; j++) {
        const t = twOff + 2 * j;
        const wr = tw[t], wi = tw[t + 1];
        for (let a = j; a < n; a += 2 * s) {
          const b = a + s;
          const br0 = re[b], bi0 = im[b];
          const xr = br0 * wr - bi0 * wi, xi = br0 * wi + bi0 * wr;
          const ar = re[a], ai = im[a];
          re[a] = ar + xr;
          im[a] = ai + xi;
          re[b] = ar - xr;
          im[b] = ai - xi;
        }
      }
    }
  }

  private directInverse(inRe: ArrayLike<number>, inIm: ArrayLike<number>, out: Float64Array): void {
    const n = this.size;
    const c = this.cosTable;
    const s = this.sinTable;
    const nyquist = n % 2 === 0 ? n / 2 : -1;
    for (let t = 0; t < n; t++) {
      let acc = inRe[0];
      let m = t;
      for (let k = 1; k < this.nBins; k++, m += t) {
        if (m >= n) m %= n;
        // A bin and its conjugate mirror: 2·Re(X·e^{+iθ}); the Nyquist bin has no mirror.
        const v = inRe[k] * c[m] - inIm[k] * s[m];
        acc += k === nyquist ? inRe[k] * c[m] : 2 * v;
      }
      out[t] = acc;
    }
  }

  private directDft(input: ArrayLike<number>, outRe: Float64Array, outIm: Float64Array): void {
    const n = this.size;
    const c = this.cosTable;
    const s = this.sinTable;
    for (let k = 0; k < this.nBins; k++) {
      let sr = 0;
      let si = 0;
      let m = 0;
      for (let t = 0; t < n; t++) {
        const x = input[t];
        sr += x * c[m];
        si -= x * s[m];
        m += k;
        if (m >= n) m -= n;
      }
      outRe[k] = sr;
      outIm[k] = si;
    }
  }
}

// ---------------------------------------------------------------- WebAssembly SIMD: two frames at once


/**
 * The power spectra |X|² of two real frames at once: the complex half-size FFT (same radix-2² passes and
 * twiddles as RealFFT) runs in WebAssembly with f64x2 lanes = (frame A, frame B), double precision
 * throughout, then the real split and |X|². Results equal RealFFT's to rounding (~1e-15 relative).
 * Layout in the module's memory (bytes): twiddles | split cos/sin | RE[half] | IM[half] | OUT[half+1],
 * each RE/IM/OUT entry a v128 holding (A, B).
 */
export class PairedPowerFFT {
  readonly size: number;
  readonly nBins: number;
  private readonly half: number;
  private readonly bitrev: Uint32Array;
  private readonly run: () => void;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly out: Float64Array;

  private constructor(size: number, exports: { fft2: (...a: number[]) => void; memory: WebAssembly.Memory }, tw: Float64Array) {
    this.size = size;
    this.half = size >> 1;
    this.nBins = this.half + 1;
    const half = this.half;
    const ref = new RealFFT(size);
    this.bitrev = (ref as unknown as { bitrev: Uint32Array }).bitrev;
    const twAt = 0;
    const splitAt = twAt + tw.byteLength;
    const reAt = splitAt + 16 * (half + 1);
    const imAt = reAt + 16 * half;
    const outAt = imAt + 16 * half;
    const needed = outAt + 16 * (half + 1);
    const mem = exports.memory;
    if (mem.buffer.byteLength < needed) mem.grow(Math.ceil((needed - mem.buffer.byteLength) / 65536));
    new Float64Array(mem.buffer, twAt, tw.length).set(tw);
    const split = new Float64Array(mem.buffer, splitAt, 2 * (half + 1));
    for (let k = 0; k <= half; k++) {
      split[2 * k] = Math.cos((2 * Math.PI * k) / size);
      split[2 * k + 1] = Math.sin((2 * Math.PI * k) / size);
    }
    this.re = new Float64Array(mem.buffer, reAt, 2 * half);
    this.im = new Float64Array(mem.buffer, imAt, 2 * half);
    this.out = new Float64Array(mem.buffer, outAt, 2 * (half + 1));
    this.run = () => exports.fft2(reAt, imAt, half, twAt, splitAt, outAt);
  }

  /** A paired FFT for `size` (a power of two ≥ 8), or null without WebAssembly SIMD. */
  static create(size: number): PairedPowerFFT | null {
    if (!isPowerOfTwo(size) || size < 8) return null;
    const mod = pairedModule();
    if (!mod) return null;
    const instance = new WebAssembly.Instance(mod, {});
    const exp = instance.exports as unknown as { fft2: (...a: number[]) => void; memory: WebAssembly.Memory };
    // Twiddles in pass order as in RealFFT, but with the first pass's (1, 0, 1, 0) spelled out.
    const ref = new RealFFT(size) as unknown as { passTwiddles: Float64Array };
    const tw = ref.passTwiddles.slice();
    if (size >> 1 >= 4) tw.set([1, 0, 1, 0], 0);
    return new PairedPowerFFT(size, exp, tw);
  }

  /** |X|² of the (already windowed) frames `a` and `b` (length size) into outA/outB (length ≥ nBins). */
  power(a: ArrayLike<number>, b: ArrayLike<number>, outA: Float64Array, outB: Float64Array): void {
    const { re, im, bitrev, half } = this;
    for (let i = 0; i < half; i++) {
      const j = 2 * bitrev[i];
      re[j] = a[2 * i];
      re[j + 1] = b[2 * i];
      im[j] = a[2 * i + 1];
      im[j + 1] = b[2 * i + 1];
    }
    this.run();
    const out = this.out;
    for (let k = 0; k <= half; k++) {
      outA[k] = out[2 * k];
      outB[k] = out[2 * k + 1];
    }
  }
}

/** Sparse filterbank rows as SparseFilterbank stores them (see melspec.ts). */
export interface SparseRows {
  nMels: number;
  starts: Int32Array;
  lengths: Int32Array;
  offsets: Int32Array;
  weights: Float32Array;
}

/**
 * Whole mel-power spectrogram in WebAssembly: framing + window + paired FFT + sparse filterbank, one
 * call per clip (melFrames). Numerically the same recipe as the JS path: float64 window/FFT/power/mel
 * sums, float32 output.
 */
export class PairedMelKernel {
  private readonly exp: { melFrames: (...a: number[]) => void; memory: WebAssembly.Memory };
  private readonly fixedEnd: number;
  private readonly at: Record<"tw" | "split" | "re" | "im" | "out" | "win" | "bitrev" | "fbInfo" | "fbW", number>;

  private constructor(
    readonly nFft: number,
    readonly nMels: number,
    exp: { melFrames: (...a: number[]) => void; memory: WebAssembly.Memory },
    window: Float64Array,
    fb: SparseRows,
  ) {
    this.exp = exp;
    const half = nFft >> 1;
    const ref = new RealFFT(nFft) as unknown as { passTwiddles: Float64Array; bitrev: Uint32Array };
    const tw = ref.passTwiddles.slice();
    if (half >= 4) tw.set([1, 0, 1, 0], 0);
    const at = { tw: 0, split: 0, re: 0, im: 0, out: 0, win: 0, bitrev: 0, fbInfo: 0, fbW: 0 };
    let p = 0;
    const take = (bytes: number) => {
      const a = p;
      p += Math.ceil(bytes / 16) * 16;
      return a;
    };
    at.tw = take(tw.byteLength);
    at.split = take(16 * (half + 1));
    at.re = take(16 * half);
    at.im = take(16 * half);
    at.out = take(16 * (half + 1));
    at.win = take(8 * nFft);
    at.bitrev = take(4 * half);
    at.fbInfo = take(12 * fb.nMels);
    at.fbW = take(8 * fb.weights.length);
    this.at = at;
    this.fixedEnd = p;
    const mem = exp.memory;
    if (mem.buffer.byteLength < p) mem.grow(Math.ceil((p - mem.buffer.byteLength) / 65536));
    const buf = mem.buffer;
    new Float64Array(buf, at.tw, tw.length).set(tw);
    const split = new Float64Array(buf, at.split, 2 * (half + 1));
    for (let k = 0; k <= half; k++) {
      split[2 * k] = Math.cos((2 * Math.PI * k) / nFft);
      split[2 * k + 1] = Math.sin((2 * Math.PI * k) / nFft);
    }
    new Float64Array(buf, at.win, nFft).set(window);
    new Int32Array(buf, at.bitrev, half).set(ref.bitrev);
    const info = new Int32Array(buf, at.fbInfo, 3 * fb.nMels);
    for (let m = 0; m < fb.nMels; m++) {
      info[3 * m] = 16 * fb.starts[m];
      info[3 * m + 1] = fb.lengths[m];
      info[3 * m + 2] = 8 * fb.offsets[m];
    }
    new Float64Array(buf, at.fbW, fb.weights.length).set(fb.weights);
  }

  /** A kernel for this FFT size, window (length nFft) and filterbank; null without WebAssembly SIMD. */
  static create(nFft: number, window: Float64Array, fb: SparseRows): PairedMelKernel | null {
    if (!isPowerOfTwo(nFft) || nFft < 8) return null;
    const mod = pairedModule();
    if (!mod) return null;
    const instance = new WebAssembly.Instance(mod, {});
    const exp = instance.exports as unknown as { melFrames: (...a: number[]) => void; memory: WebAssembly.Memory };
    return new PairedMelKernel(nFft, fb.nMels, exp, window, fb);
  }

  /**
   * Mel power (nMels × nFrames, float32, row-major) of `pcm`; frame t starts at sample t·hop − `pad`
   * (pad = nFft/2 for center=True), zeros outside the signal.
   */
  run(pcm: ArrayLike<number>, hop: number, nFrames: number, pad: number): Float32Array {
    const { at, nFft, nMels } = this;
    const framesEven = nFrames + (nFrames & 1);
    const padded = (framesEven - 1) * hop + nFft;
    const pcmAt = this.fixedEnd;
    const melAt = pcmAt + Math.ceil((4 * padded) / 16) * 16;
    const needed = melAt + 4 * nMels * nFrames;
    const mem = this.exp.memory;
    if (mem.buffer.byteLength < needed) mem.grow(Math.ceil((needed - mem.buffer.byteLength) / 65536));
    const x = new Float32Array(mem.buffer, pcmAt, padded);
    x.fill(0);
    const n = Math.min(pcm.length, padded - pad);
    if (pcm instanceof Float32Array) x.set(n === pcm.length ? pcm : pcm.subarray(0, n), pad);
    else for (let i = 0; i < n; i++) x[pad + i] = pcm[i];
    this.exp.melFrames(pcmAt, hop, nFrames, at.re, at.im, nFft >> 1, at.tw, at.split, at.out, at.win, at.bitrev, at.fbInfo, nMels, at.fbW, melAt);
    return new Float32Array(mem.buffer, melAt, nMels * nFrames).slice();
  }
}

/** Rows of weights over amplitude-spectrum bins for PairedAmpKernel: dense from `start`, optionally on a². */
export interface AmpRow {
  start: number;
  weights: ArrayLike<number>;
  /** Sum w·a² instead of w·a (a = the float32-rounded magnitude). */
  squared: boolean;
}

/** PairedAmpKernel.run's output: views into the kernel's memory, valid until its next run. */
export interface AmpFrames {
  /** |X[k]| (float64) of bins 0…nFft/2, frame-major: magnitude[t·(nFft/2 + 1) + k]. */
  magnitude: Float64Array;
  /** Σ w·a (or w·a²) of each row, frame-major: rows[t·nRows + r]. */
  rows: Float64Array;
}

/**
 * Magnitude spectra of a whole clip plus linear functionals of them in WebAssembly, one call per clip
 * (ampFrames): framing + window + paired FFT as PairedMelKernel, then √|X|², rounded to float32 for the
 * rows (meyda's Float32Array amplitude spectrum), each row summed in float64 in bin order.
 */
export class PairedAmpKernel {
  private readonly exp: { ampFrames: (...a: number[]) => void; memory: WebAssembly.Memory };
  private readonly fixedEnd: number;
  private readonly at: Record<"tw" | "split" | "re" | "im" | "out" | "win" | "bitrev" | "rowInfo" | "rowW", number>;
  readonly nRows: number;

  private constructor(readonly nFft: number, exp: PairedAmpKernel["exp"], window: Float64Array, rows: AmpRow[]) {
    this.exp = exp;
    this.nRows = rows.length;
    const half = nFft >> 1;
    const ref = new RealFFT(nFft) as unknown as { passTwiddles: Float64Array; bitrev: Uint32Array };
    const tw = ref.passTwiddles.slice();
    if (half >= 4) tw.set([1, 0, 1, 0], 0);
    const nWeights = rows.reduce((n, r) => n + r.weights.length, 0);
    const quads = quadStarts(rows);
    let p = 0;
    const take = (bytes: number) => {
      const a = p;
      p += Math.ceil(bytes / 16) * 16;
      return a;
    };
    const at = {
      tw: take(tw.byteLength), split: take(16 * (half + 1)), re: take(16 * half), im: take(16 * half),
      out: take(16 * (half + 1)), win: take(8 * nFft), bitrev: take(4 * half), rowInfo: take(16 * rows.length), rowW: take(8 * nWeights),
    };
    this.at = at;
    this.fixedEnd = p;
    const mem = exp.memory;
    if (mem.buffer.byteLength < p) mem.grow(Math.ceil((p - mem.buffer.byteLength) / 65536));
    const buf = mem.buffer;
    new Float64Array(buf, at.tw, tw.length).set(tw);
    const split = new Float64Array(buf, at.split, 2 * (half + 1));
    for (let k = 0; k <= half; k++) {
      split[2 * k] = Math.cos((2 * Math.PI * k) / nFft);
      split[2 * k + 1] = Math.sin((2 * Math.PI * k) / nFft);
    }
    new Float64Array(buf, at.win, nFft).set(window);
    new Int32Array(buf, at.bitrev, half).set(ref.bitrev);
    const info = new Int32Array(buf, at.rowInfo, 4 * rows.length);
    const weights = new Float64Array(buf, at.rowW, nWeights);
    let offset = 0;
    rows.forEach((row, r) => {
      if (row.start < 0 || row.start + row.weights.length > half + 1) throw new RangeError(`PairedAmpKernel: row ${r} exceeds the spectrum`);
      info.set([16 * row.start, row.weights.length, 8 * offset, quads.has(r) ? 2 : row.squared ? 1 : 0], 4 * r);
      if (quads.has(r)) {
        // rows r … r+3 interleaved per bin (the kernel skips their own rowInfo entries)
        for (let j = 0; j < row.weights.length; j++) for (let i = 0; i < 4; i++) weights[offset + 4 * j + i] = rows[r + i].weights[j];
      } else if (!(quads.has(r - 1) || quads.has(r - 2) || quads.has(r - 3))) {
        weights.set(row.weights, offset);
      }
      offset += row.weights.length;
    });
  }

  /** A kernel for this FFT size, window (length nFft) and rows; null without WebAssembly SIMD. */
  static create(nFft: number, window: Float64Array, rows: AmpRow[]): PairedAmpKernel | null {
    if (!isPowerOfTwo(nFft) || nFft < 8) return null;
    const mod = pairedModule();
    if (!mod) return null;
    const instance = new WebAssembly.Instance(mod, {});
    return new PairedAmpKernel(nFft, instance.exports as unknown as PairedAmpKernel["exp"], window, rows);
  }

  /** Frames as PairedMelKernel.run: frame t starts at sample t·hop − pad, zeros outside the signal. */
  run(pcm: Float32Array, hop: number, nFrames: number, pad: number): AmpFrames {
    const { at, nFft, nRows } = this;
    const nBins = (nFft >> 1) + 1;
    const framesEven = nFrames + (nFrames & 1);
    const padded = (framesEven - 1) * hop + nFft;
    const pcmAt = this.fixedEnd;
    const rowsAt = pcmAt + Math.ceil((4 * padded) / 16) * 16;
    const magAt = rowsAt + 8 * nRows * framesEven;
    const needed = magAt + 8 * nBins * framesEven;
    const mem = this.exp.memory;
    if (mem.buffer.byteLength < needed) mem.grow(Math.ceil((needed - mem.buffer.byteLength) / 65536));
    const x = new Float32Array(mem.buffer, pcmAt, padded);
    x.fill(0);
    const n = Math.min(pcm.length, padded - pad);
    x.set(n === pcm.length ? pcm : pcm.subarray(0, n), pad);
    this.exp.ampFrames(
      pcmAt, hop, nFrames, at.re, at.im, nFft >> 1, at.tw, at.split, at.out, at.win, at.bitrev, at.rowInfo, nRows, at.rowW, rowsAt, magAt,
    );
    return {
      magnitude: new Float64Array(mem.buffer, magAt, nBins * nFrames),
      rows: new Float64Array(mem.buffer, rowsAt, nRows * nFrames),
    };
  }
}

/** First rows of runs of four plain (not squared) rows with the same start and length. */
function quadStarts(rows: AmpRow[]): Set<number> {
  const starts = new Set<number>();
  for (let r = 0; r + 4 <= rows.length; ) {
    const same = [1, 2, 3].every(
      (i) => !rows[r].squared && !rows[r + i].squared && rows[r + i].start === rows[r].start && rows[r + i].weights.length === rows[r].weights.length,
    );
    if (same) {
      starts.add(r);
      r += 4;
    } else r++;
  }
  return starts;
}

/** PairedAmpKernel.run without WebAssembly SIMD: RealFFT frame by frame, the same sums in the same order. */
export function ampFramesJs(
  nFft: number, window: Float64Array, rows: AmpRow[], pcm: Float32Array, hop: number, nFrames: number, pad: number,
): AmpFrames {
  const nBins = (nFft >> 1) + 1;
  const fft = new RealFFT(nFft);
  const frame = new Float64Array(nFft);
  const re = new Float64Array(nBins);
  const im = new Float64Array(nBins);
  const amp = new Float32Array(nBins);
  const magnitude = new Float64Array(nBins * nFrames);
  const sums = new Float64Array(rows.length * nFrames);
  for (let t = 0; t < nFrames; t++) {
    for (let i = 0; i < nFft; i++) {
      const s = t * hop - pad + i;
      frame[i] = s >= 0 && s < pcm.length ? pcm[s] * window[i] : 0;
    }
    fft.forward(frame, re, im);
    for (let k = 0; k < nBins; k++) {
      magnitude[t * nBins + k] = Math.sqrt(re[k] * re[k] + im[k] * im[k]);
      amp[k] = magnitude[t * nBins + k];
    }
    rows.forEach((row, r) => {
      const w = row.weights;
      let acc = 0;
      if (row.squared) for (let j = 0; j < w.length; j++) acc += w[j] * amp[row.start + j] * amp[row.start + j];
      else for (let j = 0; j < w.length; j++) acc += w[j] * amp[row.start + j];
      sums[t * rows.length + r] = acc;
    });
  }
  return { magnitude, rows: sums };
}

let pairedModuleCache: WebAssembly.Module | null | undefined;

function pairedModule(): WebAssembly.Module | null {
  if (pairedModuleCache !== undefined) return pairedModuleCache;
  try {
    const bytes = buildPairedFftModule();
    pairedModuleCache = typeof WebAssembly !== "undefined" && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    pairedModuleCache = null;
  }
  return pairedModuleCache;
}

/** The paired module: fft2 (the complex FFT + real split + power) and the melFrames / ampFrames kernels that call it. */
function buildPairedFftModule(): Uint8Array {
  const fftBody = buildFft2Body();
  const melBody = buildMelFramesBody();
  const ampBody = buildAmpFramesBody();
  const fnType = (nParams: number) => [0x60, nParams, ...new Array(nParams).fill(I32), 0];
  return new Uint8Array([
    ...wasmHeader,
    ...section(1, [3, ...fnType(6), ...fnType(15), ...fnType(16)]),
    ...section(3, [3, 0, 1, 2]),
    ...section(5, [1, 0, 1]),
    ...section(7, [4, ...str("memory"), 2, 0, ...str("fft2"), 0, 0, ...str("melFrames"), 0, 1, ...str("ampFrames"), 0, 2]),
    ...section(10, [3, ...uleb(fftBody.length), ...fftBody, ...uleb(melBody.length), ...melBody, ...uleb(ampBody.length), ...ampBody]),
  ]);
}

/**
 * fft2(re, im, half, tw, split, out): radix-2² passes (plus a final radix-2 pass when log2(half) is odd)
 * over two interleaved frames at once (f64x2 lanes), then the real split and the power spectrum.
 * One piece: it is one wasm function's instruction stream, in execution order, over one set of local
 * indices; split into parts it would read as fragments of bytecode that only make sense together.
 */
function buildFft2Body(): number[] {
  // params: re, im, half, tw, split, out
  const [RE, IM, HALF, TW, SPLIT, OUT] = [0, 1, 2, 3, 4, 5];
  // i32 locals
  const [S, J, A, TWP, PA, PB, PC, PD, DELTA, K, TMP] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  // v128 locals
  const V = 17;
  const [W1R, W1I, W2R, W2I, AR, AI, BR, BI, CR, CI, DR, DI, P0R, P0I, P1R, P1I, Q0R, Q0I, Q1R, Q1I, HALFV] = Array.from({ length: 21 }, (_, i) => V + i);
  const nI32 = 11;
  const nV128 = 21;

  const ld = (ptr: number, im = false) => [...get(ptr), ...(im ? [...get(DELTA), ADD] : []), ...v128Load];
  const st = (ptr: number, im: boolean, value: number[]) => [...get(ptr), ...(im ? [...get(DELTA), ADD] : []), ...value, ...v128Store];
  const add = (x: number[], y: number[]) => [...x, ...y, ...F64X2_ADD];
  const sub = (x: number[], y: number[]) => [...x, ...y, ...F64X2_SUB];
  const mul = (x: number[], y: number[]) => [...x, ...y, ...F64X2_MUL];
  const g = get;
  const splatLoad = (offset: number) => [...g(TMP), ...f64Load(offset), ...F64X2_SPLAT];
  const addr = (base: number, idx: number[]) => [...g(base), ...idx, ...i32c(4), SHL, ADD]; // base + 16·idx

  // Complex multiply (xr, xi)·(wr, wi) into (outR, outI).
  const cmul = (xr: number, xi: number, wr: number, wi: number, outR: number, outI: number, tr: number, ti: number) => [
    ...sub(mul(g(xr), g(wr)), mul(g(xi), g(wi))), ...set(tr),
    ...add(mul(g(xr), g(wi)), mul(g(xi), g(wr))), ...set(ti),
    ...g(tr), ...set(outR), ...g(ti), ...set(outI),
  ];

  const butterfly4 = [
    ...ld(PA), ...set(AR), ...ld(PA, true), ...set(AI),
    ...ld(PB), ...set(BR), ...ld(PB, true), ...set(BI),
    ...ld(PC), ...set(CR), ...ld(PC, true), ...set(CI),
    ...ld(PD), ...set(DR), ...ld(PD, true), ...set(DI),
    ...cmul(BR, BI, W2R, W2I, BR, BI, P0R, P0I),
    ...cmul(DR, DI, W2R, W2I, DR, DI, P0R, P0I),
    ...add(g(AR), g(BR)), ...set(P0R), ...add(g(AI), g(BI)), ...set(P0I),
    ...sub(g(AR), g(BR)), ...set(P1R), ...sub(g(AI), g(BI)), ...set(P1I),
    ...add(g(CR), g(DR)), ...set(Q0R), ...add(g(CI), g(DI)), ...set(Q0I),
    ...sub(g(CR), g(DR)), ...set(Q1R), ...sub(g(CI), g(DI)), ...set(Q1I),
    ...cmul(Q0R, Q0I, W1R, W1I, Q0R, Q0I, AR, AI),
    ...cmul(Q1R, Q1I, W1R, W1I, Q1R, Q1I, AR, AI),
    ...st(PA, false, add(g(P0R), g(Q0R))), ...st(PA, true, add(g(P0I), g(Q0I))),
    ...st(PC, false, sub(g(P0R), g(Q0R))), ...st(PC, true, sub(g(P0I), g(Q0I))),
    ...st(PB, false, add(g(P1R), g(Q1I))), ...st(PB, true, sub(g(P1I), g(Q1R))),
    ...st(PD, false, sub(g(P1R), g(Q1I))), ...st(PD, true, add(g(P1I), g(Q1R))),
  ];

  const butterfly2 = [
    ...ld(PA), ...set(AR), ...ld(PA, true), ...set(AI),
    ...ld(PB), ...set(BR), ...ld(PB, true), ...set(BI),
    ...cmul(BR, BI, W1R, W1I, BR, BI, P0R, P0I),
    ...st(PA, false, add(g(AR), g(BR))), ...st(PA, true, add(g(AI), g(BI))),
    ...st(PB, false, sub(g(AR), g(BR))), ...st(PB, true, sub(g(AI), g(BI))),
  ];

  const code: number[] = [
    ...g(IM), ...g(RE), 0x6b /* i32.sub */, ...set(DELTA),
    ...f64Const(0.5), ...F64X2_SPLAT, ...set(HALFV),
    ...i32c(1), ...set(S), ...g(TW), ...set(TWP),
    // radix-2² passes while 4s ≤ half
    ...BLOCK, ...LOOP,
    ...g(S), ...i32c(2), SHL, ...g(HALF), GT_S, ...brIf(1),
    ...i32c(0), ...set(J),
    ...BLOCK, ...LOOP,
    ...g(J), ...g(S), GE_S, ...brIf(1),
    ...g(TWP), ...g(J), ...i32c(5), SHL, ADD, ...set(TMP),
    ...splatLoad(0), ...set(W1R), ...splatLoad(8), ...set(W1I), ...splatLoad(16), ...set(W2R), ...splatLoad(24), ...set(W2I),
    ...g(J), ...set(A),
    ...BLOCK, ...LOOP,
    ...g(A), ...g(HALF), GE_S, ...brIf(1),
    ...addr(RE, g(A)), ...set(PA),
    ...g(PA), ...g(S), ...i32c(4), SHL, ADD, ...set(PB),
    ...g(PB), ...g(S), ...i32c(4), SHL, ADD, ...set(PC),
    ...g(PC), ...g(S), ...i32c(4), SHL, ADD, ...set(PD),
    ...butterfly4,
    ...g(A), ...g(S), ...i32c(2), SHL, ADD, ...set(A),
    ...br(0), END, END,
    ...g(J), ...i32c(1), ADD, ...set(J),
    ...br(0), END, END,
    ...g(TWP), ...g(S), ...i32c(5), SHL, ADD, ...set(TWP),
    ...g(S), ...i32c(2), SHL, ...set(S),
    ...br(0), END, END,
    // final radix-2 pass when log2(half) is odd
    ...g(S), ...g(HALF), LT_S, ...IF,
    ...i32c(0), ...set(J),
    ...BLOCK, ...LOOP,
    ...g(J), ...g(S), GE_S, ...brIf(1),
    ...g(TWP), ...g(J), ...i32c(4), SHL, ADD, ...set(TMP),
    ...splatLoad(0), ...set(W1R), ...splatLoad(8), ...set(W1I),
    ...g(J), ...set(A),
    ...BLOCK, ...LOOP,
    ...g(A), ...g(HALF), GE_S, ...brIf(1),
    ...addr(RE, g(A)), ...set(PA),
    ...g(PA), ...g(S), ...i32c(4), SHL, ADD, ...set(PB),
    ...butterfly2,
    ...g(A), ...g(S), ...i32c(1), SHL, ADD, ...set(A),
    ...br(0), END, END,
    ...g(J), ...i32c(1), ADD, ...set(J),
    ...br(0), END, END,
    END,
    // split + power. k = 0 and k = half from Z[0]: X0 = re + im, Xh = re − im.
    ...ld(RE), ...set(AR), ...ld(IM), ...set(AI),
    ...g(OUT), ...add(g(AR), g(AI)), ...set(BR), ...mul(g(BR), g(BR)), ...v128Store,
    ...addr(OUT, g(HALF)), ...sub(g(AR), g(AI)), ...set(BR), ...mul(g(BR), g(BR)), ...v128Store,
    ...i32c(1), ...set(K),
    ...BLOCK, ...LOOP,
    ...g(K), ...g(HALF), GE_S, ...brIf(1),
    ...addr(RE, g(K)), ...set(PA),
    ...addr(RE, [...g(HALF), ...g(K), 0x6b]), ...set(PB),
    ...ld(PA), ...set(AR), ...ld(PA, true), ...set(AI), // A = Z[k]
    ...ld(PB), ...set(CR), ...ld(PB, true), ...set(CI), // C = Z[half − k]
    ...addr(SPLIT, g(K)), ...set(TMP),
    ...splatLoad(0), ...set(W1R), ...splatLoad(8), ...set(W1I), // c, s
    // er = ½(Ar + Cr), ei = ½(Ai − Ci), or = ½(Ai + Ci), oi = ½(Cr − Ar)
    ...mul(g(HALFV), add(g(AR), g(CR))), ...set(P0R),
    ...mul(g(HALFV), sub(g(AI), g(CI))), ...set(P0I),
    ...mul(g(HALFV), add(g(AI), g(CI))), ...set(P1R),
    ...mul(g(HALFV), sub(g(CR), g(AR))), ...set(P1I),
    // Xr = er + or·c + oi·s, Xi = ei − or·s + oi·c
    ...add(add(g(P0R), mul(g(P1R), g(W1R))), mul(g(P1I), g(W1I))), ...set(Q0R),
    ...add(sub(g(P0I), mul(g(P1R), g(W1I))), mul(g(P1I), g(W1R))), ...set(Q0I),
    ...addr(OUT, g(K)), ...add(mul(g(Q0R), g(Q0R)), mul(g(Q0I), g(Q0I))), ...v128Store,
    ...g(K), ...i32c(1), ADD, ...set(K),
    ...br(0), END, END,
    END,
  ];
  const locals = [2, ...uleb(nI32), I32, ...uleb(nV128), V128];
  return [...locals, ...code];
}

/**
 * melFrames(pcm, hop, nFrames, re, im, half, tw, split, out, win, bitrev, fbInfo, nMels, fbW, melOut):
 * for frame pairs (t, t+1): window the float32 PCM frames starting at pcm + 4·t·hop (the caller pads the
 * signal: center zeros, plus room for a phantom frame t+1 after the last), pack them bit-reversed
 * into RE/IM, call fft2, then apply the sparse filterbank (fbInfo: per mel [16·start, length, byte
 * offset into fbW (f64 weights)]) to both power spectra and store float32 mel power at
 * melOut[m·nFrames + t] (and t+1 when it exists).
 */
function buildMelFramesBody(): number[] {
  const [PCM, HOP, NFRAMES, RE, IM, HALF, TW, SPLIT, OUT, WIN, BITREV, FBINFO, NMELS, FBW, MELOUT] = Array.from({ length: 15 }, (_, i) => i);
  const [T, SA, SB, I, JADDR, M, INFO, P, WP, LEN, Q, DST] = Array.from({ length: 12 }, (_, i) => 15 + i);
  const [ACC] = [27];
  const [WA, WB] = [28, 29]; // f64 locals
  const g = get;
  const F64 = 0x7c;
  const f32Load = (off: number) => [0x2a, 2, ...uleb(off)];
  const PROMOTE = 0xbb, DEMOTE = 0xb6, F64_MUL = 0xa2, CALL = 0x10;
  const replaceLane1 = [0xfd, ...uleb(0x22), 1];
  const extractLane = (l: number) => [0xfd, ...uleb(0x21), l];
  const v128ZeroBytes = [0xfd, 0x0c, ...new Array(16).fill(0)];
  const f32StoreAt = [0x38, 2, 0];
  // (x_a·w, x_b·w) as a v128 from f32 samples at byte offsets `off` of SA and SB, window value in f64 local W.
  const pairTimesW = (off: number, w: number) => [
    ...g(SA), ...g(I), ...i32c(3), SHL, ADD, ...f32Load(off), PROMOTE, ...g(w), F64_MUL, ...F64X2_SPLAT,
    ...g(SB), ...g(I), ...i32c(3), SHL, ADD, ...f32Load(off), PROMOTE, ...g(w), F64_MUL, ...replaceLane1,
  ];
  const code: number[] = [
    ...i32c(0), ...set(T),
    ...BLOCK, ...LOOP,
    ...g(T), ...g(NFRAMES), GE_S, ...brIf(1),
    // SA = pcm + 4·t·hop, SB = SA + 4·hop
    ...g(PCM), ...g(T), ...g(HOP), 0x6c, ...i32c(2), SHL, ADD, ...set(SA),
    ...g(SA), ...g(HOP), ...i32c(2), SHL, ADD, ...set(SB),
    // pack: for i < half: j = bitrev[i]; RE[j] = x[2i]·w[2i]; IM[j] = x[2i+1]·w[2i+1]
    ...i32c(0), ...set(I),
    ...BLOCK, ...LOOP,
    ...g(I), ...g(HALF), GE_S, ...brIf(1),
    ...g(WIN), ...g(I), ...i32c(4), SHL, ADD, ...set(P),
    ...g(P), ...f64Load(0), ...set(WA), ...g(P), ...f64Load(8), ...set(WB),
    ...g(BITREV), ...g(I), ...i32c(2), SHL, ADD, ...i32Load(0), ...i32c(4), SHL, ...set(JADDR),
    ...g(RE), ...g(JADDR), ADD, ...pairTimesW(0, WA), ...v128Store,
    ...g(IM), ...g(JADDR), ADD, ...pairTimesW(4, WB), ...v128Store,
    ...g(I), ...i32c(1), ADD, ...set(I),
    ...br(0), END, END,
    ...g(RE), ...g(IM), ...g(HALF), ...g(TW), ...g(SPLIT), ...g(OUT), CALL, 0,
    // mel: for m < nMels
    ...i32c(0), ...set(M),
    ...BLOCK, ...LOOP,
    ...g(M), ...g(NMELS), GE_S, ...brIf(1),
    ...g(FBINFO), ...g(M), ...i32c(12), 0x6c, ADD, ...set(INFO),
    ...g(OUT), ...g(INFO), ...i32Load(0), ADD, ...set(P),
    ...g(INFO), ...i32Load(4), ...set(LEN),
    ...g(FBW), ...g(INFO), ...i32Load(8), ADD, ...set(WP),
    ...v128ZeroBytes, ...set(ACC),
    ...i32c(0), ...set(Q),
    ...BLOCK, ...LOOP,
    ...g(Q), ...g(LEN), GE_S, ...brIf(1),
    ...g(ACC), ...g(WP), ...f64Load(0), ...F64X2_SPLAT, ...g(P), ...v128Load, ...F64X2_MUL, ...F64X2_ADD, ...set(ACC),
    ...g(P), ...i32c(16), ADD, ...set(P),
    ...g(WP), ...i32c(8), ADD, ...set(WP),
    ...g(Q), ...i32c(1), ADD, ...set(Q),
    ...br(0), END, END,
    // melOut[m·nFrames + t] = lane 0; [.. + t + 1] = lane 1 when t + 1 < nFrames
    ...g(MELOUT), ...g(M), ...g(NFRAMES), 0x6c, ...g(T), ADD, ...i32c(2), SHL, ADD, ...set(DST),
    ...g(DST), ...g(ACC), ...extractLane(0), DEMOTE, ...f32StoreAt,
    ...g(T), ...i32c(1), ADD, ...g(NFRAMES), LT_S, ...IF,
    ...g(DST), ...g(ACC), ...extractLane(1), DEMOTE, 0x38, 2, 4,
    END,
    ...g(M), ...i32c(1), ADD, ...set(M),
    ...br(0), END, END,
    ...g(T), ...i32c(2), ADD, ...set(T),
    ...br(0), END, END,
    END,
  ];
  const locals = [3, ...uleb(12), I32, 1, V128, 2, F64];
  return [...locals, ...code];
}

/**
 * ampFrames(pcm, hop, nFrames, re, im, half, tw, split, out, win, bitrev, rowInfo, nRows, rowW, rowOut, magOut):
 * for frame pairs (t, t+1), framed and windowed as melFrames, then fft2; the magnitude √|X|² of bins
 * 0…half goes to magOut[t·(half+1) + k] (f64), and OUT is overwritten with the magnitude rounded to
 * float32 (meyda's Float32Array amplitude spectrum). Then each row r (rowInfo: [16·start, length, byte
 * offset into rowW (f64 weights), squared]) sums w·a (or (w·a)·a when squared) over its bins in bin
 * order into rowOut[t·nRows + r] (f64). Both outputs hold a row for the phantom frame after an odd last.
 */
function buildAmpFramesBody(): number[] {
  const { PCM, HOP, NFRAMES, RE, IM, HALF, TW, SPLIT, OUT, T, SA, SB, I, NROWS, MSTRIDE, RSTRIDE } = AMP;
  const g = get;
  const CALL = 0x10;
  const code: number[] = [
    ...g(HALF), ...i32c(1), ADD, ...i32c(3), SHL, ...set(MSTRIDE), // bytes per magnitude frame
    ...g(NROWS), ...i32c(3), SHL, ...set(RSTRIDE), // bytes per row-output frame
    ...i32c(0), ...set(T),
    ...loopWhile([...g(T), ...g(NFRAMES), GE_S], [
      ...g(PCM), ...g(T), ...g(HOP), I32_MUL, ...i32c(2), SHL, ADD, ...set(SA),
      ...g(SA), ...g(HOP), ...i32c(2), SHL, ADD, ...set(SB),
      ...i32c(0), ...set(I),
      ...ampPack(),
      ...g(RE), ...g(IM), ...g(HALF), ...g(TW), ...g(SPLIT), ...g(OUT), CALL, 0,
      ...ampMagnitude(),
      ...ampRows(),
      ...incr(T, 2),
    ]),
    END,
  ];
  const locals = [3, ...uleb(15), I32, 5, V128, 2, 0x7c];
  return [...locals, ...code];
}

/** ampFrames's local indices: 16 i32 params, then 15 i32, 5 v128 and 2 f64 locals. */
const AMP = (() => {
  const [PCM, HOP, NFRAMES, RE, IM, HALF, TW, SPLIT, OUT, WIN, BITREV, ROWINFO, NROWS, ROWW, ROWOUT, MAGOUT] = Array.from({ length: 16 }, (_, i) => i);
  const [T, SA, SB, I, JADDR, R, INFO, P, WP, LEN, Q, DST, K, MSTRIDE, RSTRIDE] = Array.from({ length: 15 }, (_, i) => 16 + i);
  const [ACC, MAG, ACC1, ACC2, ACC3] = [31, 32, 33, 34, 35]; // v128 locals
  const [WA, WB] = [36, 37]; // f64 locals
  return {
    PCM, HOP, NFRAMES, RE, IM, HALF, TW, SPLIT, OUT, WIN, BITREV, ROWINFO, NROWS, ROWW, ROWOUT, MAGOUT,
    T, SA, SB, I, JADDR, R, INFO, P, WP, LEN, Q, DST, K, MSTRIDE, RSTRIDE, ACC, MAG, ACC1, ACC2, ACC3, WA, WB,
  };
})();

// Opcodes and small code builders of the ampFrames sections.
const I32_MUL = 0x6c;
const F64X2_REPLACE_LANE1 = [0xfd, ...uleb(0x22), 1];
const F64X2_SQRT = [0xfd, ...uleb(0xef)];
const F32X4_DEMOTE_F64X2_ZERO = [0xfd, ...uleb(0x5e)];
const F64X2_PROMOTE_LOW_F32X4 = [0xfd, ...uleb(0x5f)];
const V128_ZERO = [0xfd, 0x0c, ...new Array(16).fill(0)];
const f64x2ExtractLane = (l: number) => [0xfd, ...uleb(0x21), l];
const f32LoadAt = (off: number) => [0x2a, 2, ...uleb(off)];
const f64StoreAt = (addr: number[], value: number[]) => [...addr, ...value, 0x39, 3, 0];
const loopWhile = (stop: number[], body: number[]) => [...BLOCK, ...LOOP, ...stop, ...brIf(1), ...body, ...br(0), END, END];
const incr = (l: number, by: number) => [...get(l), ...i32c(by), ADD, ...set(l)];

/** Window the frame pair (SA, SB) and pack it bit-reversed into RE/IM (i from I = 0 to half). */
function ampPack(): number[] {
  const { RE, IM, HALF, WIN, BITREV, SA, SB, I, JADDR, P, WA, WB } = AMP;
  const g = get;
  const PROMOTE = 0xbb, F64_MUL = 0xa2;
  const pairTimesW = (off: number, w: number) => [
    ...g(SA), ...g(I), ...i32c(3), SHL, ADD, ...f32LoadAt(off), PROMOTE, ...g(w), F64_MUL, ...F64X2_SPLAT,
    ...g(SB), ...g(I), ...i32c(3), SHL, ADD, ...f32LoadAt(off), PROMOTE, ...g(w), F64_MUL, ...F64X2_REPLACE_LANE1,
  ];
  return loopWhile([...g(I), ...g(HALF), GE_S], [
    ...g(WIN), ...g(I), ...i32c(4), SHL, ADD, ...set(P),
    ...g(P), ...f64Load(0), ...set(WA), ...g(P), ...f64Load(8), ...set(WB),
    ...g(BITREV), ...g(I), ...i32c(2), SHL, ADD, ...i32Load(0), ...i32c(4), SHL, ...set(JADDR),
    ...g(RE), ...g(JADDR), ADD, ...pairTimesW(0, WA), ...v128Store,
    ...g(IM), ...g(JADDR), ADD, ...pairTimesW(4, WB), ...v128Store,
    ...incr(I, 1),
  ]);
}

/** √power of bins 0…half into magOut (f64), and OUT overwritten with it rounded to float32. */
function ampMagnitude(): number[] {
  const { HALF, OUT, MAGOUT, T, P, DST, K, MSTRIDE, MAG } = AMP;
  const g = get;
  return [
    ...g(MAGOUT), ...g(T), ...g(MSTRIDE), I32_MUL, ADD, ...set(DST),
    ...g(OUT), ...set(P), ...i32c(0), ...set(K),
    ...loopWhile([...g(K), ...g(HALF), GT_S], [
      ...g(P), ...v128Load, ...F64X2_SQRT, ...set(MAG),
      ...f64StoreAt(g(DST), [...g(MAG), ...f64x2ExtractLane(0)]),
      ...f64StoreAt([...g(DST), ...g(MSTRIDE), ADD], [...g(MAG), ...f64x2ExtractLane(1)]),
      ...g(P), ...g(MAG), ...F32X4_DEMOTE_F64X2_ZERO, ...F64X2_PROMOTE_LOW_F32X4, ...v128Store,
      ...incr(P, 16), ...incr(DST, 8), ...incr(K, 1),
    ]),
  ];
}

/** The weighted row sums over the amplitude bins: single rows (w·a or (w·a)·a) and quads of rows. */
function ampRows(): number[] {
  const { OUT, ROWINFO, NROWS, ROWW, ROWOUT, T, R, INFO, P, WP, LEN, Q, DST, RSTRIDE, ACC, MAG, ACC1, ACC2, ACC3 } = AMP;
  const g = get;
  const ELSE = 0x05;
  // ACC += w·a (or (w·a)·a) over LEN bins from P (v128 pairs) with weights from WP (f64).
  const rowLoop = (squared: boolean) => [
    ...i32c(0), ...set(Q),
    ...loopWhile([...g(Q), ...g(LEN), GE_S], [
      ...g(ACC), ...g(WP), ...f64Load(0), ...F64X2_SPLAT, ...g(P), ...v128Load, ...F64X2_MUL,
      ...(squared ? [...g(P), ...v128Load, ...F64X2_MUL] : []), ...F64X2_ADD, ...set(ACC),
      ...incr(P, 16), ...incr(WP, 8), ...incr(Q, 1),
    ]),
  ];
  // Four rows sharing start/length (weights interleaved per bin): four independent sums per loaded bin.
  const quadAccs = [ACC, ACC1, ACC2, ACC3];
  const quadLoop = [
    ...quadAccs.flatMap((a) => [...V128_ZERO, ...set(a)]),
    ...i32c(0), ...set(Q),
    ...loopWhile([...g(Q), ...g(LEN), GE_S], [
      ...g(P), ...v128Load, ...set(MAG),
      ...quadAccs.flatMap((a, i) => [...g(a), ...g(WP), ...f64Load(8 * i), ...F64X2_SPLAT, ...g(MAG), ...F64X2_MUL, ...F64X2_ADD, ...set(a)]),
      ...incr(P, 16), ...incr(WP, 32), ...incr(Q, 1),
    ]),
  ];
  const storeRow = (acc: number, i: number) => [
    ...g(ROWOUT), ...g(T), ...g(NROWS), I32_MUL, ...g(R), ADD, ...i32c(i), ADD, ...i32c(3), SHL, ADD, ...set(DST),
    ...f64StoreAt(g(DST), [...g(acc), ...f64x2ExtractLane(0)]),
    ...f64StoreAt([...g(DST), ...g(RSTRIDE), ADD], [...g(acc), ...f64x2ExtractLane(1)]),
  ];
  return [
    ...i32c(0), ...set(R),
    ...loopWhile([...g(R), ...g(NROWS), GE_S], [
      ...g(ROWINFO), ...g(R), ...i32c(4), SHL, ADD, ...set(INFO),
      ...g(OUT), ...g(INFO), ...i32Load(0), ADD, ...set(P),
      ...g(INFO), ...i32Load(4), ...set(LEN),
      ...g(ROWW), ...g(INFO), ...i32Load(8), ADD, ...set(WP),
      // kind (rowInfo[3]): 0 = w·a, 1 = (w·a)·a, 2 = four w·a rows at once
      ...g(INFO), ...i32Load(12), ...i32c(2), 0x46 /* i32.eq */, ...IF,
      ...quadLoop, ...quadAccs.flatMap((a, i) => storeRow(a, i)), ...incr(R, 4),
      ELSE,
      ...V128_ZERO, ...set(ACC),
      ...g(INFO), ...i32Load(12), ...IF, ...rowLoop(true), ELSE, ...rowLoop(false), END,
      ...storeRow(ACC, 0), ...incr(R, 1),
      END,
    ]),
  ];
}
