// librosa-parity log-mel spectrogram: what
//   librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=22050), ref=np.max)
// computes (librosa 0.11 defaults; recipe in ../shared/docs/librosa-mel.md), with a sparse filterbank
// applied frame by frame so a long clip never materialises its full STFT.
// Numerics: window, FFT and power in float64 (librosa also windows/FFTs in float64 before casting to
// complex64), filterbank weights rounded to float32 exactly as librosa stores them, outputs float32.
import { PairedMelKernel, PairedPowerFFT, RealFFT } from "./fft";

export interface MelOptions {
  /** Sample rate of the input PCM (Hz). */
  sr: number;
  nFft: number;
  hopLength: number;
  /** Window length ≤ nFft; the Hann window is zero-padded to nFft, centred (librosa pad_center). Default nFft. */
  winLength?: number;
  nMels: number;
  fmin: number;
  /** Highest filter edge in Hz; null means sr/2. */
  fmax: number | null;
  /** Exponent of the magnitude: 2 = power, 1 = magnitude. */
  power: number;
  /** HTK mel scale instead of Slaney's. */
  htk: boolean;
  /** "slaney": each triangle scaled to unit area per Hz (librosa default); null: peak 1. */
  norm: "slaney" | null;
  /** Pad nFft/2 zeros on each side so frame t is centred at t·hop (librosa center=True, pad_mode constant). */
  center: boolean;
}

/** librosa 0.11 defaults (fmax null = sr/2). */
export const DEFAULT_MEL_OPTIONS: Readonly<MelOptions> = Object.freeze({
  sr: 22050,
  nFft: 2048,
  hopLength: 512,
  winLength: 2048,
  nMels: 128,
  fmin: 0,
  fmax: null,
  power: 2,
  htk: false,
  norm: "slaney" as const,
  center: true,
});

/** A 2-D float32 time–frequency array, row-major `rows × nFrames` with rows = mel bands (librosa layout). */
export interface Spectrogram {
  data: Float32Array;
  nMels: number;
  nFrames: number;
}

function resolveOptions(opts?: Partial<MelOptions>): Required<MelOptions> & { fmax: number } {
  const o = { ...DEFAULT_MEL_OPTIONS, ...(opts ?? {}) };
  const winLength = opts?.winLength ?? o.nFft;
  const fmax = o.fmax === null || o.fmax === undefined ? o.sr / 2 : o.fmax;
  if (!(o.sr > 0)) throw new RangeError(`mel options: sr must be > 0, got ${o.sr}`);
  if (!Number.isInteger(o.nFft) || o.nFft < 2) throw new RangeError(`mel options: nFft must be an integer ≥ 2, got ${o.nFft}`);
  if (!Number.isInteger(o.hopLength) || o.hopLength < 1) throw new RangeError(`mel options: hopLength must be a positive integer, got ${o.hopLength}`);
  if (!Number.isInteger(winLength) || winLength < 1 || winLength > o.nFft) throw new RangeError(`mel options: winLength must be in 1…nFft, got ${winLength}`);
  if (!Number.isInteger(o.nMels) || o.nMels < 1) throw new RangeError(`mel options: nMels must be a positive integer, got ${o.nMels}`);
  if (!(o.fmin >= 0) || !(fmax > o.fmin)) throw new RangeError(`mel options: need 0 ≤ fmin < fmax, got fmin ${o.fmin}, fmax ${fmax}`);
  return { ...o, winLength, fmax };
}

// ---------------------------------------------------------------- mel scale

const F_SP = 200 / 3; // Slaney: Hz per mel below 1 kHz
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP; // 15
const LOG_STEP = Math.log(6.4) / 27;

/** Hz → mel (Slaney's auditory-toolbox scale by default, HTK's with htk=true), as librosa.hz_to_mel. */
export function hzToMel(hz: number, htk = false): number {
  if (htk) return 2595 * Math.log10(1 + hz / 700);
  if (hz >= MIN_LOG_HZ) return MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP;
  return hz / F_SP;
}

/** mel → Hz, inverse of hzToMel (librosa.mel_to_hz). */
export function melToHz(mel: number, htk = false): number {
  if (htk) return 700 * (Math.pow(10, mel / 2595) - 1);
  if (mel >= MIN_LOG_MEL) return MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL));
  return F_SP * mel;
}

/** `n` frequencies (Hz) evenly spaced on the mel scale from fmin to fmax (librosa.mel_frequencies). */
export function melFrequencies(n: number, fmin: number, fmax: number, htk = false): Float64Array {
  const lo = hzToMel(fmin, htk);
  const hi = hzToMel(fmax, htk);
  const out = new Float64Array(n);
  // np.linspace: start + i·step, last point exactly `stop`.
  const step = n > 1 ? (hi - lo) / (n - 1) : 0;
  for (let i = 0; i < n; i++) out[i] = melToHz(i === n - 1 && n > 1 ? hi : lo + i * step, htk);
  return out;
}

/** Centre frequency (Hz) of each rFFT bin: k·sr/nFft (np.fft.rfftfreq). */
export function fftFrequencies(sr: number, nFft: number): Float64Array {
  const n = Math.floor(nFft / 2) + 1;
  const val = 1 / (nFft * (1 / sr));
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = k * val;
  return out;
}

// ---------------------------------------------------------------- filterbank

/**
 * Mel filterbank in sparse row form: filter m has float32 weights `weights[offsets[m] … offsets[m]+lengths[m])`
 * for FFT bins `starts[m] …`. Every FFT bin feeds at most two (adjacent) filters.
 */
export class SparseFilterbank {
  constructor(
    readonly nMels: number,
    readonly nBins: number,
    readonly starts: Int32Array,
    readonly lengths: Int32Array,
    readonly offsets: Int32Array,
    readonly weights: Float32Array,
    /** The nMels + 2 band edges in Hz (mel_f in librosa). */
    readonly edgesHz: Float64Array,
  ) {}

  /** Dense `nMels × nBins` float32 matrix, row-major, like librosa.filters.mel. */
  toDense(): Float32Array {
    const out = new Float32Array(this.nMels * this.nBins);
    for (let m = 0; m < this.nMels; m++) {
      const base = m * this.nBins + this.starts[m];
      const off = this.offsets[m];
      for (let j = 0; j < this.lengths[m]; j++) out[base + j] = this.weights[off + j];
    }
    return out;
  }

  /** out[m] = Σ_k W[m][k]·spectrum[k]. */
  apply(spectrum: ArrayLike<number>, out: Float64Array): void {
    const { starts, lengths, offsets, weights } = this;
    for (let m = 0; m < this.nMels; m++) {
      let acc = 0;
      const s = starts[m];
      const off = offsets[m];
      const len = lengths[m];
      for (let j = 0; j < len; j++) acc += weights[off + j] * spectrum[s + j];
      out[m] = acc;
    }
  }
}

/** librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk, norm) as a sparse float32 filterbank. */
export function melFilterbank(opts?: Partial<MelOptions>): SparseFilterbank {
  const o = resolveOptions(opts);
  const nBins = Math.floor(o.nFft / 2) + 1;
  const fftFreqs = fftFrequencies(o.sr, o.nFft);
  const melF = melFrequencies(o.nMels + 2, o.fmin, o.fmax, o.htk);
  const starts = new Int32Array(o.nMels);
  const lengths = new Int32Array(o.nMels);
  const offsets = new Int32Array(o.nMels);
  const rows: Float32Array[] = [];
  let total = 0;
  const row = new Float32Array(nBins);
  for (let m = 0; m < o.nMels; m++) {
    const fdiffLo = melF[m + 1] - melF[m];
    const fdiffHi = melF[m + 2] - melF[m + 1];
    const enorm = o.norm === "slaney" ? 2 / (melF[m + 2] - melF[m]) : 1;
    let first = -1;
    let last = -1;
    for (let k = 0; k < nBins; k++) {
      const lower = -(melF[m] - fftFreqs[k]) / fdiffLo;
      const upper = (melF[m + 2] - fftFreqs[k]) / fdiffHi;
      // librosa stores max(0, min(lower, upper)) in float32, then scales in float64 and rounds again.
      let w = Math.fround(Math.max(0, Math.min(lower, upper)));
      if (o.norm === "slaney") w = Math.fround(w * enorm);
      row[k] = w;
      if (w !== 0) {
        if (first < 0) first = k;
        last = k;
      }
    }
    if (first < 0) {
      // Empty filter (too many mels for this nFft): librosa warns and keeps a zero row.
      starts[m] = 0;
      lengths[m] = 0;
    } else {
      starts[m] = first;
      lengths[m] = last - first + 1;
    }
    offsets[m] = total;
    total += lengths[m];
    rows.push(row.slice(starts[m], starts[m] + lengths[m]));
  }
  const weights = new Float32Array(total);
  for (let m = 0; m < o.nMels; m++) weights.set(rows[m], offsets[m]);
  return new SparseFilterbank(o.nMels, nBins, starts, lengths, offsets, weights, melF);
}

// ---------------------------------------------------------------- STFT

/** Periodic Hann of winLength zero-padded (centred) to nFft: scipy get_window('hann', N, fftbins=True) + pad_center. */
export function hannWindow(nFft: number, winLength = nFft): Float64Array {
  const w = new Float64Array(nFft);
  const lpad = Math.floor((nFft - winLength) / 2);
  for (let n = 0; n < winLength; n++) w[lpad + n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / winLength);
  return w;
}

/** Number of STFT frames librosa makes for `nSamples` samples. */
export function frameCount(nSamples: number, nFft: number, hopLength: number, center = true): number {
  if (center) return 1 + Math.floor(nSamples / hopLength);
  if (nSamples < nFft) throw new RangeError(`stft: signal of ${nSamples} samples is shorter than nFft ${nFft} with center=false`);
  return 1 + Math.floor((nSamples - nFft) / hopLength);
}

// Per-size cache of FFT plans and windows: construction costs more than a short clip's transform.
const fftCache = new Map<number, RealFFT>();
function fftFor(n: number): RealFFT {
  let f = fftCache.get(n);
  if (!f) {
    f = new RealFFT(n);
    fftCache.set(n, f);
  }
  return f;
}
const windowCache = new Map<string, Float64Array>();
function windowFor(nFft: number, winLength: number): Float64Array {
  const key = `${nFft}/${winLength}`;
  let w = windowCache.get(key);
  if (!w) {
    w = hannWindow(nFft, winLength);
    windowCache.set(key, w);
  }
  return w;
}
const filterbankCache = new Map<string, SparseFilterbank>();
function cachedFilterbank(o: Required<MelOptions> & { fmax: number }): SparseFilterbank {
  const key = [o.sr, o.nFft, o.nMels, o.fmin, o.fmax, o.htk, o.norm].join("/");
  let fb = filterbankCache.get(key);
  if (!fb) {
    fb = melFilterbank(o);
    filterbankCache.set(key, fb);
  }
  return fb;
}

/** Use the WebAssembly SIMD paired FFT when available (default); false forces the plain JS FFT. */
let useSimdFft = true;
export function setMelSimd(enabled: boolean): void {
  useSimdFft = enabled;
}
const pairedCache = new Map<number, PairedPowerFFT | null>();
function pairedFor(n: number): PairedPowerFFT | null {
  if (!pairedCache.has(n)) pairedCache.set(n, PairedPowerFFT.create(n));
  return pairedCache.get(n) ?? null;
}

/** Window frame t (center padding = zeros outside the signal) into `frame`. */
function fillFrame(pcm: ArrayLike<number>, start: number, win: Float64Array, frame: Float64Array): void {
  const nFft = frame.length;
  const n = pcm.length;
  if (start >= 0 && start + nFft <= n) {
    for (let i = 0; i < nFft; i++) frame[i] = pcm[start + i] * win[i];
  } else {
    for (let i = 0; i < nFft; i++) {
      const s = start + i;
      frame[i] = s >= 0 && s < n ? pcm[s] * win[i] : 0;
    }
  }
}

/** |X|² → |X|^power in place. */
function applyPower(spectrum: Float64Array, power: number): void {
  if (power === 2) return;
  if (power === 1) {
    for (let k = 0; k < spectrum.length; k++) spectrum[k] = Math.sqrt(spectrum[k]);
  } else {
    const p = power / 2;
    for (let k = 0; k < spectrum.length; k++) spectrum[k] = Math.pow(spectrum[k], p);
  }
}

/**
 * Visit every STFT frame's |X|^power spectrum (nFft/2+1 values, float64, reused buffer) in order.
 * Frame t covers padded samples [t·hop, t·hop + nFft) where padding adds nFft/2 zeros each side (center).
 * Frames go through the WebAssembly paired FFT two at a time when available.
 */
function forEachPowerFrame(
  pcm: ArrayLike<number>,
  o: Required<MelOptions>,
  visit: (t: number, spectrum: Float64Array) => void,
): number {
  const { nFft, hopLength } = o;
  const nFrames = frameCount(pcm.length, nFft, hopLength, o.center);
  const win = windowFor(nFft, o.winLength);
  const pad = o.center ? nFft >> 1 : 0;
  const nBins = Math.floor(nFft / 2) + 1;
  const frameA = new Float64Array(nFft);
  const specA = new Float64Array(nBins);
  const paired = useSimdFft ? pairedFor(nFft) : null;
  if (paired) {
    const frameB = new Float64Array(nFft);
    const specB = new Float64Array(nBins);
    for (let t = 0; t < nFrames; t += 2) {
      fillFrame(pcm, t * hopLength - pad, win, frameA);
      if (t + 1 < nFrames) fillFrame(pcm, (t + 1) * hopLength - pad, win, frameB);
      else frameB.fill(0);
      paired.power(frameA, frameB, specA, specB);
      applyPower(specA, o.power);
      visit(t, specA);
      if (t + 1 < nFrames) {
        applyPower(specB, o.power);
        visit(t + 1, specB);
      }
    }
    return nFrames;
  }
  const fft = fftFor(nFft);
  const re = new Float64Array(nBins);
  const im = new Float64Array(nBins);
  for (let t = 0; t < nFrames; t++) {
    fillFrame(pcm, t * hopLength - pad, win, frameA);
    fft.forward(frameA, re, im);
    for (let k = 0; k < nBins; k++) specA[k] = re[k] * re[k] + im[k] * im[k];
    applyPower(specA, o.power);
    visit(t, specA);
  }
  return nFrames;
}

/** |STFT|^power, float32, row-major `nBins × nFrames` like librosa's `(1 + n_fft/2, frames)` array. */
export function stftPower(pcm: ArrayLike<number>, opts?: Partial<MelOptions>): { data: Float32Array; nBins: number; nFrames: number } {
  const o = resolveOptions(opts);
  const nBins = Math.floor(o.nFft / 2) + 1;
  const nFrames = frameCount(pcm.length, o.nFft, o.hopLength, o.center);
  const data = new Float32Array(nBins * nFrames);
  forEachPowerFrame(pcm, o, (t, spectrum) => {
    for (let k = 0; k < nBins; k++) data[k * nFrames + t] = spectrum[k];
  });
  return { data, nBins, nFrames };
}

const melKernelCache = new Map<string, PairedMelKernel | null>();
function melKernelFor(o: Required<MelOptions> & { fmax: number }, fb: SparseFilterbank): PairedMelKernel | null {
  const key = [o.sr, o.nFft, o.winLength, o.nMels, o.fmin, o.fmax, o.htk, o.norm].join("/");
  if (!melKernelCache.has(key)) melKernelCache.set(key, PairedMelKernel.create(o.nFft, windowFor(o.nFft, o.winLength), fb));
  return melKernelCache.get(key) ?? null;
}

/** librosa.feature.melspectrogram: float32 `nMels × nFrames` (mel power with power 2). */
export function melSpectrogram(pcm: ArrayLike<number>, opts?: Partial<MelOptions>): Spectrogram {
  const o = resolveOptions(opts);
  const fb = cachedFilterbank(o);
  const nFrames = frameCount(pcm.length, o.nFft, o.hopLength, o.center);
  const nMels = o.nMels;
  // Fast path: the whole computation in one WebAssembly call (power 2, the librosa default).
  const kernel = useSimdFft && o.power === 2 ? melKernelFor(o, fb) : null;
  if (kernel) return { data: kernel.run(pcm, o.hopLength, nFrames, o.center ? o.nFft >> 1 : 0), nMels, nFrames };
  const data = new Float32Array(nMels * nFrames);
  const melFrame = new Float64Array(nMels);
  forEachPowerFrame(pcm, o, (t, spectrum) => {
    fb.apply(spectrum, melFrame);
    for (let m = 0; m < nMels; m++) data[m * nFrames + t] = melFrame[m];
  });
  return { data, nMels, nFrames };
}

// ---------------------------------------------------------------- decibels

export interface PowerToDbOptions {
  /** Reference power for 0 dB: "max" = the spectrogram's own maximum (the seed's ref=np.max); a number = fixed. Default "max". */
  ref?: "max" | number;
  /** Floor on power before the log (librosa amin). Default 1e-10. */
  amin?: number;
  /** Clip everything more than topDb below the peak dB; null = no clipping. Default 80. */
  topDb?: number | null;
}

/** librosa.power_to_db: 10·log10(max(amin, S)) − 10·log10(max(amin, ref)), floored at max − topDb. */
export function powerToDb(spec: Spectrogram, opts: PowerToDbOptions = {}): Spectrogram {
  const amin = opts.amin ?? 1e-10;
  const topDb = opts.topDb === undefined ? 80 : opts.topDb;
  const refOpt = opts.ref ?? "max";
  if (!(amin > 0)) throw new RangeError(`powerToDb: amin must be > 0, got ${amin}`);
  if (topDb !== null && !(topDb >= 0)) throw new RangeError(`powerToDb: topDb must be ≥ 0 or null, got ${topDb}`);
  const src = spec.data;
  let ref: number;
  if (refOpt === "max") {
    ref = -Infinity;
    for (let i = 0; i < src.length; i++) if (src[i] > ref) ref = src[i];
    if (src.length === 0) ref = 1;
  } else {
    ref = Math.abs(refOpt);
  }
  const refDb = 10 * Math.log10(Math.max(amin, ref));
  const out = new Float32Array(src.length);
  let peak = -Infinity;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    const db = 10 * Math.log10(v > amin ? v : amin) - refDb;
    out[i] = db;
    if (db > peak) peak = db;
  }
  if (topDb !== null && src.length > 0) {
    const floor = Math.fround(peak - topDb);
    for (let i = 0; i < out.length; i++) if (out[i] < floor) out[i] = floor;
  }
  return { data: out, nMels: spec.nMels, nFrames: spec.nFrames };
}

/** The seed's log-mel: powerToDb(melSpectrogram(pcm, opts), dbOpts) with ref "max", amin 1e-10, topDb 80. */
export function logMelSpectrogram(pcm: ArrayLike<number>, opts?: Partial<MelOptions>, dbOpts?: PowerToDbOptions): Spectrogram {
  return powerToDb(melSpectrogram(pcm, opts), dbOpts);
}
