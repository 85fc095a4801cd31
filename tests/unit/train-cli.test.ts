// End to end on a tiny synthetic dataset: synth → spectrogram cache → `fmalab train` → `fmalab evaluate`,
// with the default model (128 mels × 128 frames) for one epoch on wasm (the cpu backend is far too slow for it).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateSyntheticDataset } from "../../src/data/synth";
import { buildSpectrogramCache } from "../../src/features/cache";
import { main } from "../../src/cli/main";
import { loadRun } from "../../src/train/runs";
import { openTrainingData } from "../../src/train/sources";
import { captured } from "../helpers/capture";


test("synthetic dataset → cache → fmalab train → fmalab evaluate", async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-train-cli-"));
  const dataDir = path.join(tmp, "synth");
  const cacheRoot = path.join(tmp, "cache");
  const runsDir = path.join(tmp, "runs");
  // 24 tracks = 3 per genre → 1 training, 1 validation, 1 test each; 3.5 s clips → 3 s crops of 130 frames.
  await generateSyntheticDataset(dataDir, { tracks: 24, duration: 3.5, workers: 1, progress: false });
  await buildSpectrogramCache({ dataDir, cacheRoot, clipSeconds: 3, workers: 0, silent: true, resampleQuality: "fast" });

  const data = openTrainingData({ data: dataDir, cacheDir: cacheRoot }, { kind: "logmel", height: 128, width: 128, channels: 1 });
  assert.equal(data.tracks.length, 24);
  assert.equal(data.nMels, 128);
  assert.equal(data.reader.spectrogram(data.tracks[0].trackId).nFrames, 130);

  // A 64-mel model input against this 128-mel cache root: findCache names the cache it has.
  assert.throws(() => openTrainingData({ data: dataDir, cacheDir: cacheRoot }, { kind: "logmel", height: 64, width: 128, channels: 1 }), /fmalab spectrograms --data/);

  const trained = await captured(() =>
    main(["train", "--data", dataDir, "--cache", cacheRoot, "--runs", runsDir, "--run-id", "e2e", "--epochs", "1", "--batch", "8", "--quick", "--backend", "wasm", "--quiet", "--specaugment", "--mixup", "0.2"]),
  );
  assert.equal(trained.code, 0, trained.err);
  assert.match(trained.err, /\| wasm( \+ [^|]+)? \|/);
  const summary = JSON.parse(trained.out.trim().split("\n").pop()!);
  assert.equal(summary.run, "e2e");
  assert.equal(summary.epochs, 1);
  const run = loadRun(path.join(runsDir, "e2e"));
  assert.equal(run.config.model.name, "mel_cnn4_128");
  assert.deepEqual(run.config.data.tracks, { training: 8, validation: 8, test: 8 });
  assert.ok(run.config.train.augment.specAugment);
  // --quick preset (evalCrops 3) under explicit options (epochs 1, batch 8).
  assert.deepEqual([run.config.train.evalCrops, run.config.train.epochs, run.config.train.batchSize], [3, 1, 8]);
  assert.equal(run.evaluation?.nTracks, 8);

  const evaluated = await captured(() => main(["evaluate", "--run", "e2e", "--runs", runsDir, "--backend", "wasm", "--crops", "1"]));
  assert.equal(evaluated.code, 0, evaluated.err);
  assert.match(evaluated.out, /track level: accuracy/);
  assert.match(evaluated.out, /confusion \(rows true/);
  assert.equal(loadRun(path.join(runsDir, "e2e")).evaluation?.crops, 1);

  // Resume a finished run with more epochs: trains epoch 2 only.
  const resumed = await captured(() => main(["train", "--resume", "e2e", "--runs", runsDir, "--epochs", "2", "--quiet", "--no-eval"]));
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(resumed.err, /resuming run e2e after epoch 1/);
  assert.equal(loadRun(path.join(runsDir, "e2e")).metrics.length, 2);
  assert.equal(loadRun(path.join(runsDir, "e2e")).config.train.epochs, 2);
  const refused = await captured(() => main(["train", "--resume", "e2e", "--runs", runsDir, "--seed", "9"]));
  assert.equal(refused.code, 2);
  assert.match(refused.err, /drop --seed/);
});
