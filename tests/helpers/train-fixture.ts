// Tiny in-memory training data and a tiny config for the training-loop tests: each genre lights up its
// own band of mel rows (plus noise), so a narrow CNN separates them within a few epochs on the cpu backend.
import { Rng } from "../../src/util/random";
import { inMemoryTrainingData, type LabelledTrack, type TrainingData } from "../../src/models/inputs";
import type { TrainConfigInput } from "../../src/train/config";
import type { Split } from "../../src/data/schema";

export const FIXTURE_GENRES = ["Folk", "Hip-Hop", "Rock"];

export interface FixtureOptions {
  genres?: string[];
  perGenre?: Partial<Record<Split, number>>;
  nMels?: number;
  nFrames?: number;
  seed?: number;
  withFeatures?: boolean;
}

export function fixtureData(opts: FixtureOptions = {}): TrainingData {
  const genres = opts.genres ?? FIXTURE_GENRES;
  const per = { training: 8, validation: 3, test: 4, ...(opts.perGenre ?? {}) };
  const nMels = opts.nMels ?? 16;
  const nFrames = opts.nFrames ?? 40;
  const rng = new Rng(opts.seed ?? 7);
  const entries: Array<LabelledTrack & { spectrogram: { data: Float32Array; nMels: number; nFrames: number }; features: Float32Array }> = [];
  let id = 1000;
  for (const split of ["training", "validation", "test"] as const) {
    genres.forEach((genre, g) => {
      for (let i = 0; i < per[split]; i++) {
        const data = new Float32Array(nMels * nFrames);
        const band0 = Math.floor((g * nMels) / genres.length);
        const band1 = Math.floor(((g + 1) * nMels) / genres.length);
        for (let m = 0; m < nMels; m++) {
          for (let t = 0; t < nFrames; t++) {
            const loud = m >= band0 && m < band1 && (t + g) % 3 !== 0;
            data[m * nFrames + t] = Math.max(-80, Math.min(0, (loud ? -15 : -60) + rng.normal(0, 8)));
          }
        }
        const features = Float32Array.from({ length: 6 }, (_, j) => (j === g ? 3 : 0) + rng.normal(0, 1));
        entries.push({ trackId: id++, split, genre, spectrogram: { data, nMels, nFrames }, features });
      }
    });
  }
  return inMemoryTrainingData(entries, "fixture");
}

/** A seconds-fast config: mel_cnn4_128 narrowed to width 1/8 on 16 mels × 16 frames, cpu backend. */
export function fixtureConfig(runsDir: string, overrides: Partial<TrainConfigInput> = {}): TrainConfigInput {
  return {
    model: "mel_cnn4_128",
    modelOptions: { width: 0.125, inputShape: [16, 16, 1] },
    data: "fixture",
    runsDir,
    runId: "fixture-run",
    epochs: 4,
    batchSize: 8,
    lr: 0.01,
    seed: 3,
    backend: "cpu",
    evalCrops: 3,
    augment: { specAugment: { timeMasks: 1, timeMaxWidth: 3, freqMasks: 1, freqMaxWidth: 2 }, mixupAlpha: 0.2, timeStretch: 0.1, pitchShiftBins: 1, noiseStd: 0.01 },
    earlyStopping: { patience: 0 },
    ...overrides,
  };
}
