// Meyda's own extractors (`Meyda.featureExtractors`) on one centred frame, with the unit conversions
// that src/features/meyda.ts documents, for frame-by-frame checks of the vectorised frameFeatures.
import { RealFFT } from "../../src/features/fft";
import { Meyda, frameFeatures, meydaBanks, type FrameFeatures } from "../../src/features/meyda";

export const MEYDA_FRAME_FEATURES = ["chroma", "mfcc", "rms", "energy", "spectral_bandwidth", "spectral_centroid", "spectral_flatness", "spectral_rolloff", "zcr"] as const;
export type MeydaFrameFeature = (typeof MEYDA_FRAME_FEATURES)[number];

/** Frame t of `pcm` (centred: zeros outside) through meyda's extractors; keyed like frameFeatures. */
export function meydaExtractorsOnFrame(pcm: Float32Array, sampleRate: number, t: number, N = 2048, hop = 512, nMfcc = 20): Record<MeydaFrameFeature, number[]> {
  const half = N / 2;
  const banks = meydaBanks(sampleRate, N, 40, 12);
  const frame = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    const s = t * hop - half + i;
    frame[i] = s >= 0 && s < pcm.length ? pcm[s] : 0;
  }
  const re = new Float64Array(half + 1);
  const im = new Float64Array(half + 1);
  new RealFFT(N).forward(Float64Array.from(frame, (x, i) => x * banks.window[i]), re, im);
  const ampSpectrum = Float32Array.from({ length: half }, (_, k) => Math.sqrt(re[k] * re[k] + im[k] * im[k]));
  const ex = Meyda.featureExtractors;
  const finite = (x: unknown): number => (Number.isFinite(x as number) ? (x as number) : 0);
  const K = banks.melFilterBank.length;
  const mfcc = ex.mfcc({ ampSpectrum, melFilterBank: banks.melFilterBank, numberOfMFCCCoefficients: nMfcc, bufferSize: N }) as number[];
  return {
    chroma: ex.chroma({ ampSpectrum, chromaFilterBank: banks.chromaFilterBank }) as number[],
    // meyda: DCT-II × 2 of ln(mel + 1); ours: orthonormal DCT-II of 10·log10(mel + 1).
    mfcc: mfcc.map((c, d) => c * (10 / Math.LN10) * (d === 0 ? Math.sqrt(1 / (4 * K)) : Math.sqrt(1 / (2 * K)))),
    rms: [ex.rms({ signal: frame }) as number],
    energy: [ex.energy({ signal: frame }) as number],
    spectral_bandwidth: [finite(ex.spectralSpread({ ampSpectrum })) * (sampleRate / N)],
    spectral_centroid: [finite(ex.spectralCentroid({ ampSpectrum })) * (sampleRate / N)],
    spectral_flatness: [finite(ex.spectralFlatness({ ampSpectrum }))],
    spectral_rolloff: [finite(ex.spectralRolloff({ ampSpectrum, sampleRate })) * ((half - 1) / half)],
    zcr: [(ex.zcr({ signal: frame }) as number) / N],
  };
}

/** Frame t's values of one feature of frameFeatures' output. */
export function frameColumn(ff: FrameFeatures, name: string, t: number): number[] {
  const f = ff.features.find((x) => x.name === name);
  if (!f) throw new Error(`no feature ${name}`);
  return Array.from({ length: f.dims }, (_, d) => f.data[d * ff.frames + t]);
}

/**
 * Largest error of frameFeatures against meyda's extractors over the given frames, per feature:
 * |Δ| / max(|meyda's values in that frame|, floor) (a frame's scale, so near-zero MFCCs or chroma
 * bins are judged against the frame's largest value).
 */
export function maxErrorsAgainstMeyda(pcm: Float32Array, sampleRate: number, frames: number[], floor = 1e-12): Record<MeydaFrameFeature, number> {
  const ff = frameFeatures(pcm, sampleRate);
  const worst = Object.fromEntries(MEYDA_FRAME_FEATURES.map((n) => [n, 0])) as Record<MeydaFrameFeature, number>;
  for (const t of frames) {
    const ref = meydaExtractorsOnFrame(pcm, sampleRate, t);
    for (const name of MEYDA_FRAME_FEATURES) {
      const ours = frameColumn(ff, name, t);
      const scale = Math.max(floor, ...ref[name].map(Math.abs));
      ours.forEach((v, d) => {
        const err = Math.abs(v - ref[name][d]) / scale;
        worst[name] = Math.max(worst[name], Number.isNaN(err) ? Infinity : err);
      });
    }
  }
  return worst;
}
