// Real FFT for spectrograms. Power-of-two sizes use an iterative radix-2 complex FFT of half the length
// (the classic "two real halves packed in one complex signal" trick) with precomputed twiddles and
// bit-reversal table, all in Float64Array, no allocation per call. Other sizes fall back to a direct
// O(n²) DFT with a precomputed cos/sin table: correct but slow — fine for tests and odd experiments,
// not for bulk feature extraction.

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
