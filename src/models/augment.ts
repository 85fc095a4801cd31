// Data augmentation on log-mel crops, in plain JS on Float32Arrays so every random draw comes from the
// run's seeded Rng (resumable, deterministic) and nothing allocates tensors.
//
// Layout: a crop is mel-major, `crop[m * frames + t]` (row m = mel band, low to high), the layout of
// the spectrogram cache and of the model input [height = mels, width = frames, 1]. Values are the
// normalised log-mel (db + 80) / 80, so 0 is silence (−80 dB below the clip's peak) and 1 the peak.
import type { Rng } from "../util/random";

/** Normalise a dB value (ref = clip max, floor −80 dB) to [0, 1]. */
export function normaliseDb(db: number): number {
  const v = (db + 80) / 80;
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/**
 * `outFrames` frames of the normalised log-mel, read from source frames [start, start + srcFrames)
 * and resampled (linear interpolation) to `outFrames`. srcFrames = outFrames is a plain crop;
 * srcFrames > outFrames speeds the music up (time-stretch), < slows it down. Frames past the clip's
 * end read as silence (0), so clips shorter than a crop are padded.
 */
export function cropResampled(
  db: Float32Array,
  nMels: number,
  nFrames: number,
  start: number,
  srcFrames: number,
  outFrames: number,
  out: Float32Array = new Float32Array(nMels * outFrames),
): Float32Array {
  if (db.length !== nMels * nFrames) throw new Error(`spectrogram has ${db.length} values, expected ${nMels}×${nFrames}`);
  const step = outFrames > 1 ? (srcFrames - 1) / (outFrames - 1) : 0;
  for (let t = 0; t < outFrames; t++) {
    const pos = srcFrames === outFrames ? start + t : start + t * step;
    const f0 = Math.floor(pos);
    const frac = pos - f0;
    const f1 = f0 + 1;
    for (let m = 0; m < nMels; m++) {
      const row = m * nFrames;
      const a = f0 >= 0 && f0 < nFrames ? normaliseDb(db[row + f0]) : 0;
      const v = frac > 0 ? a + (((f1 < nFrames ? normaliseDb(db[row + f1]) : 0) - a) * frac) : a;
      out[m * outFrames + t] = v;
    }
  }
  return out;
}

/** A plain crop of `frames` frames starting at `start` (normalised, zero-padded past the end). */
export function cropFrames(db: Float32Array, nMels: number, nFrames: number, start: number, frames: number): Float32Array {
  return cropResampled(db, nMels, nFrames, start, frames, frames);
}

/**
 * `k` crop starts spread evenly over the clip (first at 0, last ending at the clip's end); k = 1 is
 * the centre crop. Evaluation averages the model over these so a track is judged on varied parts of
 * it, not on one window.
 */
export function evenlySpacedStarts(nFrames: number, frames: number, k: number): number[] {
  const last = Math.max(0, nFrames - frames);
  if (k <= 1) return [Math.floor(last / 2)];
  return Array.from({ length: k }, (_, i) => Math.round((i * last) / (k - 1)));
}

/** A uniformly random crop start for a `frames`-long crop (0 when the clip is shorter). */
export function randomCropStart(nFrames: number, frames: number, rng: Rng): number {
  return nFrames > frames ? rng.int(0, nFrames - frames) : 0;
}

export interface SpecAugmentOptions {
  /** Number of time masks and the largest width of each, in frames. */
  timeMasks: number;
  timeMaxWidth: number;
  /** Number of frequency masks and the largest width of each, in mel bands. */
  freqMasks: number;
  freqMaxWidth: number;
}

export const DEFAULT_SPECAUGMENT: SpecAugmentOptions = { timeMasks: 2, timeMaxWidth: 16, freqMasks: 2, freqMaxWidth: 12 };

/**
 * SpecAugment (Park et al. 2019) without time warping: blank `timeMasks` random spans of frames and
 * `freqMasks` random spans of mel bands (widths uniform in [0, max]). Masked cells get the crop's
 * mean, so a mask does not look like a burst of silence. In place; returns the crop.
 */
export function specAugment(crop: Float32Array, nMels: number, frames: number, opts: SpecAugmentOptions, rng: Rng): Float32Array {
  let sum = 0;
  for (let i = 0; i < crop.length; i++) sum += crop[i];
  const fill = crop.length ? sum / crop.length : 0;
  for (let i = 0; i < opts.freqMasks; i++) {
    const width = rng.int(0, Math.min(opts.freqMaxWidth, nMels));
    const m0 = rng.int(0, nMels - width);
    for (let m = m0; m < m0 + width; m++) crop.fill(fill, m * frames, (m + 1) * frames);
  }
  for (let i = 0; i < opts.timeMasks; i++) {
    const width = rng.int(0, Math.min(opts.timeMaxWidth, frames));
    const t0 = rng.int(0, frames - width);
    for (let m = 0; m < nMels; m++) crop.fill(fill, m * frames + t0, m * frames + t0 + width);
  }
  return crop;
}

/**
 * Shift along the mel axis by `bins` (positive = up, a rough pitch shift: mel bands are not equally
 * spaced in pitch, so this is an approximation that also changes timbre a little). Bands shifted in
 * from outside read as silence (0). Returns a new array.
 */
export function pitchShiftMel(crop: Float32Array, nMels: number, frames: number, bins: number): Float32Array {
  const out = new Float32Array(crop.length);
  for (let m = 0; m < nMels; m++) {
    const src = m - bins;
    if (src < 0 || src >= nMels) continue;
    out.set(crop.subarray(src * frames, (src + 1) * frames), m * frames);
  }
  return out;
}

/** Add Gaussian noise of standard deviation `std` (in normalised units), clipped back to [0, 1]. In place. */
export function addGaussianNoise(crop: Float32Array, std: number, rng: Rng): Float32Array {
  for (let i = 0; i < crop.length; i++) {
    const v = crop[i] + rng.normal(0, std);
    crop[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return crop;
}

/** Gamma(shape, 1) sample (Marsaglia–Tsang; boosted for shape < 1). */
export function sampleGamma(shape: number, rng: Rng): number {
  if (shape <= 0) throw new Error(`gamma shape must be > 0, got ${shape}`);
  if (shape < 1) return sampleGamma(shape + 1, rng) * Math.pow(1 - rng.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Beta(alpha, alpha) sample, the mixup weight distribution. */
export function sampleBeta(alpha: number, rng: Rng): number {
  const a = sampleGamma(alpha, rng);
  const b = sampleGamma(alpha, rng);
  return a / (a + b);
}

/**
 * Mixup (Zhang et al. 2018) of a batch in place: one λ ~ Beta(α, α) per batch (folded to λ ≥ 0.5 so
 * each example stays mostly itself), each example i mixed with example perm[i]:
 * x_i ← λ x_i + (1−λ) x_perm[i], y_i ← λ y_i + (1−λ) y_perm[i] (soft labels). Returns λ.
 */
export function mixupBatch(
  inputs: Float32Array,
  labels: Float32Array,
  batch: number,
  alpha: number,
  rng: Rng,
): number {
  if (batch < 2 || alpha <= 0) return 1;
  const exampleSize = inputs.length / batch;
  const numClasses = labels.length / batch;
  let lambda = sampleBeta(alpha, rng);
  if (lambda < 0.5) lambda = 1 - lambda;
  const perm = rng.shuffle(Array.from({ length: batch }, (_, i) => i));
  const x0 = inputs.slice();
  const y0 = labels.slice();
  for (let i = 0; i < batch; i++) {
    const j = perm[i];
    for (let e = 0; e < exampleSize; e++) {
      inputs[i * exampleSize + e] = lambda * x0[i * exampleSize + e] + (1 - lambda) * x0[j * exampleSize + e];
    }
    for (let c = 0; c < numClasses; c++) {
      labels[i * numClasses + c] = lambda * y0[i * numClasses + c] + (1 - lambda) * y0[j * numClasses + c];
    }
  }
  return lambda;
}

/** The augmentations of a training crop; 0 / null switch one off. */
export interface AugmentConfig {
  /** Random crop position each epoch (off: always the centre crop). */
  randomCrop: boolean;
  specAugment: SpecAugmentOptions | null;
  /** Mixup α (0 = off; 0.2–0.4 is usual). */
  mixupAlpha: number;
  /** Largest time-stretch fraction: rate uniform in [1 − x, 1 + x] (0 = off; e.g. 0.1). */
  timeStretch: number;
  /** Largest mel-band shift, uniform integer in [−x, x] (0 = off; e.g. 2). */
  pitchShiftBins: number;
  /** Gaussian noise std in normalised units (0 = off; e.g. 0.01). */
  noiseStd: number;
}

export const NO_AUGMENTATION: AugmentConfig = {
  randomCrop: true,
  specAugment: null,
  mixupAlpha: 0,
  timeStretch: 0,
  pitchShiftBins: 0,
  noiseStd: 0,
};

/**
 * One augmented training crop: a random (or centre) window, time-stretched, pitch-shifted, masked
 * and noised as configured, in that order.
 */
export function augmentedCrop(
  db: Float32Array,
  nMels: number,
  nFrames: number,
  frames: number,
  aug: AugmentConfig,
  rng: Rng,
): Float32Array {
  const rate = aug.timeStretch > 0 ? rng.uniform(1 - aug.timeStretch, 1 + aug.timeStretch) : 1;
  const srcFrames = Math.max(1, Math.round(frames * rate));
  const start = aug.randomCrop ? randomCropStart(nFrames, srcFrames, rng) : evenlySpacedStarts(nFrames, srcFrames, 1)[0];
  let crop = cropResampled(db, nMels, nFrames, start, srcFrames, frames);
  if (aug.pitchShiftBins > 0) {
    const bins = rng.int(-aug.pitchShiftBins, aug.pitchShiftBins);
    if (bins !== 0) crop = pitchShiftMel(crop, nMels, frames, bins);
  }
  if (aug.specAugment) specAugment(crop, nMels, frames, aug.specAugment, rng);
  if (aug.noiseStd > 0) addGaussianNoise(crop, aug.noiseStd, rng);
  return crop;
}
