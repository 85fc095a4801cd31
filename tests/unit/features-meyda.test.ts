// Frame/clip features built on meyda: known answers for pure tones and noise, the vectorised frame
// features against meyda's own extractors frame by frame and against the old per-frame path, names
// and shapes like FMA's features.csv.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PairedAmpKernel, ampFramesJs, type AmpRow } from "../../src/features/fft";
import {
  SpectralContrast,
  Meyda,
  clipFeatureNames,
  clipFeatures,
  frameFeatures,
  meydaBanks,
  summariseFrameFeatures,
} from "../../src/features/meyda";
import { summaryStatistics } from "../../src/features/stats";
import { sharedDir } from "../../src/util/fs";
import { Rng } from "../../src/util/random";
import { MEYDA_FRAME_FEATURES, frameColumn, maxErrorsAgainstMeyda } from "../helpers/meyda-frames";
import { meydaFeaturesPerFrameReference } from "../helpers/meyda-reference";
import { readF32 } from "../helpers/audio-reference";

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

// Measured against meyda (max over the frames below, |Δ| / the frame's largest |value|): ≤ 7.1e-8 for
// every feature (sine, noise, click and a real clip) — our float32 output rounding (half an ulp: 6e-8);
// zcr and silence exact. Tolerance 1e-6: over 10× that, far below any real difference.
const MEYDA_TOLERANCE = 1e-6;

function assertMatchesMeyda(pcm: Float32Array, frames: number[], label: string): void {
  const worst = maxErrorsAgainstMeyda(pcm, SR, frames);
  for (const name of MEYDA_FRAME_FEATURES) {
    const tol = name === "zcr" ? 0 : MEYDA_TOLERANCE;
    assert.ok(worst[name] <= tol, `${label}: ${name} differs from Meyda.featureExtractors by ${worst[name]} (tolerance ${tol})`);
  }
}

const allFrames = (x: Float32Array): number[] => Array.from({ length: 1 + Math.floor(x.length / 512) }, (_, t) => t);

test("vectorised frame features equal Meyda.featureExtractors frame by frame: sine, noise, click, silence", () => {
  const click = new Float32Array(SR / 2);
  click[3000] = 1;
  for (const [label, x] of [
    ["sine 440 Hz", sine(440, 0.5, 0.5)],
    ["noise", noise(0.5, 5)],
    ["click", click],
    ["silence", new Float32Array(SR / 2)],
  ] as const) {
    assertMatchesMeyda(x, allFrames(x), label);
  }
});

/** A real 30 s clip at 22,050 Hz (the decoded fma-sample clip 000002), or null without ../shared. */
function realClip(): Float32Array | null {
  const shared = sharedDir();
  const file = shared && path.join(shared, "reference", "clips-soxr_hq", "000002.pcm22050.f32");
  return file && fs.existsSync(file) ? readF32(file) : null;
}

test("vectorised frame features equal Meyda.featureExtractors on real frames (fma-sample 000002)", (t) => {
  const clip = realClip();
  if (!clip) return t.skip("../shared/reference/clips-soxr_hq/000002.pcm22050.f32 not found");
  const n = 1 + Math.floor(clip.length / 512);
  // 130 frames across the clip, the centred edge frames (half zeros) included.
  const frames = [...Array.from({ length: 128 }, (_, i) => Math.floor((i * (n - 1)) / 127)), 1, n - 2];
  assertMatchesMeyda(clip, frames, "clip 000002");
});

test("silence: exactly what the per-frame path gave (0s, rolloff at Nyquist, finite statistics)", () => {
  const silent = new Float32Array(SR);
  const ff = frameFeatures(silent, SR);
  const ref = meydaFeaturesPerFrameReference(silent, SR);
  ff.features.forEach((f, i) => assert.deepEqual(f.data, ref.features[i].data, f.name));
  // meyda's rolloff loop never starts on an all-zero spectrum: N/2 bins × its bin width → Nyquist.
  assert.deepEqual(frameColumn(ff, "spectral_rolloff", 3), [SR / 2]);
  for (const name of ["chroma", "mfcc", "rms", "energy", "spectral_centroid", "spectral_bandwidth", "spectral_flatness", "zcr"]) {
    assert.ok(frameColumn(ff, name, 3).every((v) => v === 0), `${name} of a silent frame is 0`);
  }
  assert.deepEqual(clipFeatures(silent, SR).values, summariseFrameFeatures(ref).values);
});

test("clip feature vector equals the old per-frame implementation's (sine + noise, real clip when present)", () => {
  const rng = new Rng(11);
  const synthetic = Float32Array.from(sine(330, 0.3, 3), (v) => v + rng.uniform(-0.05, 0.05));
  synthetic.fill(0, 20000, 30000); // a silent stretch inside
  const clip = realClip();
  for (const [label, x] of [["synthetic", synthetic], ...(clip ? [["clip 000002", clip] as const] : [])] as const) {
    const ours = clipFeatures(x, SR);
    const old = summariseFrameFeatures(meydaFeaturesPerFrameReference(x, SR));
    assert.deepEqual(ours.names, old.names);
    // Measured: bit-identical on both; the bound allows a float32 ulp flip from FFT rounding (~1e-15).
    ours.values.forEach((v, i) => {
      const tol = 1e-5 * Math.max(1, Math.abs(old.values[i]));
      assert.ok(Math.abs(v - old.values[i]) <= tol, `${label} ${ours.names[i]}: ${v} vs ${old.values[i]}`);
    });
  }
});

test("PairedAmpKernel equals its JS fallback (magnitude, plain / squared / grouped rows, odd frame count)", (t) => {
  const N = 256;
  const half = N / 2;
  const window = Float64Array.from({ length: N }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (N - 1)));
  const rng = new Rng(9);
  const rows: AmpRow[] = [
    { start: 3, weights: Float64Array.from({ length: 20 }, () => rng.next()), squared: true },
    ...Array.from({ length: 4 }, () => ({ start: 0, weights: Float64Array.from({ length: half }, () => rng.next()), squared: false })),
    { start: half - 5, weights: [1, 2, 3, 4, 5, 6], squared: false },
  ];
  const kernel = PairedAmpKernel.create(N, window, rows);
  if (!kernel) return t.skip("no WebAssembly SIMD");
  const pcm = Float32Array.from({ length: 64 * 10 + 7 }, () => rng.uniform(-1, 1));
  const nFrames = 1 + Math.floor(pcm.length / 64); // 11: odd
  const wasm = kernel.run(pcm, 64, nFrames, N / 2);
  const js = ampFramesJs(N, window, rows, pcm, 64, nFrames, N / 2);
  assert.equal(wasm.magnitude.length, js.magnitude.length);
  assert.equal(wasm.rows.length, js.rows.length);
  // Measured: magnitude ≤ 2e-15 relative (the paired FFT's rounding), rows ≤ 1e-15.
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1e-9, Math.abs(b)), `${what}: ${a} vs ${b}`);
  js.magnitude.forEach((v, i) => close(wasm.magnitude[i], v, `magnitude ${i}`));
  js.rows.forEach((v, i) => close(wasm.rows[i], v, `row sum ${i}`));
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
    contrast.peakValleyDb(mag, 0, peak, valley, 0, 1);
    for (let b = 0; b < 7; b++) {
      const [p, v] = contrast.peakValleyDbBySorting(mag, b);
      assert.ok(Math.abs(peak[b] - p) < 1e-9 && Math.abs(valley[b] - v) < 1e-9, `band ${b}`);
    }
  }
});
