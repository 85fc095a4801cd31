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
} from "../../src/models/augment";
import { chooseClasses, limitTracksPerSplit, balancedClassWeights, checkSplitCoverage, featureNormalisation, makeInputBuilder, type LabelledTrack } from "../../src/models/inputs";
import { scheduleAfterEpoch, type ScheduleState } from "../../src/train/train";
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

test("ReduceLROnPlateau and early stopping, epoch by epoch", () => {
  const cfg = { reduceLrOnPlateau: { factor: 0.5, patience: 2, minLr: 0.2 }, earlyStopping: { patience: 3 } };
  const s: ScheduleState = { epoch: 0, lr: 1, bestValLoss: Infinity, bestEpoch: null, sinceBest: 0, plateauWait: 0, stopped: false };
  const trace: string[] = [];
  // val losses: 1.0 (best), 0.9 (best), 0.95, 0.97 (2nd without improvement → lr 0.5), 0.8 (best), 0.85, 0.86 (lr 0.25), 0.9 (3rd → stop)
  for (const v of [1.0, 0.9, 0.95, 0.97, 0.8, 0.85, 0.86, 0.9]) {
    s.epoch++;
    const r = scheduleAfterEpoch(s, v, cfg);
    trace.push(`${s.epoch}:${r.improved ? "best" : "-"}:${s.lr}:${s.stopped ? "stop" : ""}`);
  }
  assert.deepEqual(trace, ["1:best:1:", "2:best:1:", "3:-:1:", "4:-:0.5:", "5:best:0.5:", "6:-:0.5:", "7:-:0.25:", "8:-:0.25:stop"]);
  assert.equal(s.bestEpoch, 5);
  // minLr floor: 0.25 × 0.5 = 0.125 → 0.2; at the floor the lr stays.
  const t: ScheduleState = { ...s, stopped: false, plateauWait: 1, sinceBest: 0 };
  scheduleAfterEpoch(t, 2, { ...cfg, earlyStopping: { patience: 0 } });
  assert.equal(t.lr, 0.2);
  t.plateauWait = 5;
  assert.equal(scheduleAfterEpoch(t, 2, { ...cfg, earlyStopping: { patience: 0 } }).lrChange, null);
  assert.equal(t.stopped, false);
});

test("input builders: seed-image scales 0–255 to 0–1 (whole clip, 1 crop); features are standardised", () => {
  const spec = { data: new Float32Array(4 * 10).fill(-40), nMels: 4, nFrames: 10 };
  const reader = { spectrogram: () => spec, features: () => Float32Array.from([2, 10]) };
  const image = makeInputBuilder({ kind: "seed-image", height: 2, width: 2, channels: 3 }, reader, {}, () => ({ data: new Float32Array(12).fill(51) }));
  const crops = image.evaluationExamples(1, 5);
  assert.equal(crops.length, 1);
  assert.ok(crops[0].every((v) => Math.abs(v - 0.2) < 1e-7));
  const feats = makeInputBuilder({ kind: "features", height: 1, width: 2, channels: 1 }, reader, { featureMean: [1, 20], featureStd: [0.5, 5] });
  assert.deepEqual(Array.from(feats.evaluationExamples(1, 3)[0]), [2, -2]); // (2−1)/0.5, (10−20)/5
  const norm = featureNormalisation({ ...reader, features: (id: number) => Float32Array.from(id === 1 ? [1, 5] : [3, 5]) }, [1, 2]);
  assert.deepEqual(norm, { featureMean: [2, 5], featureStd: [1, 1] }); // second dimension constant → std 1
  const logmel = makeInputBuilder({ kind: "logmel", height: 4, width: 6, channels: 1 }, reader, {});
  assert.equal(logmel.evaluationExamples(1, 3).length, 3);
  assert.ok(logmel.evaluationExamples(1, 1)[0].every((v) => v === 0.5));
  assert.throws(() => makeInputBuilder({ kind: "logmel", height: 8, width: 6, channels: 1 }, reader, {}).evaluationExamples(1, 1), /4 mel bands but the model expects 8/);
});
