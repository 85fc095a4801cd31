// "Listen to what the model used": complex STFT / inverse STFT round trip, parity of |STFT|² with the
// feature stage's stftPower, mel-mask → linear-mask mapping, band masking removes a tone, WAV encoding.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  istft,
  maskedResynthesis,
  melMaskToLinear,
  saliencyToMelMask,
  stftComplex,
} from "../../src/analysis/resynth";
import { audioExcerptHtml, encodeWav16 } from "../../src/plots/audio";
import { hzToMel, melFrequencies, stftPower } from "../../src/features/melspec";
import { RealFFT } from "../../src/features/fft";
import { Rng } from "../../src/util/random";

const SR = 22050;

function testSignal(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / SR) + 0.2 * Math.sin((2 * Math.PI * 3000 * i) / SR) + 0.05 * rng.normal());
}

/** Amplitude of the `hz` component (least-squares sinusoid fit over the range). */
function toneAmplitude(x: Float32Array, hz: number, from: number, to: number): number {
  let c = 0;
  let s = 0;
  for (let i = from; i < to; i++) {
    c += x[i] * Math.cos((2 * Math.PI * hz * i) / SR);
    s += x[i] * Math.sin((2 * Math.PI * hz * i) / SR);
  }
  return (2 * Math.hypot(c, s)) / (to - from);
}

test("RealFFT.inverse (the resynthesis FFT) matches a direct inverse DFT and undoes forward", () => {
  for (const n of [64, 12]) {
    // 64: the packed half-size FFT; 12: the direct-DFT fallback.
    const rng = new Rng(1);
    const fft = new RealFFT(n);
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const re = new Float64Array(fft.nBins);
    const im = new Float64Array(fft.nBins);
    fft.forward(x, re, im);
    const back = new Float64Array(n);
    fft.inverse(re, im, back);
    for (let j = 0; j < n; j++) assert.ok(Math.abs(back[j] / n - x[j]) < 1e-12, `n ${n}: sample ${j}`);
    // A spectrum that is not any real signal's (imaginary DC and Nyquist): those parts are ignored, the rest
    // is the Hermitian-extended inverse sum.
    const yr = Float64Array.from({ length: fft.nBins }, () => rng.normal());
    const yi = Float64Array.from({ length: fft.nBins }, () => rng.normal());
    fft.inverse(yr, yi, back);
    for (const t of [0, 1, 5, n - 1]) {
      let sum = 0;
      for (let k = 0; k < n; k++) {
        const mirror = k >= fft.nBins;
        const b = mirror ? n - k : k;
        const imag = b === 0 || 2 * b === n ? 0 : mirror ? -yi[b] : yi[b];
        const a = (2 * Math.PI * k * t) / n;
        sum += yr[b] * Math.cos(a) - imag * Math.sin(a);
      }
      assert.ok(Math.abs(back[t] - sum) < 1e-9, `n ${n}: sample ${t}: ${back[t]} vs ${sum}`);
    }
  }
  assert.throws(() => stftComplex(new Float32Array(100), { nFft: 7 }), /nFft must be an even integer/);
});

test("|stftComplex|² equals the feature stage's stftPower", () => {
  const x = testSignal(8192, 2);
  const c = stftComplex(x);
  const p = stftPower(x);
  assert.equal(c.nBins, p.nBins);
  assert.equal(c.nFrames, p.nFrames);
  let maxRel = 0;
  let peak = 0;
  for (let i = 0; i < p.data.length; i++) peak = Math.max(peak, p.data[i]);
  for (let i = 0; i < p.data.length; i++) maxRel = Math.max(maxRel, Math.abs(c.re[i] ** 2 + c.im[i] ** 2 - p.data[i]) / peak);
  assert.ok(maxRel < 1e-5, `max relative difference ${maxRel}`);
});

test("istft(stft(x)) ≈ x (librosa-style window-sum normalisation)", () => {
  for (const [nFft, hop] of [[2048, 512], [512, 128], [1024, 256]]) {
    const x = testSignal(SR, 3);
    const y = istft(stftComplex(x, { nFft, hopLength: hop }), { nFft, hopLength: hop, length: x.length });
    assert.equal(y.length, x.length);
    let maxErr = 0;
    for (let i = nFft; i < x.length - nFft; i++) maxErr = Math.max(maxErr, Math.abs(y[i] - x[i]));
    assert.ok(maxErr < 1e-4, `nFft ${nFft} hop ${hop}: max error ${maxErr}`);
  }
});

test("a mel mask of all ones reproduces the signal", () => {
  const x = testSignal(SR, 4);
  const spec = stftComplex(x);
  const ones = { data: new Float32Array(128 * spec.nFrames).fill(1), nMels: 128, nFrames: spec.nFrames };
  const lin = melMaskToLinear(ones, { sr: SR });
  for (const v of lin.data) assert.ok(Math.abs(v - 1) < 1e-6, `linear mask value ${v}`);
  const y = maskedResynthesis(x, ones);
  let maxErr = 0;
  for (let i = 2048; i < x.length - 2048; i++) maxErr = Math.max(maxErr, Math.abs(y[i] - x[i]));
  assert.ok(maxErr < 1e-4, `max error ${maxErr}`);
});

test("masking the mel bands around 3 kHz removes that tone and keeps the 440 Hz one", () => {
  const x = testSignal(2 * SR, 5);
  const nFrames = stftComplex(x).nFrames;
  const nMels = 128;
  // Band centres (Hz): filter m peaks at mel_f[m + 1].
  const centres = melFrequencies(nMels + 2, 0, SR / 2).slice(1, nMels + 1);
  const mask = new Float32Array(nMels * nFrames).fill(1);
  for (let m = 0; m < nMels; m++) {
    if (Math.abs(hzToMel(centres[m]) - hzToMel(3000)) < 3) for (let t = 0; t < nFrames; t++) mask[m * nFrames + t] = 0;
  }
  const y = maskedResynthesis(x, { data: mask, nMels, nFrames });
  const from = 4096;
  const to = x.length - 4096;
  const before3k = toneAmplitude(x, 3000, from, to);
  const after3k = toneAmplitude(y, 3000, from, to);
  const before440 = toneAmplitude(x, 440, from, to);
  const after440 = toneAmplitude(y, 440, from, to);
  const dropDb = 20 * Math.log10(after3k / before3k);
  const keepDb = 20 * Math.log10(after440 / before440);
  assert.ok(dropDb < -30, `3 kHz tone only ${dropDb.toFixed(1)} dB down`);
  assert.ok(Math.abs(keepDb) < 0.5, `440 Hz tone changed by ${keepDb.toFixed(2)} dB`);
});

test("a crop's mask resynthesises only the crop; a resized band axis is resampled", () => {
  const x = testSignal(SR, 6);
  const mask = { data: new Float32Array(64 * 20).fill(1), nMels: 64, nFrames: 20 };
  const y = maskedResynthesis(x, mask, { startFrame: 5 });
  assert.equal(y.length, 20 * 512);
  // Interior of the crop (away from the mask's time edges) is the original signal.
  let maxErr = 0;
  for (let i = 3 * 512; i < 15 * 512; i++) maxErr = Math.max(maxErr, Math.abs(y[i] - x[5 * 512 + i]));
  assert.ok(maxErr < 1e-3, `max error ${maxErr}`);
  assert.throws(() => maskedResynthesis(x, mask, { startFrame: 40 }), /outside the clip/);
  // The excerpt shortcut (only the mask's frames transformed) equals resynthesising the whole clip.
  const rng = new Rng(8);
  const soft = { data: Float32Array.from({ length: 128 * 12 }, () => rng.next()), nMels: 128, nFrames: 12 };
  const fast = maskedResynthesis(x, soft, { startFrame: 20 });
  const full = maskedResynthesis(x, soft, { startFrame: 20, cropToMask: false }).slice(20 * 512, 32 * 512);
  assert.equal(fast.length, full.length);
  let diff = 0;
  for (let i = 0; i < fast.length; i++) diff = Math.max(diff, Math.abs(fast[i] - full[i]));
  assert.ok(diff < 1e-6, `excerpt vs whole clip: max difference ${diff}`);
});

test("saliencyToMelMask: keep and boost modes", () => {
  const s = { data: Float32Array.from([0, -2, 1, 4]), nMels: 2, nFrames: 2 };
  const keep = saliencyToMelMask(s, { floor: 0.1 });
  assert.deepEqual(Array.from(keep.data).map((v) => +v.toFixed(4)), [0.1, 0.55, 0.325, 1]);
  const boost = saliencyToMelMask(s, { mode: "boost", boostDb: 20 });
  assert.deepEqual(Array.from(boost.data).map((v) => +v.toFixed(4)), [1, 5.5, 3.25, 10]);
});

test("encodeWav16 writes a RIFF/WAVE header and clipped 16-bit samples; audioExcerptHtml embeds it", async () => {
  const wav = encodeWav16([0, 0.5, -1, 2], 8000);
  const view = new DataView(wav.buffer);
  assert.equal(String.fromCharCode(...wav.slice(0, 4)), "RIFF");
  assert.equal(String.fromCharCode(...wav.slice(8, 12)), "WAVE");
  assert.equal(view.getUint32(24, true), 8000);
  assert.equal(view.getUint32(40, true), 8);
  assert.deepEqual([0, 1, 2, 3].map((i) => view.getInt16(44 + 2 * i, true)), [0, 16384, -32768, 32767]);
  const html = await audioExcerptHtml(Float32Array.from([0, 0.1, -0.1]), 8000, { format: "wav", caption: "a <b>" });
  assert.match(html, /<audio controls preload="none" src="data:audio\/wav;base64,UklGR/);
  assert.match(html, /a &lt;b&gt;/);
});
