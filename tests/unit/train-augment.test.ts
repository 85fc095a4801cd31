// Augmentations and input building on small hand-made spectrograms.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/util/random";
import {
  addGaussianNoise,
  augmentedCrop,
  cropFrames,
  cropResampled,
  evenlySpacedStarts,
  mixupBatch,
  normaliseDb,
  pitchShiftMel,
  sampleBeta,
  specAugment,
  NO_AUGMENTATION,
} from "../../src/train/augment";
import { chooseClasses, limitTracksPerSplit, balancedClassWeights, checkSplitCoverage, type LabelledTrack } from "../../src/train/examples";
import { resolveTrainConfig, resumeConflicts } from "../../src/train/config";

// 2 mels × 5 frames, dB: row 0 = [-80, -60, -40, -20, 0], row 1 = [0, -20, -40, -60, -80]
const DB = Float32Array.from([-80, -60, -40, -20, 0, 0, -20, -40, -60, -80]);

test("normalisation (db + 80) / 80 and plain crops, zero-padded past the end", () => {
  assert.equal(normaliseDb(-80), 0);
  assert.equal(normaliseDb(-40), 0.5);
  assert.equal(normaliseDb(-100), 0);
  assert.equal(normaliseDb(5), 1);
  // Frames 3..5 of each row; frame 5 is past the end → 0.
  assert.deepEqual(Array.from(cropFrames(DB, 2, 5, 3, 3)), [0.75, 1, 0, 0.25, 0, 0]);
});

test("time-stretch resamples linearly: 5 source frames onto 3", () => {
  // positions 0, 2, 4 of row 0 → 0, 0.5, 1; row 1 → 1, 0.5, 0
  assert.deepEqual(Array.from(cropResampled(DB, 2, 5, 0, 5, 3)), [0, 0.5, 1, 1, 0.5, 0]);
  // 3 source frames onto 5 → positions 0, 0.5, 1, 1.5, 2: row 0 = 0, .125, .25, .375, .5
  assert.deepEqual(Array.from(cropResampled(DB, 2, 5, 0, 3, 5)).slice(0, 5), [0, 0.125, 0.25, 0.375, 0.5]);
});

test("evenly spaced crop starts cover the clip; k = 1 is the centre", () => {
  assert.deepEqual(evenlySpacedStarts(1292, 128, 1), [582]);
  assert.deepEqual(evenlySpacedStarts(100, 20, 5), [0, 20, 40, 60, 80]);
  assert.deepEqual(evenlySpacedStarts(10, 20, 3), [0, 0, 0]);
});

test("pitch shift moves rows along the mel axis, filling with silence", () => {
  const crop = Float32Array.from([1, 2, 3, 4, 5, 6]); // 3 mels × 2 frames
  assert.deepEqual(Array.from(pitchShiftMel(crop, 3, 2, 1)), [0, 0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(pitchShiftMel(crop, 3, 2, -1)), [3, 4, 5, 6, 0, 0]);
});

test("SpecAugment masks whole bands and frame spans with the crop mean", () => {
  const nMels = 8;
  const frames = 10;
  const crop = Float32Array.from({ length: nMels * frames }, (_, i) => (i % 7) / 7);
  const mean = crop.reduce((a, b) => a + b, 0) / crop.length;
  const out = specAugment(crop.slice(), nMels, frames, { timeMasks: 0, timeMaxWidth: 0, freqMasks: 1, freqMaxWidth: 8 }, new Rng(2));
  const maskedRows = [...Array(nMels).keys()].filter((m) => out.subarray(m * frames, (m + 1) * frames).every((v) => Math.abs(v - mean) < 1e-6));
  const changed = [...Array(nMels).keys()].filter((m) => out.subarray(m * frames, (m + 1) * frames).some((v, t) => v !== crop[m * frames + t]));
  assert.deepEqual(changed, maskedRows.filter((m) => changed.includes(m)));
  // Rows are contiguous.
  for (let i = 1; i < changed.length; i++) assert.equal(changed[i], changed[i - 1] + 1);
  // Time masks: each masked frame is masked in every row.
  const t = specAugment(crop.slice(), nMels, frames, { timeMasks: 2, timeMaxWidth: 4, freqMasks: 0, freqMaxWidth: 0 }, new Rng(9));
  for (let f = 0; f < frames; f++) {
    const col = [...Array(nMels).keys()].map((m) => t[m * frames + f] !== crop[m * frames + f] || Math.abs(t[m * frames + f] - mean) < 1e-6);
    assert.ok(col.every((x) => x) || col.every((x, m) => !x || Math.abs(crop[m * frames + f] - mean) < 1e-6), `frame ${f}`);
  }
});

test("mixup: convex combination with soft labels; Beta(α, α) mean is 1/2", () => {
  const x = Float32Array.from([0, 0, 10, 10]); // 2 examples × 2 values
  const y = Float32Array.from([1, 0, 0, 1]);
  const lambda = mixupBatch(x, y, 2, 0.4, new Rng(3));
  assert.ok(lambda >= 0.5 && lambda <= 1);
  const rowSums = [y[0] + y[1], y[2] + y[3]];
  rowSums.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-6));
  // Each example is λ·itself + (1 − λ)·its partner (partner = itself or the other).
  for (let i = 0; i < 2; i++) {
    const self = i === 0 ? 0 : 10;
    const candidates = [self, lambda * self + (1 - lambda) * (10 - self)];
    assert.ok(candidates.some((c) => Math.abs(x[i * 2] - c) < 1e-4), `example ${i}: ${x[i * 2]} not in ${candidates}`);
  }
  const rng = new Rng(1);
  let sum = 0;
  for (let i = 0; i < 4000; i++) sum += sampleBeta(0.4, rng);
  assert.ok(Math.abs(sum / 4000 - 0.5) < 0.03);
});

test("augmentation is seeded: same Rng state, same crop; noise stays in [0, 1]", () => {
  const db = Float32Array.from({ length: 16 * 60 }, (_, i) => -80 + ((i * 37) % 80));
  const aug = { ...NO_AUGMENTATION, specAugment: { timeMasks: 1, timeMaxWidth: 4, freqMasks: 1, freqMaxWidth: 3 }, timeStretch: 0.2, pitchShiftBins: 2, noiseStd: 0.05 };
  const a = augmentedCrop(db, 16, 60, 16, aug, new Rng(5));
  const b = augmentedCrop(db, 16, 60, 16, aug, new Rng(5));
  const c = augmentedCrop(db, 16, 60, 16, aug, new Rng(6));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const noisy = addGaussianNoise(new Float32Array(100).fill(0.99), 0.5, new Rng(1));
  assert.ok(noisy.every((v) => v >= 0 && v <= 1));
});

test("classes, stratified limits, coverage errors and balanced class weights", () => {
  const tracks: LabelledTrack[] = [];
  let id = 1;
  for (const split of ["training", "validation", "test"] as const) {
    for (const [genre, n] of [["Rock", 6], ["Pop", 2], ["Folk", 1]] as const) for (let i = 0; i < n; i++) tracks.push({ trackId: id++, split, genre });
  }
  assert.deepEqual(chooseClasses(tracks), ["Folk", "Pop", "Rock"]); // fma_small order
  assert.deepEqual(chooseClasses([...tracks, { trackId: 999, split: "test", genre: "Blues" }]), ["Blues", "Folk", "Pop", "Rock"]);
  const limited = limitTracksPerSplit(tracks, 4);
  // Round robin Folk, Pop, Rock, then Pop → Folk 1, Pop 2, Rock 1 per split.
  const train = limited.filter((t) => t.split === "training").map((t) => t.genre);
  assert.deepEqual(train, ["Folk", "Pop", "Rock", "Pop"]);
  checkSplitCoverage(limited, ["Folk", "Pop", "Rock"], "x");
  assert.throws(() => checkSplitCoverage(limited.filter((t) => !(t.split === "test" && t.genre === "Folk")), ["Folk", "Pop", "Rock"], "x"), /test split has no tracks of genre "Folk"/);
  // Training: Rock 6, Pop 2, Folk 1 → n/(k·n_c) = 9/(3·1) = 3, 9/(3·2) = 1.5, 9/(3·6) = 0.5
  const ex = tracks.filter((t) => t.split === "training").map((t) => ({ trackId: t.trackId, label: ["Folk", "Pop", "Rock"].indexOf(t.genre) }));
  assert.deepEqual(balancedClassWeights(ex, 3), [3, 1.5, 0.5]);
});

test("config: defaults, range checks, resume conflicts", () => {
  const c = resolveTrainConfig({ model: "mel_cnn4_128", data: "d", augment: { specAugment: true } });
  assert.equal(c.augment.specAugment?.timeMasks, 2);
  assert.throws(() => resolveTrainConfig({ model: "m", data: "d", epochs: 0 }), /epochs must be an integer ≥ 1/);
  assert.throws(() => resolveTrainConfig({ model: "m", data: "d", lr: -1 }), /lr must be > 0/);
  const d = resolveTrainConfig({ model: "mel_cnn4_128", data: "d", epochs: 30, seed: 2 });
  const conflicts = resumeConflicts(c, d);
  assert.ok(conflicts.some((l) => l.startsWith("seed:")));
  assert.ok(conflicts.some((l) => l.startsWith("augment:")));
  assert.ok(!conflicts.some((l) => l.startsWith("epochs")));
});
