// The resampler (resampy kaiser_best/kaiser_fast algorithm): frequency and amplitude preserved,
// aliasing suppressed, librosa's output length, and parity with librosa's PCM when ../shared is present.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { besselI0, resample, decodeMp3, setResampleSimd, toMono } from "../../src/audio";
import { readF32, referenceDir, sampleAudioDir } from "../helpers/audio-reference";

function sine(freq: number, rate: number, seconds: number, amp = 0.5): Float32Array {
  const n = Math.round(rate * seconds);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

/** Least-squares fit of A·cos + B·sin at `freq` over the middle half of `x`: amplitude and residual RMS. */
function fitTone(x: Float32Array, freq: number, rate: number): { amplitude: number; residual: number } {
  const a = Math.floor(x.length / 4);
  const b = Math.floor((3 * x.length) / 4);
  let cc = 0, cs = 0, ss = 0, yc = 0, ys = 0;
  for (let i = a; i < b; i++) {
    const c = Math.cos((2 * Math.PI * freq * i) / rate);
    const s = Math.sin((2 * Math.PI * freq * i) / rate);
    cc += c * c; cs += c * s; ss += s * s; yc += x[i] * c; ys += x[i] * s;
  }
  const det = cc * ss - cs * cs;
  const A = (yc * ss - ys * cs) / det;
  const B = (ys * cc - yc * cs) / det;
  let e = 0;
  for (let i = a; i < b; i++) {
    const r = x[i] - A * Math.cos((2 * Math.PI * freq * i) / rate) - B * Math.sin((2 * Math.PI * freq * i) / rate);
    e += r * r;
  }
  return { amplitude: Math.hypot(A, B), residual: Math.sqrt(e / (b - a)) };
}

function rms(x: Float32Array): number {
  const a = Math.floor(x.length / 4);
  const b = Math.floor((3 * x.length) / 4);
  let e = 0;
  for (let i = a; i < b; i++) e += x[i] * x[i];
  return Math.sqrt(e / (b - a));
}

const db = (r: number) => 20 * Math.log10(r);

for (const from of [44100, 48000, 32000, 16000, 11025, 8000]) {
  test(`${from} Hz → 22050 Hz: 1 kHz sine keeps its frequency and amplitude (±0.1 dB)`, () => {
    const x = sine(1000, from, 1.5);
    for (const quality of ["best", "fast"] as const) {
      const y = resample(x, from, 22050, quality);
      assert.equal(y.length, Math.ceil((x.length * 22050) / from), "librosa length ceil(n·ratio)");
      const { amplitude, residual } = fitTone(y, 1000, 22050);
      assert.ok(Math.abs(db(amplitude / 0.5)) < 0.1, `${quality}: amplitude ${db(amplitude / 0.5).toFixed(3)} dB`);
      // Frequency: all the energy is in the 1 kHz fit (a shifted frequency would leave a large residual).
      assert.ok(db(residual / amplitude) < -60, `${quality}: residual ${db(residual / amplitude).toFixed(1)} dB`);
    }
  });
}

for (const from of [44100, 48000]) {
  test(`${from} Hz → 22050 Hz: a 15 kHz tone (above the new Nyquist) is suppressed > 60 dB`, () => {
    const x = sine(15000, from, 1);
    const y = resample(x, from, 22050, "best");
    const ratio = db(rms(y) / rms(x));
    assert.ok(ratio < -60, `best: 15 kHz leaks at ${ratio.toFixed(1)} dB`);
    const fast = db(rms(resample(x, from, 22050, "fast")) / rms(x));
    assert.ok(fast < -60, `fast: 15 kHz leaks at ${fast.toFixed(1)} dB`);
  });
}

test("identity rate returns a copy; bad rates and short inputs are rejected", () => {
  const x = sine(440, 22050, 0.1);
  const y = resample(x, 22050, 22050);
  assert.deepEqual(y, x);
  assert.notEqual(y, x);
  assert.throws(() => resample(x, 0, 22050), /fromRate/);
  assert.throws(() => resample(x, 44100, 22050.5), /toRate/);
  assert.throws(() => resample(x, 44100, 22050, "linear" as never), /quality/);
  assert.equal(resample(new Float32Array(0), 44100, 22050).length, 0);
  assert.throws(() => resample(new Float32Array(1), 44100, 22050), /too short/);
});

test("the WebAssembly SIMD kernel and the plain JS loops agree (float32 rounding only)", () => {
  const rng = (i: number) => Math.sin(i * 12.9898) * 0.5 + Math.sin(i * 0.0123) * 0.3;
  const x = new Float32Array(30_001).map((_, i) => rng(i));
  for (const [from, to] of [[44100, 22050], [48000, 22050], [32000, 22050], [16000, 22050], [8000, 22050], [22050, 16000]]) {
    for (const quality of ["best", "fast"] as const) {
      const simd = resample(x, from, to, quality);
      setResampleSimd(false);
      let js: Float32Array;
      try {
        js = resample(x, from, to, quality);
      } finally {
        setResampleSimd(true);
      }
      assert.equal(simd.length, js.length);
      let worst = 0;
      for (let i = 0; i < js.length; i++) worst = Math.max(worst, Math.abs(simd[i] - js[i]));
      assert.ok(worst < 2e-6, `${from}→${to} ${quality}: max |Δ| ${worst}`);
      // Edges included: the first and last outputs use the truncated wings.
      assert.ok(Math.abs(simd[0] - js[0]) < 2e-6 && Math.abs(simd[js.length - 2] - js[js.length - 2]) < 2e-6);
    }
  }
});

test("besselI0 matches known values", () => {
  assert.equal(besselI0(0), 1);
  assert.ok(Math.abs(besselI0(1) - 1.2660658777520084) < 1e-14);
  assert.ok(Math.abs(besselI0(10) / 2815.716628466254 - 1) < 1e-13);
});

test("mp3 → mono → resample matches librosa.load's PCM (resampy kaiser_best) for the 8 clips", async (t) => {
  const ref = referenceDir();
  const audio = sampleAudioDir();
  if (!ref || !audio) return t.skip("../shared/fma-sample or ../shared/reference absent");
  for (const file of fs.readdirSync(audio).filter((f) => f.endsWith(".mp3")).sort()) {
    const id = file.slice(0, -4);
    const decoded = await decodeMp3(new Uint8Array(fs.readFileSync(path.join(audio, file))), file);
    const y = resample(toMono(decoded.channels), decoded.sampleRate, 22050);
    const r = readF32(path.join(ref, "clips", `${id}.pcm22050.f32`));
    assert.equal(y.length, r.length, `${id}: length`);
    let e = 0, s = 0;
    for (let i = 0; i < r.length; i++) { e += (y[i] - r[i]) ** 2; s += r[i] ** 2; }
    const snr = 10 * Math.log10(s / e);
    t.diagnostic(`${id}: SNR vs librosa PCM ${snr.toFixed(1)} dB`);
    assert.ok(snr > 90, `${id}: SNR ${snr.toFixed(1)} dB`);
  }
});
