// "Listen to what the model used": a saliency map over (mel band × frame) becomes a soft time–frequency
// mask on the clip's complex STFT, and the inverse STFT turns the masked spectrum back into audio. The STFT
// matches the log-mel front end (periodic Hann, librosa's centred frames with zero padding), so frame t of
// the saliency map is frame t of the STFT. The inverse is librosa.istft's weighted overlap-add divided by
// the summed squared window. Notebooks play the result with audioElementHtml (a WAV data URI).
import { DEFAULT_MEL_OPTIONS, frameCount, hannWindow, melFilterbank, type MelOptions } from "../features/melspec";
import { RealFFT } from "../features/fft";
import { resizeMapBilinear } from "./saliency";

// ------------------------------------------------------------------ STFT / ISTFT

export interface ComplexSpectrogram {
  /** Real and imaginary parts, row-major nBins × nFrames (librosa's layout). */
  re: Float32Array;
  im: Float32Array;
  nBins: number;
  nFrames: number;
}

export type StftOptions = Pick<MelOptions, "nFft" | "hopLength"> & { winLength?: number };

function stftOptions(opts?: Partial<StftOptions>): { nFft: number; hopLength: number; winLength: number } {
  const nFft = opts?.nFft ?? DEFAULT_MEL_OPTIONS.nFft;
  const hopLength = opts?.hopLength ?? DEFAULT_MEL_OPTIONS.hopLength;
  const winLength = opts?.winLength ?? nFft;
  if (!Number.isInteger(hopLength) || hopLength < 1) throw new RangeError(`stft: hopLength must be a positive integer, got ${hopLength}`);
  if (!Number.isInteger(nFft) || nFft < 2 || nFft % 2 !== 0) throw new RangeError(`stft: nFft must be an even integer ≥ 2, got ${nFft}`);
  return { nFft, hopLength, winLength };
}

/** Complex STFT as librosa.stft(y, n_fft, hop_length, center=True, pad_mode="constant"), float64 inside. */
export function stftComplex(pcm: ArrayLike<number>, opts?: Partial<StftOptions>): ComplexSpectrogram {
  const { nFft, hopLength, winLength } = stftOptions(opts);
  const nBins = nFft / 2 + 1;
  const nFrames = frameCount(pcm.length, nFft, hopLength, true);
  const win = hannWindow(nFft, winLength);
  const re = new Float32Array(nBins * nFrames);
  const im = new Float32Array(nBins * nFrames);
  const fft = new RealFFT(nFft);
  const frame = new Float64Array(nFft);
  const fr = new Float64Array(nBins);
  const fi = new Float64Array(nBins);
  const pad = nFft >> 1;
  for (let t = 0; t < nFrames; t++) {
    const start = t * hopLength - pad;
    for (let i = 0; i < nFft; i++) {
      const s = start + i;
      frame[i] = s >= 0 && s < pcm.length ? pcm[s] * win[i] : 0;
    }
    fft.forward(frame, fr, fi);
    for (let k = 0; k < nBins; k++) {
      re[k * nFrames + t] = fr[k];
      im[k * nFrames + t] = fi[k];
    }
  }
  return { re, im, nBins, nFrames };
}

/**
 * Inverse STFT (librosa.istft, center=True): inverse FFT of each frame, times the window, overlap-added,
 * divided by the overlap-added squared window where that is not tiny, centre padding removed. `length`
 * trims/zero-pads the output (default nFft/2 … as librosa: hop·(frames − 1)).
 */
export function istft(spec: ComplexSpectrogram, opts?: Partial<StftOptions> & { length?: number }): Float32Array {
  const { nFft, hopLength, winLength } = stftOptions(opts);
  if (spec.nBins !== nFft / 2 + 1) throw new RangeError(`istft: ${spec.nBins} bins do not match nFft ${nFft}`);
  const { nFrames } = spec;
  const win = hannWindow(nFft, winLength);
  const full = nFft + hopLength * (nFrames - 1);
  const y = new Float64Array(full);
  const wss = new Float64Array(full);
  const nBins = spec.nBins;
  const fft = new RealFFT(nFft);
  const br = new Float64Array(nBins);
  const bi = new Float64Array(nBins);
  const fr = new Float64Array(nFft);
  for (let t = 0; t < nFrames; t++) {
    // Hermitian spectrum → real frame (RealFFT.inverse ignores the imaginary parts of DC and Nyquist).
    for (let k = 0; k < nBins; k++) {
      br[k] = spec.re[k * nFrames + t];
      bi[k] = spec.im[k * nFrames + t];
    }
    fft.inverse(br, bi, fr);
    const offset = t * hopLength;
    for (let i = 0; i < nFft; i++) {
      y[offset + i] += (fr[i] / nFft) * win[i];
      wss[offset + i] += win[i] * win[i];
    }
  }
  const tiny = 1.1754943508222875e-38; // float32 tiny, librosa's util.tiny for float32 input
  for (let i = 0; i < full; i++) if (wss[i] > tiny) y[i] /= wss[i];
  const start = nFft >> 1;
  const length = opts?.length ?? full - nFft;
  const out = new Float32Array(length);
  for (let i = 0; i < length && start + i < full; i++) out[i] = y[start + i];
  return out;
}

// ------------------------------------------------------------------ mel mask → linear mask

/** A map over mel bands × frames (row 0 = lowest band), e.g. a saliency map of a log-mel crop. */
export interface MelMap {
  data: ArrayLike<number>;
  nMels: number;
  nFrames: number;
}

/**
 * Map a mel-domain mask to the linear-frequency bins through the filterbank's transpose, normalised:
 * bin k gets Σ_m W[m][k]·mask[m] / Σ_m W[m][k] (the weighted mean of the bands covering it). Bins no
 * filter covers (DC, above fmax) take the nearest covered bin's value. Returns nBins × nFrames.
 */
export function melMaskToLinear(mask: MelMap, opts?: Partial<MelOptions>): { data: Float32Array; nBins: number; nFrames: number } {
  const fb = melFilterbank({ ...opts, nMels: mask.nMels });
  const { nBins } = fb;
  const { nFrames } = mask;
  const weightSum = new Float64Array(nBins);
  for (let m = 0; m < fb.nMels; m++) {
    for (let j = 0; j < fb.lengths[m]; j++) weightSum[fb.starts[m] + j] += fb.weights[fb.offsets[m] + j];
  }
  const acc = new Float64Array(nBins * nFrames);
  for (let m = 0; m < fb.nMels; m++) {
    for (let j = 0; j < fb.lengths[m]; j++) {
      const k = fb.starts[m] + j;
      const w = fb.weights[fb.offsets[m] + j];
      for (let t = 0; t < nFrames; t++) acc[k * nFrames + t] += w * mask.data[m * nFrames + t];
    }
  }
  // Nearest covered bin for uncovered ones.
  const covered: number[] = [];
  for (let k = 0; k < nBins; k++) if (weightSum[k] > 0) covered.push(k);
  if (covered.length === 0) throw new Error("melMaskToLinear: the filterbank covers no FFT bin");
  const out = new Float32Array(nBins * nFrames);
  let c = 0;
  for (let k = 0; k < nBins; k++) {
    while (c + 1 < covered.length && Math.abs(covered[c + 1] - k) <= Math.abs(covered[c] - k)) c++;
    const src = covered[c];
    const norm = 1 / weightSum[src];
    for (let t = 0; t < nFrames; t++) out[k * nFrames + t] = acc[src * nFrames + t] * norm;
  }
  return { data: out, nBins, nFrames };
}

export interface SaliencyMaskOptions {
  /** "keep": mask = floor + (1 − floor)·s^gamma (hear only what was used); "boost": gain 1 + (10^(boostDb/20) − 1)·s. */
  mode?: "keep" | "boost";
  /** Gain left on unused regions in "keep" mode (default 0.05 ≈ −26 dB, so the context stays faintly audible). */
  floor?: number;
  /** Exponent sharpening the normalised saliency (default 1). */
  gamma?: number;
  /** Extra gain on the most salient cells in "boost" mode (default 12 dB). */
  boostDb?: number;
}

/** Saliency (any sign, any scale) → a soft mask in mel × frames: |s| / max|s|, shaped by `mode`. */
export function saliencyToMelMask(saliency: MelMap, opts: SaliencyMaskOptions = {}): MelMap {
  const mode = opts.mode ?? "keep";
  const floor = opts.floor ?? 0.05;
  const gamma = opts.gamma ?? 1;
  const boost = Math.pow(10, (opts.boostDb ?? 12) / 20) - 1;
  let peak = 0;
  for (let i = 0; i < saliency.data.length; i++) peak = Math.max(peak, Math.abs(saliency.data[i]));
  const data = new Float32Array(saliency.data.length);
  for (let i = 0; i < data.length; i++) {
    const s = peak > 0 ? Math.pow(Math.abs(saliency.data[i]) / peak, gamma) : 0;
    data[i] = mode === "keep" ? floor + (1 - floor) * s : 1 + boost * s;
  }
  return { data, nMels: saliency.nMels, nFrames: saliency.nFrames };
}

export interface MaskedResynthesisOptions {
  /** STFT/mel settings of the front end the map is aligned with (default librosa's: sr 22050, nFft 2048, hop 512, 128 mels). */
  mel?: Partial<MelOptions>;
  /** First STFT frame the mask covers (a crop's start frame; default 0). */
  startFrame?: number;
  /** Gain for frames outside the mask (default 0: only the crop is heard). */
  outsideGain?: number;
  /** Return only the samples of the masked frames (default true when the mask is shorter than the clip). */
  cropToMask?: boolean;
}

/**
 * Apply a mel-domain mask (nMels × frames, e.g. saliencyToMelMask of a saliency map) to the clip's complex
 * STFT and resynthesise: the audio of "what the model used". Mask rows that differ from the filterbank's
 * band count (models that resize the band axis) are resampled bilinearly first.
 */
export function maskedResynthesis(pcm: Float32Array, melMask: MelMap, opts: MaskedResynthesisOptions = {}): Float32Array {
  const mel = { ...DEFAULT_MEL_OPTIONS, ...(opts.mel ?? {}) };
  const hop = mel.hopLength;
  const startFrame = opts.startFrame ?? 0;
  const outsideGain = opts.outsideGain ?? 0;
  const totalFrames = frameCount(pcm.length, mel.nFft, hop, true);
  if (!Number.isInteger(startFrame) || startFrame < 0 || startFrame + melMask.nFrames > totalFrames) {
    throw new RangeError(`maskedResynthesis: mask frames ${startFrame}…${startFrame + melMask.nFrames} outside the clip's ${totalFrames} frames`);
  }
  const crop = opts.cropToMask ?? melMask.nFrames < totalFrames;
  if (crop && outsideGain === 0) {
    // Only the mask's frames are heard: transform a hop-aligned excerpt with a margin of frames on each side
    // (frames near the excerpt's edges see its zero padding, but they are outside the mask and silenced).
    const margin = Math.ceil(mel.nFft / hop) + 1;
    const firstFrame = Math.max(0, startFrame - margin);
    const s0 = firstFrame * hop;
    const s1 = Math.min(pcm.length, (startFrame + melMask.nFrames + margin) * hop);
    const excerpt = pcm.subarray(s0, s1);
    const out = resynthesise(excerpt, melMask, mel, startFrame - firstFrame, 0);
    const from = (startFrame - firstFrame) * hop;
    return out.slice(from, Math.min(out.length, from + melMask.nFrames * hop));
  }
  const out = resynthesise(pcm, melMask, mel, startFrame, outsideGain);
  if (!crop) return out;
  return out.slice(startFrame * hop, Math.min(out.length, (startFrame + melMask.nFrames) * hop));
}

/** STFT → gain per (bin, frame) from the mel mask (frames outside it: outsideGain) → inverse STFT, same length. */
function resynthesise(pcm: Float32Array, melMask: MelMap, mel: MelOptions, startFrame: number, outsideGain: number): Float32Array {
  const spec = stftComplex(pcm, mel);
  let mask: MelMap = melMask;
  if (melMask.nMels !== mel.nMels) {
    mask = {
      data: resizeMapBilinear(Float32Array.from(melMask.data), melMask.nMels, melMask.nFrames, mel.nMels, melMask.nFrames),
      nMels: mel.nMels,
      nFrames: melMask.nFrames,
    };
  }
  const linear = melMaskToLinear(mask, mel);
  const { nBins, nFrames } = spec;
  for (let k = 0; k < nBins; k++) {
    for (let t = 0; t < nFrames; t++) {
      const inside = t >= startFrame && t < startFrame + mask.nFrames;
      const g = inside ? linear.data[k * linear.nFrames + (t - startFrame)] : outsideGain;
      spec.re[k * nFrames + t] *= g;
      spec.im[k * nFrames + t] *= g;
    }
  }
  return istft(spec, { ...mel, length: pcm.length });
}
