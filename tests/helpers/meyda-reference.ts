// The per-frame meyda feature path that src/features/meyda.ts used before it was vectorised (kept
// verbatim, as the reference the vectorised frameFeatures / clipFeatures are tested against).
import { RealFFT } from "../../src/features/fft";
import {
  DEFAULT_CLIP_FEATURE_OPTIONS,
  Meyda,
  SpectralContrast,
  frameFeatureLayout,
  meydaBanks,
  type ClipFeatureOptions,
  type FrameFeatures,
} from "../../src/features/meyda";

/**
 * The per-frame path that src/features/meyda.ts used before it was vectorised: its own FFT per frame,
 * then `Meyda.featureExtractors` (and FastMeydaBanks below) once per frame. Same output layout as
 * frameFeatures.
 * Frames are centred: frame t covers samples [t·hop − N/2, t·hop + N/2), zero outside the clip.
 */
export function meydaFeaturesPerFrameReference(pcm: Float32Array, sampleRate: number, opts: ClipFeatureOptions = {}): FrameFeatures {
  const o = { ...DEFAULT_CLIP_FEATURE_OPTIONS, ...opts };
  const N = o.frameLength;
  if ((N & (N - 1)) !== 0 || N < 16) throw new RangeError(`frameLength must be a power of two ≥ 16, got ${N}`);
  if (o.nMfcc > 40 || o.nMfcc > o.melBands) throw new RangeError(`nMfcc must be ≤ 40 and ≤ melBands, got ${o.nMfcc}`);
  if (o.contrastFmin * 2 ** (o.contrastBands - 1) >= sampleRate / 2) {
    throw new RangeError(`spectral contrast: band edges exceed Nyquist (fmin ${o.contrastFmin}, ${o.contrastBands} bands, sr ${sampleRate})`);
  }
  const half = N / 2;
  const hop = o.hopLength;
  const nFrames = 1 + Math.floor(pcm.length / hop);
  const padded = new Float32Array(pcm.length + N);
  padded.set(pcm, half);

  const { window, melFilterBank, chromaFilterBank } = meydaBanks(sampleRate, N, o.melBands, o.chromaBands);
  const ex = Meyda.featureExtractors;
  const fft = new RealFFT(N);
  const windowed = new Float64Array(N);
  const re = new Float64Array(half + 1);
  const im = new Float64Array(half + 1);
  const amp = new Float32Array(half); // meyda's convention: N/2 bins
  const magnitude = new Float64Array(half + 1); // librosa's: N/2 + 1 bins (contrast)

  const layout = frameFeatureLayout(o);
  const data: Record<string, Float32Array> = {};
  for (const [name, dims] of layout) data[name] = new Float32Array(dims * nFrames);
  const contrast = new SpectralContrast(sampleRate, N, o.contrastFmin, o.contrastBands, o.contrastQuantile);
  const peakDb = new Float64Array((o.contrastBands + 1) * nFrames);
  const valleyDb = new Float64Array((o.contrastBands + 1) * nFrames);

  const hzPerBin = sampleRate / N;
  const rolloffBinFix = (half - 1) / half;
  const fast = new FastMeydaBanks(melFilterBank, chromaFilterBank, N, o.nMfcc);
  const finite = (x: number): number => (Number.isFinite(x) ? x : 0);

  for (let t = 0; t < nFrames; t++) {
    const frame = padded.subarray(t * hop, t * hop + N);
    for (let i = 0; i < N; i++) windowed[i] = frame[i] * window[i];
    fft.forward(windowed, re, im);
    for (let k = 0; k <= half; k++) magnitude[k] = Math.sqrt(re[k] * re[k] + im[k] * im[k]);
    for (let k = 0; k < half; k++) amp[k] = magnitude[k];

    // MFCC and chroma: meyda's definitions on meyda's filter banks, computed by FastMeydaBanks
    // (meyda's own extractors allocate per filter per frame: ≈ 370 + 150 ms per clip); the unit tests
    // check they equal Meyda.featureExtractors.mfcc / chroma.
    fast.mfccInto(amp, data.mfcc, t, nFrames);
    fast.chromaInto(amp, data.chroma, t, nFrames);
    data.spectral_centroid[t] = finite(ex.spectralCentroid({ ampSpectrum: amp }) as number) * hzPerBin;
    data.spectral_bandwidth[t] = finite(ex.spectralSpread({ ampSpectrum: amp }) as number) * hzPerBin;
    data.spectral_rolloff[t] = finite(ex.spectralRolloff({ ampSpectrum: amp, sampleRate }) as number) * rolloffBinFix;
    data.spectral_flatness[t] = finite(ex.spectralFlatness({ ampSpectrum: amp }) as number);
    data.zcr[t] = (ex.zcr({ signal: frame }) as number) / N;
    data.rms[t] = ex.rms({ signal: frame }) as number;
    data.energy[t] = ex.energy({ signal: frame }) as number;
    contrast.peakValleyDb(magnitude, 0, peakDb, valleyDb, t, nFrames);
  }
  contrast.finish(peakDb, valleyDb, data.spectral_contrast);

  return {
    frames: nFrames,
    sampleRate,
    hopLength: hop,
    features: layout.map(([name, dims]) => ({ name, dims, data: data[name] })),
  };
}

/**
 * meyda's mel-band → MFCC and chroma computations with the same filter banks, on typed arrays without
 * per-frame allocation, and with our unit conversions (see header) folded in:
 *   mfcc[d] = orthonormal DCT-II of 10·log10(Σ_j mel[i][j]·amp[j]² + 1), j < N/2   (meyda: ln, DCT×2)
 *   chroma[c] = Σ_j chroma[c][j]·amp[j] / max_c(…)                                  (meyda's exactly)
 */
class FastMeydaBanks {
  private readonly melStart: Int32Array;
  private readonly melWeights: Float64Array[];
  private readonly dctTable: Float64Array;
  private readonly chromaWeights: Float64Array;
  private readonly logMel: Float64Array;
  private readonly chromaOut: Float64Array;
  readonly nMel: number;
  readonly nChroma: number;
  constructor(melFilterBank: number[][], chromaFilterBank: number[][], frameLength: number, readonly nMfcc: number) {
    const bins = frameLength / 2;
    this.nMel = melFilterBank.length;
    this.melStart = new Int32Array(this.nMel);
    this.melWeights = [];
    for (let i = 0; i < this.nMel; i++) {
      const row = melFilterBank[i];
      let first = -1;
      let last = -1;
      for (let j = 0; j < bins; j++) {
        if (row[j] !== 0) {
          if (first < 0) first = j;
          last = j;
        }
      }
      this.melStart[i] = Math.max(0, first);
      this.melWeights.push(first < 0 ? new Float64Array(0) : Float64Array.from(row.slice(first, last + 1)));
    }
    const K = this.nMel;
    const toDb = 10 / Math.LN10;
    this.dctTable = new Float64Array(nMfcc * K);
    for (let d = 0; d < nMfcc; d++) {
      const norm = d === 0 ? Math.sqrt(1 / K) : Math.sqrt(2 / K);
      for (let k = 0; k < K; k++) this.dctTable[d * K + k] = toDb * norm * Math.cos((Math.PI / K) * (k + 0.5) * d);
    }
    this.nChroma = chromaFilterBank.length;
    this.chromaWeights = new Float64Array(this.nChroma * bins);
    for (let c = 0; c < this.nChroma; c++) {
      for (let j = 0; j < bins; j++) this.chromaWeights[c * bins + j] = chromaFilterBank[c][j];
    }
    this.logMel = new Float64Array(K);
    this.chromaOut = new Float64Array(this.nChroma);
  }

  /** MFCCs of one amplitude spectrum (N/2 bins) into column t of a nMfcc × nFrames matrix. */
  mfccInto(amp: ArrayLike<number>, out: Float32Array, t: number, nFrames: number): void {
    const K = this.nMel;
    for (let i = 0; i < K; i++) {
      const w = this.melWeights[i];
      const s = this.melStart[i];
      let sum = 0;
      for (let j = 0; j < w.length; j++) {
        const a = amp[s + j];
        sum += w[j] * a * a;
      }
      this.logMel[i] = Math.log(sum + 1);
    }
    for (let d = 0; d < this.nMfcc; d++) {
      let acc = 0;
      const base = d * K;
      for (let k = 0; k < K; k++) acc += this.dctTable[base + k] * this.logMel[k];
      out[d * nFrames + t] = acc;
    }
  }

  /** Chroma of one amplitude spectrum into column t of a nChroma × nFrames matrix (all 0 if silent). */
  chromaInto(amp: ArrayLike<number>, out: Float32Array, t: number, nFrames: number): void {
    const bins = amp.length;
    let max = 0;
    for (let c = 0; c < this.nChroma; c++) {
      let acc = 0;
      const base = c * bins;
      for (let j = 0; j < bins; j++) acc += this.chromaWeights[base + j] * amp[j];
      this.chromaOut[c] = acc;
      if (acc > max) max = acc;
    }
    for (let c = 0; c < this.nChroma; c++) out[c * nFrames + t] = max ? this.chromaOut[c] / max : this.chromaOut[c];
  }
}

