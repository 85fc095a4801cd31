// Frame/clip features built on meyda: known answers for pure tones and noise, our fast MFCC/chroma
// path against meyda's own extractors, names and shapes like FMA's features.csv.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  FastMeydaBanks,
  SpectralContrast,
  Meyda,
  clipFeatureNames,
  clipFeatures,
  frameFeatures,
  meydaBanks,
} from "../../src/features/meyda";
import { summaryStatistics } from "../../src/features/stats";
import { Rng } from "../../src/util/random";

const SR = 22050;

function sine(freq: number, amplitude: number, seconds: number): Float32Array {
  const n = Math.round(seconds * SR);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / SR);
  return x;
}

function noise(seconds: number, seed = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: Math.round(seconds * SR) }, () => rng.uniform(-0.5, 0.5));
}

/** Median over frames of a 1-row feature (the median ignores the half-empty edge frames). */
function frameMedian(pcm: Float32Array, name: string, row = 0): number {
  const ff = frameFeatures(pcm, SR);
  const f = ff.features.find((x) => x.name === name);
  assert.ok(f, `feature ${name}`);
  return summaryStatistics(f.data, row * ff.frames, ff.frames).median;
}

test("frames are centred like librosa: 1 + floor(n / hop)", () => {
  const ff = frameFeatures(new Float32Array(SR), SR);
  assert.equal(ff.frames, 1 + Math.floor(SR / 512));
  for (const f of ff.features) assert.equal(f.data.length, f.dims * ff.frames, f.name);
});

test("pure 1 kHz sine: centroid ≈ 1 kHz (Hz), narrow spread, rms ≈ A/√2, zcr ≈ 2f/sr", () => {
  const x = sine(1000, 0.5, 2);
  const centroid = frameMedian(x, "spectral_centroid");
  assert.ok(Math.abs(centroid - 1000) < 20, `centroid ${centroid} Hz`);
  const spread = frameMedian(x, "spectral_bandwidth");
  assert.ok(spread < 300, `spread ${spread} Hz`);
  const rms = frameMedian(x, "rms");
  assert.ok(Math.abs(rms - 0.5 / Math.SQRT2) < 1e-3, `rms ${rms}`);
  const zcr = frameMedian(x, "zcr");
  assert.ok(Math.abs(zcr - (2 * 1000) / SR) < 2 / 2048, `zcr ${zcr} vs ${(2 * 1000) / SR}`);
  const energy = frameMedian(x, "energy");
  assert.ok(Math.abs(energy - 2048 * rms * rms) / energy < 1e-3, `energy ${energy}`);
  const rolloff = frameMedian(x, "spectral_rolloff");
  assert.ok(rolloff > 1000 && rolloff < 1300, `rolloff ${rolloff} Hz`);
});

test("chroma peaks at the tone's pitch class (C = 0 … B = 11)", () => {
  for (const [freq, pitchClass] of [
    [440, 9], // A4
    [261.63, 0], // C4
    [392, 7], // G4
  ] as const) {
    const ff = frameFeatures(sine(freq, 0.3, 1), SR);
    const chroma = ff.features.find((f) => f.name === "chroma")!;
    const means = Array.from({ length: 12 }, (_, c) => summaryStatistics(chroma.data, c * ff.frames, ff.frames).median);
    const argmax = means.indexOf(Math.max(...means));
    assert.equal(argmax, pitchClass, `${freq} Hz → ${argmax} (${means.map((m) => m.toFixed(2)).join(" ")})`);
    assert.ok(Math.abs(means[argmax] - 1) < 1e-6, "chroma is max-normalised");
  }
});

test("flatness: white noise high, sine low; contrast: sine higher than noise", () => {
  const flatNoise = frameMedian(noise(2), "spectral_flatness");
  const flatSine = frameMedian(sine(1000, 0.5, 2), "spectral_flatness");
  assert.ok(flatNoise > 0.6, `noise flatness ${flatNoise}`);
  assert.ok(flatSine < 0.2, `sine flatness ${flatSine}`);
  // 1 kHz lies in contrast band 3 (800–1600 Hz): a peak far above its valley.
  const cSine = frameMedian(sine(1000, 0.5, 2), "spectral_contrast", 3);
  const cNoise = frameMedian(noise(2), "spectral_contrast", 3);
  assert.ok(cSine > cNoise + 20, `contrast sine ${cSine} dB vs noise ${cNoise} dB`);
});

test("fast MFCC / chroma equal meyda's own extractors (after the documented unit conversion)", () => {
  const N = 2048;
  const banks = meydaBanks(SR, N, 40, 12);
  const fast = new FastMeydaBanks(banks.melFilterBank, banks.chromaFilterBank, N, 20);
  const rng = new Rng(7);
  const amp = Float32Array.from({ length: N / 2 }, () => rng.uniform(0, 30) * (rng.next() < 0.2 ? 0 : 1));
  const mfcc = new Float32Array(20);
  const chroma = new Float32Array(12);
  fast.mfccInto(amp, mfcc, 0, 1);
  fast.chromaInto(amp, chroma, 0, 1);
  const ex = Meyda.featureExtractors;
  const ref = ex.mfcc({ ampSpectrum: amp, melFilterBank: banks.melFilterBank, numberOfMFCCCoefficients: 20, bufferSize: N }) as number[];
  const K = banks.melFilterBank.length;
  for (let d = 0; d < 20; d++) {
    // meyda: DCT-II × 2 of ln(mel + 1); ours: orthonormal DCT-II of 10·log10(mel + 1).
    const expected = ref[d] * (10 / Math.LN10) * (d === 0 ? Math.sqrt(1 / (4 * K)) : Math.sqrt(1 / (2 * K)));
    assert.ok(Math.abs(mfcc[d] - expected) < 1e-4 * Math.max(1, Math.abs(expected)), `mfcc ${d}: ${mfcc[d]} vs ${expected}`);
  }
  const refChroma = ex.chroma({ ampSpectrum: amp, chromaFilterBank: banks.chromaFilterBank }) as number[];
  for (let c = 0; c < 12; c++) assert.ok(Math.abs(chroma[c] - refChroma[c]) < 1e-6, `chroma ${c}`);
});

test("meyda's global settings are left as they were", () => {
  Meyda.bufferSize = 512;
  Meyda.sampleRate = 44100;
  frameFeatures(sine(440, 0.2, 0.5), SR, { melBands: 30 });
  assert.equal(Meyda.bufferSize, 512);
  assert.equal(Meyda.sampleRate, 44100);
});

test("clipFeatures: 7 statistics × 46 dims, FMA names, finite values (silence included)", () => {
  const names = clipFeatureNames();
  assert.equal(names.length, 7 * (12 + 20 + 1 + 1 + 1 + 1 + 7 + 1 + 1 + 1));
  assert.equal(new Set(names).size, names.length);
  assert.ok(names.includes("mfcc/mean/01") && names.includes("mfcc/max/20") && names.includes("spectral_contrast/kurtosis/07"));
  const x = sine(440, 0.3, 1);
  const f = clipFeatures(x, SR);
  assert.deepEqual(f.names, names);
  assert.equal(f.values.length, names.length);
  // mfcc/mean/01 is the mean over frames of the frame-level MFCC 1.
  const ff = frameFeatures(x, SR);
  const mf = ff.features.find((g) => g.name === "mfcc")!;
  const mean = summaryStatistics(mf.data, 0, ff.frames).mean;
  assert.ok(Math.abs(f.values[names.indexOf("mfcc/mean/01")] - mean) < 1e-3 * Math.abs(mean));
  const silent = clipFeatures(new Float32Array(SR), SR);
  assert.ok(silent.values.every(Number.isFinite), "silence gives finite features");
});

test("spectral contrast's partial selection equals librosa's full sort", () => {
  const contrast = new SpectralContrast(SR, 2048, 200, 6, 0.02);
  assert.equal(contrast.bandCount, 7);
  const rng = new Rng(3);
  for (let trial = 0; trial < 20; trial++) {
    const mag = Float64Array.from({ length: 1025 }, () => (rng.next() < 0.1 ? 0 : rng.uniform(0, 5) ** 3));
    const peak = new Float64Array(7);
    const valley = new Float64Array(7);
    contrast.peakValleyDb(mag, peak, valley, 0, 1);
    for (let b = 0; b < 7; b++) {
      const [p, v] = contrast.peakValleyDbBySorting(mag, b);
      assert.ok(Math.abs(peak[b] - p) < 1e-9 && Math.abs(valley[b] - v) < 1e-9, `band ${b}`);
    }
  }
});
