// Hand-crafted clip features in the spirit of FMA's features.py: meyda's feature definitions computed
// over all frames of a clip at once, summarised with the 7 FMA statistics (stats.ts) → `feature/stat/NN`.
//
// Framing matches our spectrograms and librosa: frame 2048, hop 512, centred (the signal is zero-padded
// by frame/2 on both sides), so a 30 s clip at 22,050 Hz has 1 + ⌊661,500 / 512⌋ = 1,292 frames.
//
// Speed: calling `Meyda.featureExtractors.*` once per frame (after our own FFT) cost ≈ 160–336 ms per
// 30 s clip (≈ 720 ms with Meyda.extract). Now one WebAssembly call per clip (fft.ts PairedAmpKernel:
// meyda's Hann window, the paired SIMD FFT, magnitude, and in float64 the mel / chroma bank sums and
// meyda's Σk^i·a moment sums, over meyda's own banks built once per settings), then one typed-array
// loop per feature. Each keeps meyda's operation order where it decides the result (its sums, its
// rolloff walk, its NaN cases), so the output is bit-identical to the per-frame path on the sample
// clips (tests: against Meyda.featureExtractors frame by frame, and tests/helpers/meyda-reference.ts).
//
// Where meyda differs from librosa (each checked in node_modules/meyda/src, v5.6.3) and what we do:
//  - Window: meyda's "hanning" is the symmetric Hann, 0.5 − 0.5·cos(2πi/(N−1)); librosa uses the
//    periodic one (N in the denominator). We use meyda's.
//  - Spectrum: meyda keeps N/2 bins (drops the Nyquist bin); librosa N/2 + 1.
//  - Mel filter bank (utilities.createMelFilterBank): HTK-like mel scale 1125·ln(1 + f/700) from 0 Hz to
//    Nyquist, triangle edges rounded DOWN to FFT bins (⌊(N+1)·f/sr⌋), peak 1, no Slaney area
//    normalisation; librosa: Slaney scale, exact frequencies, Slaney norm. Bands: `melBands` (40 here).
//  - MFCC: meyda takes ln(melPower + 1) (natural log, +1) and an UNNORMALISED DCT-II with scale 2
//    (the `dct` package); librosa takes 10·log10(max(melPower, 1e-10)) (dB, ref 1, top_db 80) and an
//    orthonormal DCT-II. We convert what is exactly convertible: ×10/ln 10 (→ 10·log10(melPower + 1))
//    and the orthonormal scaling (×√(1/(4K)) for c0, ×√(1/(2K)) otherwise, K = mel bands). The +1 and
//    the filter bank differences remain, so values are close to, not equal to, librosa's.
//  - Spectral centroid / spread: meyda returns BIN units (mean / std of the bin index weighted by the
//    amplitude spectrum). We multiply by sr/N → Hz, like librosa's spectral_centroid / spectral_bandwidth.
//  - Spectral rolloff: meyda uses a fixed 99 % of the summed amplitude (librosa default 85 %) and a bin
//    width of sr/(2·(N/2 − 1)) instead of sr/N; we correct the bin width (×(N/2 − 1)/(N/2)); the 99 %
//    threshold stays (so spectral_rolloff is meyda's 99 % rolloff, in Hz).
//  - Spectral flatness: meyda uses the amplitude spectrum, no floor (a zero bin → 0; a silent frame →
//    NaN, which we set to 0); librosa uses power with amin 1e-10.
//  - Chroma: meyda's filter bank ports librosa.filters.chroma (A440, centre octave 5, width 2, base C),
//    except that its max(binWidth, 1) floor is lost (`Math.max(v − f[i])` with `1` passed as map's
//    thisArg); applied to the AMPLITUDE spectrum (librosa chroma_stft: power), then divided by the
//    frame's maximum (librosa: norm = ∞, the same).
//  - zcr / rms / energy: meyda computes them on the WINDOWED frame and zcr as a count. We pass the raw
//    (unwindowed) frame, and divide zcr by the frame length → crossings per sample, librosa's
//    zero_crossing_rate (whose centring pads with edge values; ours with zeros). rms is then librosa's
//    rms(y=…) (FMA used rms(S=stft), which differs by the window's energy). energy = Σx² of the frame
//    (= N·rms², kept because meyda offers it).
//  - Spectral contrast: meyda has none. We compute librosa's spectral_contrast ourselves from the same
//    magnitude spectrum (N/2 + 1 bins): 6 octave bands from 200 Hz + the band below (7 values),
//    quantile 0.02, dB difference of peak and valley with power_to_db(ref 1, amin 1e-10, top_db 80 over
//    the whole clip) — as librosa, except the window (symmetric Hann here).
//  - FMA's chroma_cqt, chroma_cens and tonnetz have no meyda counterpart and are absent.
import * as meydaModule from "meyda";
import { PairedAmpKernel, ampFramesJs, type AmpFrames, type AmpRow } from "./fft";
import { STATISTICS, featureColumnName, summaryStatistics } from "./stats";

/** The parts of meyda's default export we use (its .d.ts does not declare the filter banks). */
export interface MeydaApi {
  bufferSize: number;
  sampleRate: number;
  melBands: number;
  chromaBands: number;
  numberOfMFCCCoefficients: number;
  windowingFunction: string;
  featureExtractors: Record<string, (args: Record<string, unknown>) => unknown>;
  windowing(signal: Float32Array, windowName?: string): ArrayLike<number>;
  extract(features: string | string[], signal: Float32Array): unknown;
  melFilterBank?: number[][];
  chromaFilterBank?: number[][];
  barkScale?: Float32Array;
}

// meyda's node build is CommonJS without __esModule: with esModuleInterop the namespace import's
// `default` is module.exports, without it the namespace is module.exports itself.
export const Meyda: MeydaApi = ((meydaModule as unknown as { default?: MeydaApi }).default ??
  (meydaModule as unknown as MeydaApi)) as MeydaApi;

export interface ClipFeatureOptions {
  /** Frame (FFT) length, a power of two. Default 2048. */
  frameLength?: number;
  /** Hop between frames. Default 512. */
  hopLength?: number;
  /** Number of MFCCs (meyda allows ≤ 40). Default 20, like FMA. */
  nMfcc?: number;
  /** Mel bands of meyda's filter bank behind the MFCCs. Default 40. */
  melBands?: number;
  /** Chroma bins. Default 12. */
  chromaBands?: number;
  /** Spectral-contrast octave bands above fmin (librosa n_bands). Default 6 → 7 values. */
  contrastBands?: number;
  /** Spectral-contrast lowest band edge in Hz. Default 200. */
  contrastFmin?: number;
  /** Spectral-contrast quantile. Default 0.02. */
  contrastQuantile?: number;
}

export const DEFAULT_CLIP_FEATURE_OPTIONS: Required<ClipFeatureOptions> = {
  frameLength: 2048,
  hopLength: 512,
  nMfcc: 20,
  melBands: 40,
  chromaBands: 12,
  contrastBands: 6,
  contrastFmin: 200,
  contrastQuantile: 0.02,
};

/** One frame-level feature: `dims` rows × `frames` columns, row-major. */
export interface FrameFeature {
  name: string;
  dims: number;
  data: Float32Array;
}

export interface FrameFeatures {
  frames: number;
  sampleRate: number;
  hopLength: number;
  features: FrameFeature[];
}

export interface ClipFeatures {
  /** `feature/statistic/NN`, FMA's features.csv naming. */
  names: string[];
  values: Float32Array;
  frames: number;
}

/** The frame-level features in output order, with their dimensions. */
export function frameFeatureLayout(opts: ClipFeatureOptions = {}): Array<[string, number]> {
  const o = { ...DEFAULT_CLIP_FEATURE_OPTIONS, ...opts };
  return [
    ["chroma", o.chromaBands],
    ["mfcc", o.nMfcc],
    ["rms", 1],
    ["energy", 1],
    ["spectral_bandwidth", 1],
    ["spectral_centroid", 1],
    ["spectral_contrast", o.contrastBands + 1],
    ["spectral_flatness", 1],
    ["spectral_rolloff", 1],
    ["zcr", 1],
  ];
}

/** Column names of clipFeatures' values, in order. */
export function clipFeatureNames(opts: ClipFeatureOptions = {}): string[] {
  const names: string[] = [];
  for (const [feature, dims] of frameFeatureLayout(opts)) {
    for (const stat of STATISTICS) for (let d = 0; d < dims; d++) names.push(featureColumnName(feature, stat, d));
  }
  return names;
}

export interface MeydaBanks {
  window: Float64Array;
  melFilterBank: number[][];
  chromaFilterBank: number[][];
}

const bankCache = new Map<string, MeydaBanks>();

/** meyda's Hann window and filter banks for these settings, built by meyda itself (and cached). */
export function meydaBanks(sampleRate: number, frameLength: number, melBands: number, chromaBands: number): MeydaBanks {
  const key = `${sampleRate}/${frameLength}/${melBands}/${chromaBands}`;
  const hit = bankCache.get(key);
  if (hit) return hit;
  // Meyda is a global singleton: set what extract() reads, force its banks to be rebuilt (it only
  // checks the band counts, not the sample rate), then restore the caller's settings.
  const saved = {
    bufferSize: Meyda.bufferSize,
    sampleRate: Meyda.sampleRate,
    melBands: Meyda.melBands,
    chromaBands: Meyda.chromaBands,
    windowingFunction: Meyda.windowingFunction,
  };
  try {
    Meyda.bufferSize = frameLength;
    Meyda.sampleRate = sampleRate;
    Meyda.melBands = melBands;
    Meyda.chromaBands = chromaBands;
    Meyda.windowingFunction = "hanning";
    Meyda.melFilterBank = undefined;
    Meyda.chromaFilterBank = undefined;
    Meyda.barkScale = undefined;
    Meyda.extract("rms", new Float32Array(frameLength));
    if (!Meyda.melFilterBank || !Meyda.chromaFilterBank) throw new Error("meyda did not build its filter banks");
    const window = Float64Array.from(Meyda.windowing(new Float32Array(frameLength).fill(1), "hanning"));
    const banks: MeydaBanks = { window, melFilterBank: Meyda.melFilterBank, chromaFilterBank: Meyda.chromaFilterBank };
    bankCache.set(key, banks);
    return banks;
  } finally {
    Object.assign(Meyda, saved);
  }
}

/**
 * Per-frame features of a mono clip (see the header for each feature's definition and units).
 * Frames are centred: frame t covers samples [t·hop − N/2, t·hop + N/2), zero outside the clip.
 */
export function frameFeatures(pcm: Float32Array, sampleRate: number, opts: ClipFeatureOptions = {}): FrameFeatures {
  const o = { ...DEFAULT_CLIP_FEATURE_OPTIONS, ...opts };
  const N = o.frameLength;
  if ((N & (N - 1)) !== 0 || N < 16) throw new RangeError(`frameLength must be a power of two ≥ 16, got ${N}`);
  if (o.nMfcc > 40 || o.nMfcc > o.melBands) throw new RangeError(`nMfcc must be ≤ 40 and ≤ melBands, got ${o.nMfcc}`);
  if (o.contrastFmin * 2 ** (o.contrastBands - 1) >= sampleRate / 2) {
    throw new RangeError(`spectral contrast: band edges exceed Nyquist (fmin ${o.contrastFmin}, ${o.contrastBands} bands, sr ${sampleRate})`);
  }
  const hop = o.hopLength;
  const nFrames = 1 + Math.floor(pcm.length / hop);
  const plan = meydaFramePlan(sampleRate, N, o.melBands, o.chromaBands, o.nMfcc);
  const layout = frameFeatureLayout(o);
  const data: Record<string, Float32Array> = {};
  for (const [name, dims] of layout) data[name] = new Float32Array(dims * nFrames);

  // One pass over the clip: magnitude spectra + the bank/moment row sums (WebAssembly when available).
  const spectra = plan.kernel ? plan.kernel.run(pcm, hop, nFrames, N / 2) : ampFramesJs(N, plan.window, plan.rows, pcm, hop, nFrames, N / 2);
  mfccFrames(spectra.rows, plan, nFrames, data.mfcc);
  chromaFrames(spectra.rows, plan, nFrames, data.chroma);
  momentFrames(spectra.rows, plan, nFrames, sampleRate / N, data.spectral_centroid, data.spectral_bandwidth);
  rolloffFlatnessFrames(spectra, plan, nFrames, sampleRate, data.spectral_rolloff, data.spectral_flatness);
  signalFrames(pcm, N, hop, nFrames, data.zcr, data.rms, data.energy);
  contrastFrames(spectra.magnitude, N, sampleRate, o, nFrames, data.spectral_contrast);

  return {
    frames: nFrames,
    sampleRate,
    hopLength: hop,
    features: layout.map(([name, dims]) => ({ name, dims, data: data[name] })),
  };
}

/** What frameFeatures needs per (sample rate, frame length, bands, nMfcc): built once, then cached. */
interface MeydaFramePlan {
  window: Float64Array;
  /** Rows over the amplitude spectrum a (N/2 bins): mel (on a²), chroma, then Σa, Σk·a, Σk²·a. */
  rows: AmpRow[];
  kernel: PairedAmpKernel | null;
  nMel: number;
  nChroma: number;
  nMfcc: number;
  /** nMfcc × nMel: orthonormal DCT-II with the ×10/ln 10 of 10·log10 folded in. */
  dct: Float64Array;
}

const planCache = new Map<string, MeydaFramePlan>();

function meydaFramePlan(sampleRate: number, N: number, melBands: number, chromaBands: number, nMfcc: number): MeydaFramePlan {
  const key = `${sampleRate}/${N}/${melBands}/${chromaBands}/${nMfcc}`;
  const hit = planCache.get(key);
  if (hit) return hit;
  const banks = meydaBanks(sampleRate, N, melBands, chromaBands);
  const half = N / 2;
  const rows: AmpRow[] = [];
  for (const row of banks.melFilterBank) rows.push({ ...nonZeroSpan(row, half), squared: true });
  // Chroma rows are dense (Gaussians over all bins): summed over every bin in bin order, as meyda's reduce.
  for (const row of banks.chromaFilterBank) rows.push({ start: 0, weights: Float64Array.from(row.slice(0, half)), squared: false });
  // meyda's mu(i) sums: Σ k^i·a for i = 0, 1, 2 (Math.pow as meyda, exact for these integers).
  for (const power of [0, 1, 2]) rows.push({ start: 0, weights: Float64Array.from({ length: half }, (_, k) => Math.pow(k, power)), squared: false });
  rows.push({ start: 0, weights: new Float64Array(half), squared: false }); // pads the moments to a group of 4 (the kernel's fast path)
  const nMel = banks.melFilterBank.length;
  const plan: MeydaFramePlan = {
    window: banks.window,
    rows,
    kernel: PairedAmpKernel.create(N, banks.window, rows),
    nMel,
    nChroma: banks.chromaFilterBank.length,
    nMfcc,
    dct: mfccDctTable(nMfcc, nMel),
  };
  planCache.set(key, plan);
  return plan;
}

/** The span of a filter-bank row's non-zero weights among the first `bins` (zeros add nothing to a sum). */
function nonZeroSpan(row: number[], bins: number): { start: number; weights: Float64Array } {
  let first = -1;
  let last = -1;
  for (let j = 0; j < bins; j++) {
    if (row[j] !== 0) {
      if (first < 0) first = j;
      last = j;
    }
  }
  return first < 0 ? { start: 0, weights: new Float64Array(0) } : { start: first, weights: Float64Array.from(row.slice(first, last + 1)) };
}

function mfccDctTable(nMfcc: number, K: number): Float64Array {
  const toDb = 10 / Math.LN10;
  const table = new Float64Array(nMfcc * K);
  for (let d = 0; d < nMfcc; d++) {
    const norm = d === 0 ? Math.sqrt(1 / K) : Math.sqrt(2 / K);
    for (let k = 0; k < K; k++) table[d * K + k] = toDb * norm * Math.cos((Math.PI / K) * (k + 0.5) * d);
  }
  return table;
}

/** mfcc[d] = DCT of ln(melPower + 1) (meyda's log), with our dB and orthonormal scaling in the table. */
function mfccFrames(rows: Float64Array, plan: MeydaFramePlan, nFrames: number, out: Float32Array): void {
  const { nMel: K, nMfcc, dct } = plan;
  const nRows = plan.rows.length;
  const logMel = new Float64Array(K);
  for (let t = 0; t < nFrames; t++) {
    const base = t * nRows;
    for (let i = 0; i < K; i++) logMel[i] = Math.log(rows[base + i] + 1);
    for (let d = 0; d < nMfcc; d++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += dct[d * K + k] * logMel[k];
      out[d * nFrames + t] = acc;
    }
  }
}

/** meyda's chroma: bank sums divided by the frame's largest (left as they are when that is 0). */
function chromaFrames(rows: Float64Array, plan: MeydaFramePlan, nFrames: number, out: Float32Array): void {
  const nRows = plan.rows.length;
  const C = plan.nChroma;
  for (let t = 0; t < nFrames; t++) {
    const base = t * nRows + plan.nMel;
    let max = 0;
    for (let c = 0; c < C; c++) if (rows[base + c] > max) max = rows[base + c];
    for (let c = 0; c < C; c++) out[c * nFrames + t] = max ? rows[base + c] / max : rows[base + c];
  }
}

const finite = (x: number): number => (Number.isFinite(x) ? x : 0);

/** meyda's spectralCentroid = mu(1) and spectralSpread = √(mu(2) − mu(1)²), in bins → × hzPerBin. */
function momentFrames(rows: Float64Array, plan: MeydaFramePlan, nFrames: number, hzPerBin: number, centroid: Float32Array, spread: Float32Array): void {
  const nRows = plan.rows.length;
  const m = plan.nMel + plan.nChroma;
  for (let t = 0; t < nFrames; t++) {
    const base = t * nRows + m;
    const sum = rows[base];
    const mu1 = rows[base + 1] / sum;
    const mu2 = rows[base + 2] / sum;
    centroid[t] = finite(mu1) * hzPerBin;
    spread[t] = finite(Math.sqrt(mu2 - Math.pow(mu1, 2))) * hzPerBin;
  }
}

/**
 * meyda's spectralRolloff (99 %, from the top bin down, on the float32 amplitude) with our bin-width fix,
 * and spectralFlatness = exp(mean ln a)·n / Σa (silence: NaN → 0). Σ ln a is taken as ln of a running
 * product, flushed into the sum whenever it leaves [1e-200, 1e200] (one float32 factor cannot push it
 * out of float64's range): a handful of logs per frame instead of N/2, ≈1e-13 relative error; a zero
 * bin still gives ln 0 = −∞ → flatness 0 as in meyda.
 */
function rolloffFlatnessFrames(spectra: AmpFrames, plan: MeydaFramePlan, nFrames: number, sampleRate: number, rolloff: Float32Array, flatness: Float32Array): void {
  const { magnitude, rows } = spectra;
  const half = plan.window.length / 2;
  const nRows = plan.rows.length;
  const sumRow = plan.nMel + plan.nChroma;
  const nyqBin = sampleRate / (2 * (half - 1));
  const rolloffBinFix = (half - 1) / half;
  const f = Math.fround;
  for (let t = 0; t < nFrames; t++) {
    const at = t * (half + 1);
    const sum = rows[t * nRows + sumRow];
    let ec = sum;
    const threshold = 0.99 * ec;
    let n = half - 1;
    while (ec > threshold && n >= 0) {
      ec -= f(magnitude[at + n]);
      --n;
    }
    rolloff[t] = finite((n + 1) * nyqBin) * rolloffBinFix;
    let logSum = 0;
    let product = 1;
    for (let k = at; k < at + half; k++) {
      product *= f(magnitude[k]);
      if (product < 1e-200 || product > 1e200) {
        logSum += Math.log(product);
        product = 1;
      }
    }
    logSum += Math.log(product);
    flatness[t] = finite((Math.exp(logSum / half) * half) / sum);
  }
}

/**
 * zcr (crossings per sample), rms and energy of the raw centred frames, as meyda's zcr / rms / energy
 * on each frame, from one pass over blocks of gcd(N, hop) samples: each block's Σx², its crossings
 * inside, and the crossing at its left edge; a frame sums its blocks (and the edges between them).
 */
function signalFrames(pcm: Float32Array, N: number, hop: number, nFrames: number, zcr: Float32Array, rms: Float32Array, energy: Float32Array): void {
  const length = (nFrames - 1) * hop + N;
  const x = new Float32Array(length); // the centred (zero-padded) signal
  x.set(pcm.subarray(0, length - N / 2), N / 2);
  let block = N; // gcd(N, hop): every frame is a whole number of blocks
  for (let r = hop; r !== 0; ) {
    const next = block % r;
    block = r;
    r = next;
  }
  const nBlocks = length / block;
  const squares = new Float64Array(nBlocks);
  const inside = new Int32Array(nBlocks);
  const leftEdge = new Int32Array(nBlocks); // crossing between the block's first sample and the one before
  for (let b = 0; b < nBlocks; b++) {
    const from = b * block;
    let acc = x[from] * x[from];
    let count = 0;
    for (let i = from + 1; i < from + block; i++) {
      const p = x[i - 1];
      const v = x[i];
      acc += v * v;
      // meyda's (p ≥ 0 && v < 0) || (p < 0 && v ≥ 0), without branches (signs of audio are unpredictable)
      count += (+(p >= 0) & +(v < 0)) | (+(p < 0) & +(v >= 0));
    }
    squares[b] = acc;
    inside[b] = count;
    if (b > 0) leftEdge[b] = (+(x[from - 1] >= 0) & +(x[from] < 0)) | (+(x[from - 1] < 0) & +(x[from] >= 0));
  }
  const perFrame = N / block;
  for (let t = 0; t < nFrames; t++) {
    const first = (t * hop) / block;
    let e = 0;
    let crossings = inside[first];
    for (let b = first; b < first + perFrame; b++) e += squares[b];
    for (let b = first + 1; b < first + perFrame; b++) crossings += inside[b] + leftEdge[b];
    zcr[t] = crossings / N;
    energy[t] = e;
    rms[t] = Math.sqrt(e / N);
  }
}

/** librosa's spectral contrast of every frame's magnitude (N/2 + 1 bins). */
function contrastFrames(magnitude: Float64Array, N: number, sampleRate: number, o: Required<ClipFeatureOptions>, nFrames: number, out: Float32Array): void {
  const contrast = new SpectralContrast(sampleRate, N, o.contrastFmin, o.contrastBands, o.contrastQuantile);
  const peakDb = new Float64Array((o.contrastBands + 1) * nFrames);
  const valleyDb = new Float64Array((o.contrastBands + 1) * nFrames);
  for (let t = 0; t < nFrames; t++) contrast.peakValleyDb(magnitude, t * (N / 2 + 1), peakDb, valleyDb, t, nFrames);
  contrast.finish(peakDb, valleyDb, out);
}

/** Per-frame features summarised with the 7 FMA statistics → one row of features.csv. */
export function clipFeatures(pcm: Float32Array, sampleRate: number, opts: ClipFeatureOptions = {}): ClipFeatures {
  return summariseFrameFeatures(frameFeatures(pcm, sampleRate, opts), opts);
}

/** The 7 FMA statistics of each frame-level feature (clipFeatures' second half). */
export function summariseFrameFeatures(ff: FrameFeatures, opts: ClipFeatureOptions = {}): ClipFeatures {
  const names = clipFeatureNames(opts);
  const values = new Float32Array(names.length);
  const scratch = new Float64Array(ff.frames);
  let col = 0;
  for (const f of ff.features) {
    const stats = [];
    for (let d = 0; d < f.dims; d++) stats.push(summaryStatistics(f.data, d * ff.frames, ff.frames, 1, scratch));
    for (const stat of STATISTICS) {
      // Constant rows (e.g. silence) have NaN skew/kurtosis in scipy; a classifier needs numbers: 0.
      for (let d = 0; d < f.dims; d++) values[col++] = finiteOrZero(stats[d][stat]);
    }
  }
  return { names, values, frames: ff.frames };
}

function finiteOrZero(x: number): number {
  return Number.isFinite(x) ? x : 0;
}

/** librosa.feature.spectral_contrast on one magnitude frame at a time (see header). */
export class SpectralContrast {
  private readonly bands: Array<{ start: number; end: number; alpha: number }> = [];
  private readonly low: Float64Array;
  private readonly high: Float64Array;
  constructor(sampleRate: number, nFft: number, fmin: number, nBands: number, quantile: number) {
    const nBins = nFft / 2 + 1;
    const freq = (k: number): number => (k * sampleRate) / nFft;
    const octa = [0];
    for (let k = 0; k <= nBands; k++) octa.push(fmin * 2 ** k);
    for (let k = 0; k <= nBands; k++) {
      const lo = octa[k];
      const hi = octa[k + 1];
      // Bins with lo ≤ f ≤ hi; bands above the first also take the bin just below; the last band runs
      // to Nyquist; every band but the last drops its top bin from the sort (librosa's sub_band[:-1]).
      let first = -1;
      let last = -1;
      for (let i = 0; i < nBins; i++) {
        if (freq(i) >= lo && freq(i) <= hi) {
          if (first < 0) first = i;
          last = i;
        }
      }
      if (first < 0) throw new RangeError(`spectral contrast: band ${k} (${lo}–${hi} Hz) has no FFT bin`);
      if (k > 0) first -= 1;
      if (k === nBands) last = nBins - 1;
      const count = last - first + 1;
      const alpha = Math.max(1, Math.round(quantile * count));
      const end = k < nBands ? last : last + 1; // exclusive
      if (end - first < alpha) throw new RangeError(`spectral contrast: band ${k} (${lo}–${hi} Hz) has fewer than ${alpha} bins`);
      this.bands.push({ start: first, end, alpha });
    }
    const maxAlpha = Math.max(...this.bands.map((x) => x.alpha));
    this.low = new Float64Array(maxAlpha);
    this.high = new Float64Array(maxAlpha);
  }

  get bandCount(): number {
    return this.bands.length;
  }

  /** Peak and valley dB of the frame at magnitude[offset …] into column t of two bands × nFrames matrices. */
  peakValleyDb(magnitude: Float64Array, offset: number, peakDb: Float64Array, valleyDb: Float64Array, t: number, nFrames: number): void {
    // Mean of the alpha smallest / largest bins of each band. alpha is small (1…≈10 at 2048/22,050 Hz),
    // so two insertion-sorted buffers of length alpha beat sorting the band (≈ 4× faster overall).
    const low = this.low;
    const high = this.high;
    for (let b = 0; b < this.bands.length; b++) {
      const { start, end, alpha } = this.bands[b];
      // Fill both buffers with the first alpha bins (low ascending, high descending)…
      for (let filled = 0; filled < alpha; filled++) {
        const v = magnitude[offset + start + filled];
        let j = filled;
        while (j > 0 && low[j - 1] > v) {
          low[j] = low[j - 1];
          j--;
        }
        low[j] = v;
        j = filled;
        while (j > 0 && high[j - 1] < v) {
          high[j] = high[j - 1];
          j--;
        }
        high[j] = v;
      }
      // …then most bins only meet the two thresholds (kept in locals).
      let lowTop = low[alpha - 1];
      let highTop = high[alpha - 1];
      for (let i = offset + start + alpha; i < offset + end; i++) {
        const v = magnitude[i];
        if (v < lowTop) {
          let j = alpha - 1;
          while (j > 0 && low[j - 1] > v) {
            low[j] = low[j - 1];
            j--;
          }
          low[j] = v;
          lowTop = low[alpha - 1];
        }
        if (v > highTop) {
          let j = alpha - 1;
          while (j > 0 && high[j - 1] < v) {
            high[j] = high[j - 1];
            j--;
          }
          high[j] = v;
          highTop = high[alpha - 1];
        }
      }
      let lo = 0;
      let hi = 0;
      for (let i = 0; i < alpha; i++) {
        lo += low[i];
        hi += high[i];
      }
      peakDb[b * nFrames + t] = 10 * Math.log10(Math.max(1e-10, hi / alpha));
      valleyDb[b * nFrames + t] = 10 * Math.log10(Math.max(1e-10, lo / alpha));
    }
  }

  /** Reference implementation (full sort, as librosa), for tests. */
  peakValleyDbBySorting(magnitude: Float64Array, band: number): [number, number] {
    const { start, end, alpha } = this.bands[band];
    const s = Float64Array.from(magnitude.subarray(start, end)).sort();
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < alpha; i++) {
      lo += s[i];
      hi += s[s.length - 1 - i];
    }
    return [10 * Math.log10(Math.max(1e-10, hi / alpha)), 10 * Math.log10(Math.max(1e-10, lo / alpha))];
  }

  /** Apply power_to_db's top_db = 80 over the whole clip to peak and valley, write their difference. */
  finish(peakDb: Float64Array, valleyDb: Float64Array, out: Float32Array): void {
    const clamp = (a: Float64Array): void => {
      let max = -Infinity;
      for (let i = 0; i < a.length; i++) if (a[i] > max) max = a[i];
      const floor = max - 80;
      for (let i = 0; i < a.length; i++) if (a[i] < floor) a[i] = floor;
    };
    clamp(peakDb);
    clamp(valleyDb);
    for (let i = 0; i < out.length; i++) out[i] = peakDb[i] - valleyDb[i];
  }
}
