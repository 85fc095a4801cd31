// Parity of the log-mel pipeline with librosa 0.11 on the small fixtures in tests/fixtures/reference
// (see its README for how they were cut). Tolerances (issue): filterbank, STFT power and mel power
// relative error ≤ 1e-4 where the reference is ≥ 1e-6·max; dB max |Δ| ≤ 0.01.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  DEFAULT_MEL_OPTIONS,
  frameCount,
  hzToMel,
  logMelSpectrogram,
  melFilterbank,
  melSpectrogram,
  melToHz,
  powerToDb,
  setMelSimd,
  stftPower,
} from "../../src/features/melspec";
import { PairedPowerFFT, RealFFT } from "../../src/features/fft";
import { cropColumns, fixtureF32, fixtureIndex, maxAbsError, maxRelativeError } from "../helpers/audio-reference";

const REL_TOL = 1e-4;
const DB_TOL = 0.01;
const SHORT = ["tone_burst_1s", "white_noise_2s", "silence_1s", "impulse_short"];

test("filterbank equals librosa.filters.mel(sr=22050, n_fft=2048, n_mels=128)", () => {
  const fb = melFilterbank();
  const dense = fb.toDense();
  const ref = fixtureF32("mel_fb.f32");
  assert.equal(dense.length, 128 * 1025);
  const err = maxRelativeError(dense, ref);
  assert.ok(err <= REL_TOL, `filterbank max relative error ${err}`);
  // Sparse structure: every FFT bin feeds at most two filters.
  const perBin = new Int32Array(1025);
  for (let m = 0; m < 128; m++) for (let k = 0; k < 1025; k++) if (dense[m * 1025 + k] !== 0) perBin[k]++;
  assert.ok(Math.max(...perBin) <= 2, "a bin feeds more than two filters");
  // Zero entries of librosa's matrix are zero here too (no weight leaks outside a triangle).
  for (let i = 0; i < ref.length; i++) if (ref[i] === 0) assert.equal(dense[i], 0, `index ${i}`);
});

for (const name of SHORT) {
  test(`${name}: STFT power, mel power and dB match librosa`, () => {
    const index = fixtureIndex();
    const pcm = fixtureF32(`${name}.pcm.f32`);
    const [nBins, nFrames] = index.files[`${name}.stft_power.f32`];
    const stft = stftPower(pcm);
    assert.equal(stft.nBins, nBins);
    assert.equal(stft.nFrames, nFrames, "frames = 1 + floor(len / hop)");
    assert.equal(stft.nFrames, frameCount(pcm.length, 2048, 512));
    const stftErr = maxRelativeError(stft.data, fixtureF32(`${name}.stft_power.f32`));
    assert.ok(stftErr <= REL_TOL, `stft power relative error ${stftErr}`);
    const mel = melSpectrogram(pcm);
    assert.equal(mel.nMels, 128);
    assert.equal(mel.nFrames, nFrames);
    const melErr = maxRelativeError(mel.data, fixtureF32(`${name}.mel_power.f32`));
    assert.ok(melErr <= REL_TOL, `mel power relative error ${melErr}`);
    const db = powerToDb(mel, { ref: "max" });
    const dbErr = maxAbsError(db.data, fixtureF32(`${name}.logmel_db.f32`));
    assert.ok(dbErr <= DB_TOL, `dB max |Δ| ${dbErr}`);
    const direct = logMelSpectrogram(pcm);
    assert.deepEqual(direct.data, db.data, "logMelSpectrogram = powerToDb(melSpectrogram)");
  });
}

test("silence: every dB value ≈ 0 with ref=max (librosa: −7.6e-6)", () => {
  const db = logMelSpectrogram(fixtureF32("silence_1s.pcm.f32"));
  for (const v of db.data) assert.ok(Math.abs(v) <= DB_TOL, `dB ${v}`);
});

test("signal shorter than n_fft (1000 samples) gives 2 zero-padded frames; tone burst length is not a multiple of the hop", () => {
  assert.equal(stftPower(fixtureF32("impulse_short.pcm.f32")).nFrames, 2);
  assert.equal(frameCount(22173, 2048, 512), 44);
  assert.equal(frameCount(0, 2048, 512), 1);
  assert.equal(melSpectrogram(new Float32Array(0)).nFrames, 1);
  assert.throws(() => frameCount(1000, 2048, 512, false), /shorter than nFft/);
});

test("30 s chirp: frames 300–459 (cropped PCM, center=false) match librosa's mel power and dB", () => {
  const { chirp } = fixtureIndex();
  const pcm = fixtureF32("chirp_crop.pcm.f32");
  const mel = melSpectrogram(pcm, { center: false });
  assert.equal(mel.nFrames, chirp.frames);
  const melErr = maxRelativeError(mel.data, fixtureF32("chirp_crop.mel_power.f32"));
  assert.ok(melErr <= REL_TOL, `mel relative error ${melErr}`);
  // dB with the whole clip's max as ref; the whole clip's peak is 0 dB so top_db floors at −80.
  const db = powerToDb(mel, { ref: chirp.mel_max, topDb: null });
  for (let i = 0; i < db.data.length; i++) db.data[i] = Math.max(db.data[i], -80);
  const dbErr = maxAbsError(db.data, fixtureF32("chirp_crop.logmel_db.f32"));
  assert.ok(dbErr <= DB_TOL, `dB max |Δ| ${dbErr}`);
});

test(`real clip (fixture crop around its loudest frame): log-mel dB matches librosa`, () => {
  const { clip } = fixtureIndex();
  const db = logMelSpectrogram(fixtureF32("clip_crop.pcm.f32"), { center: false });
  assert.equal(db.nFrames, clip.frames);
  const err = maxAbsError(db.data, fixtureF32("clip_crop.logmel_db.f32"));
  assert.ok(err <= DB_TOL, `dB max |Δ| ${err}`);
});

test("powerToDb: fixed ref, amin floor, top_db clipping, validation", () => {
  const spec = { data: new Float32Array([1, 10, 100, 0, 1e-12, 1e-9]), nMels: 2, nFrames: 3 };
  const db = powerToDb(spec, { ref: 1, topDb: null });
  const expected = [0, 10, 20, -100, -100, -90];
  expected.forEach((e, i) => assert.ok(Math.abs(db.data[i] - e) < 1e-4, `${i}: ${db.data[i]} vs ${e}`));
  const clipped = powerToDb(spec, { ref: 1, topDb: 80 });
  assert.deepEqual(Array.from(clipped.data).map((v) => Math.round(v)), [0, 10, 20, -60, -60, -60]);
  const max = powerToDb(spec); // ref max = 100 → 0 dB at the peak
  assert.ok(Math.abs(max.data[2]) < 1e-6);
  assert.throws(() => powerToDb(spec, { amin: 0 }), /amin/);
  assert.throws(() => powerToDb(spec, { topDb: -1 }), /topDb/);
});

test("mel scale: Slaney and HTK formulas, inverse round trip", () => {
  assert.equal(hzToMel(0), 0);
  assert.ok(Math.abs(hzToMel(200) - 3) < 1e-12, "Slaney is linear below 1 kHz: 200 Hz / (200/3)");
  assert.ok(Math.abs(hzToMel(1000) - 15) < 1e-12);
  assert.ok(Math.abs(hzToMel(6400) - (15 + 27)) < 1e-9, "log part: 27 mels per ×6.4");
  assert.ok(Math.abs(hzToMel(1000, true) - 2595 * Math.log10(1 + 1000 / 700)) < 1e-9);
  for (const f of [0, 55, 440, 999.9, 1000, 4000, 11025]) {
    assert.ok(Math.abs(melToHz(hzToMel(f)) - f) < 1e-6 * Math.max(1, f));
    assert.ok(Math.abs(melToHz(hzToMel(f, true), true) - f) < 1e-6 * Math.max(1, f));
  }
});

// Parameter options without a librosa reference: check the triangles against an independent formula.
for (const opts of [
  { htk: true, nMels: 128 },
  { htk: false, nMels: 64, fmin: 50, fmax: 8000 },
  { htk: true, nMels: 40, fmin: 20, fmax: 4000, nFft: 1024 },
]) {
  test(`filterbank invariants for ${JSON.stringify(opts)}`, () => {
    const sr = 22050;
    const nFft = opts.nFft ?? 2048;
    const nBins = nFft / 2 + 1;
    const fmin = opts.fmin ?? 0;
    const fmax = opts.fmax ?? sr / 2;
    const toMel = (f: number) => (opts.htk ? 2595 * Math.log10(1 + f / 700) : hzToMel(f));
    const fromMel = (m: number) => (opts.htk ? 700 * (10 ** (m / 2595) - 1) : melToHz(m));
    const edges: number[] = [];
    for (let i = 0; i < opts.nMels + 2; i++) edges.push(fromMel(toMel(fmin) + ((toMel(fmax) - toMel(fmin)) * i) / (opts.nMels + 1)));
    const peak = melFilterbank({ ...opts, nFft, norm: null }).toDense();
    const slaney = melFilterbank({ ...opts, nFft, norm: "slaney" }).toDense();
    const fb = melFilterbank({ ...opts, nFft, norm: null });
    for (let m = 0; m < opts.nMels; m++) assert.ok(Math.abs(fb.edgesHz[m + 1] - edges[m + 1]) < 1e-6 * edges[m + 1] + 1e-9);
    for (let m = 0; m < opts.nMels; m++) {
      const [lo, c, hi] = [edges[m], edges[m + 1], edges[m + 2]];
      for (let k = 0; k < nBins; k++) {
        const f = (k * sr) / nFft;
        const expected = Math.max(0, Math.min((f - lo) / (c - lo), (hi - f) / (hi - c)));
        assert.ok(Math.abs(peak[m * nBins + k] - expected) < 1e-6, `filter ${m} bin ${k}: ${peak[m * nBins + k]} vs ${expected}`);
        const s = slaney[m * nBins + k];
        assert.ok(Math.abs(s - (expected * 2) / (hi - lo)) <= 1e-6 * Math.abs(s) + 1e-12, `slaney ${m}/${k}`);
        if (f < fmin || f > fmax) assert.equal(peak[m * nBins + k], 0, "weight outside [fmin, fmax]");
      }
    }
    // Adjacent triangles overlap to a partition of unity between the first and last centre.
    for (let k = 0; k < nBins; k++) {
      const f = (k * sr) / nFft;
      if (f < edges[1] || f > edges[opts.nMels]) continue;
      let sum = 0;
      for (let m = 0; m < opts.nMels; m++) sum += peak[m * nBins + k];
      assert.ok(Math.abs(sum - 1) < 1e-5, `bin ${k}: triangle sum ${sum}`);
    }
  });
}

test("melSpectrogram honours nMels, hop and power options", () => {
  const pcm = fixtureF32("tone_burst_1s.pcm.f32");
  const m64 = melSpectrogram(pcm, { nMels: 64, hopLength: 256 });
  assert.equal(m64.nMels, 64);
  assert.equal(m64.nFrames, 1 + Math.floor(pcm.length / 256));
  // power 1 = magnitude: its square is the power spectrogram.
  const s1 = stftPower(pcm, { power: 1 }).data;
  const s2 = stftPower(pcm, { power: 2 }).data;
  for (let i = 0; i < s1.length; i += 97) assert.ok(Math.abs(s1[i] * s1[i] - s2[i]) <= 1e-4 * s2[i] + 1e-6);
  assert.throws(() => melSpectrogram(pcm, { nFft: 0 }), /nFft/);
  assert.throws(() => melSpectrogram(pcm, { fmin: 5000, fmax: 100 }), /fmin/);
  assert.deepEqual(DEFAULT_MEL_OPTIONS.nMels, 128);
});

test("winLength < nFft: Hann zero-padded and centred", () => {
  const pcm = fixtureF32("white_noise_2s.pcm.f32");
  const full = stftPower(pcm, { winLength: 2048 });
  const short = stftPower(pcm, { winLength: 1024 });
  assert.equal(full.nFrames, short.nFrames);
  // A 1024-sample window carries about half the energy of a 2048 one on white noise.
  let e1 = 0, e2 = 0;
  for (let i = 0; i < full.data.length; i++) { e1 += full.data[i]; e2 += short.data[i]; }
  assert.ok(Math.abs(e2 / e1 - 0.5) < 0.05, `energy ratio ${e2 / e1}`);
});

test("RealFFT equals a direct DFT (powers of two and other sizes)", () => {
  for (const n of [2, 4, 8, 32, 512, 2048, 4096, 6, 100]) {
    const fft = new RealFFT(n);
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.sin(i * 1.7) + 0.3 * Math.cos(i * i * 0.01);
    const re = new Float64Array(fft.nBins);
    const im = new Float64Array(fft.nBins);
    fft.forward(x, re, im);
    for (let k = 0; k < fft.nBins; k++) {
      let sr = 0, si = 0;
      for (let t = 0; t < n; t++) {
        sr += x[t] * Math.cos((2 * Math.PI * k * t) / n);
        si -= x[t] * Math.sin((2 * Math.PI * k * t) / n);
      }
      assert.ok(Math.abs(re[k] - sr) < 1e-9 * n && Math.abs(im[k] - si) < 1e-9 * n, `n=${n} k=${k}`);
    }
  }
  assert.throws(() => new RealFFT(1), /size/);
});

test("WebAssembly paired FFT equals the JS FFT (power spectra, odd frame counts, power 1)", () => {
  assert.ok(PairedPowerFFT.create(2048), "WebAssembly SIMD is available in Node 20");
  for (const name of ["white_noise_2s", "impulse_short", "tone_burst_1s"]) {
    const pcm = fixtureF32(`${name}.pcm.f32`);
    for (const opts of [{}, { power: 1 }, { nFft: 1024, hopLength: 300 }, { nFft: 512, winLength: 400 }]) {
      const simd = stftPower(pcm, opts);
      setMelSimd(false);
      let js: ReturnType<typeof stftPower>;
      try {
        js = stftPower(pcm, opts);
      } finally {
        setMelSimd(true);
      }
      assert.equal(simd.nFrames, js.nFrames);
      const err = maxRelativeError(simd.data, js.data, 1e-9);
      assert.ok(err < 1e-6, `${name} ${JSON.stringify(opts)}: relative error ${err}`);
    }
  }
});

test("WebAssembly mel kernel equals the JS path (center on/off, odd frame counts, other sizes)", () => {
  for (const name of ["white_noise_2s", "impulse_short", "tone_burst_1s", "silence_1s"]) {
    const pcm = fixtureF32(`${name}.pcm.f32`);
    for (const opts of [{}, { center: false }, { nFft: 1024, hopLength: 300, nMels: 64 }, { nFft: 512, winLength: 400, htk: true, nMels: 40 }]) {
      if (opts.center === false && pcm.length < 2048) continue;
      const simd = melSpectrogram(pcm, opts);
      setMelSimd(false);
      let js: ReturnType<typeof melSpectrogram>;
      try {
        js = melSpectrogram(pcm, opts);
      } finally {
        setMelSimd(true);
      }
      assert.deepEqual([simd.nMels, simd.nFrames], [js.nMels, js.nFrames]);
      const err = maxRelativeError(simd.data, js.data, 1e-9);
      assert.ok(err < 1e-6, `${name} ${JSON.stringify(opts)}: relative error ${err}`);
    }
  }
});

test("cropColumns helper sanity (used by the full-size tests)", () => {
  const a = new Float32Array([1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(cropColumns(a, 2, 3, 1, 2)), [2, 3, 5, 6]);
});
