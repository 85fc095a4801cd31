// Labelled examples for training and evaluation, read on demand from a spectrogram reader (the cache,
// or memory in tests): no whole-dataset tensor is ever built. One batch = a few Float32Arrays.
// The contracts of both eval and train (Example, InputBuilder, TrainingData): they live in models, below both.
import { UsageError } from "../util/errors";
import type { Rng } from "../util/random";
import type { Spectrogram } from "../features/melspec";
import { FMA_SMALL_GENRES, SPLITS, type Split } from "../data/schema";
import {
  augmentedCrop,
  cropFrames,
  evenlySpacedStarts,
  addGaussianNoise,
  type AugmentConfig,
} from "./augment";

// Spectrograms are src/features/melspec's: dB (ref = clip max, so values in [−80, 0]), mel-major,
// data[m * nFrames + t].

export interface LabelledTrack {
  trackId: number;
  split: Split;
  /** genre_top title. */
  genre: string;
}

/** Where examples come from: the spectrogram cache, or memory. */
export interface SpectrogramReader {
  spectrogram(trackId: number): Spectrogram;
  /** The track's summary-feature vector (features models), or null when not computed. */
  features(trackId: number): Float32Array | null;
}

export interface TrainingData {
  /** What was opened (dataset folder, or "memory"). */
  source: string;
  /** Usable tracks (cache entry ok, genre_top and split known). */
  tracks: LabelledTrack[];
  /** Tracks left out and why (failed or missing cache entry, no genre_top ...). */
  excluded: Array<{ trackId: number; reason: string }>;
  reader: SpectrogramReader;
  /** Mel bands of the cached spectrograms (null when unknown). */
  nMels: number | null;
  /** The cache folder, when read from one. */
  cacheDir?: string;
  /** What the splits hold when they are not the dataset's own (a smoke run, a re-split): recorded in the run. */
  splits?: { mode: "official" | "smoke" | "resplit"; summary: string };
}

/** Training data held in memory (tests, notebooks with a handful of clips). */
export function inMemoryTrainingData(
  entries: ReadonlyArray<LabelledTrack & { spectrogram: Spectrogram; features?: Float32Array | null }>,
  source = "memory",
): TrainingData {
  const byId = new Map(entries.map((e) => [e.trackId, e]));
  const nMels = entries.length ? entries[0].spectrogram.nMels : null;
  return {
    source,
    tracks: entries.map(({ trackId, split, genre }) => ({ trackId, split, genre })),
    excluded: [],
    nMels,
    reader: {
      spectrogram(trackId) {
        const e = byId.get(trackId);
        if (!e) throw new Error(`track ${trackId} is not in the in-memory data`);
        return e.spectrogram;
      },
      features(trackId) {
        return byId.get(trackId)?.features ?? null;
      },
    },
  };
}

/**
 * The class list: fma_small's 8 genres (in the seed's alphabetical order) when every track's genre is
 * one of them, else the sorted set of genres found.
 */
export function chooseClasses(tracks: readonly LabelledTrack[]): string[] {
  const found = new Set(tracks.map((t) => t.genre));
  const small: readonly string[] = FMA_SMALL_GENRES;
  if ([...found].every((g) => small.includes(g))) return small.filter((g) => found.has(g));
  return [...found].sort();
}

/**
 * At most `max` tracks per split, stratified: genres take turns (in class order), each giving its
 * tracks in track-id order, so a small sample still has every genre and is the same on every run.
 */
export function limitTracksPerSplit(tracks: readonly LabelledTrack[], max: number): LabelledTrack[] {
  const out: LabelledTrack[] = [];
  for (const split of SPLITS) {
    const byGenre = new Map<string, LabelledTrack[]>();
    for (const t of tracks) {
      if (t.split !== split) continue;
      if (!byGenre.has(t.genre)) byGenre.set(t.genre, []);
      byGenre.get(t.genre)!.push(t);
    }
    const queues = [...byGenre.keys()].sort().map((g) => byGenre.get(g)!.sort((a, b) => a.trackId - b.trackId));
    let taken = 0;
    for (let round = 0; taken < max; round++) {
      let any = false;
      for (const q of queues) {
        if (round < q.length && taken < max) {
          out.push(q[round]);
          taken++;
          any = true;
        }
      }
      if (!any) break;
    }
  }
  return out;
}

/** Throws a UsageError naming every (split, genre) pair with no example. */
export function checkSplitCoverage(tracks: readonly LabelledTrack[], classes: readonly string[], source: string): void {
  const missing: string[] = [];
  for (const split of SPLITS) {
    const present = new Set(tracks.filter((t) => t.split === split).map((t) => t.genre));
    if (present.size === 0) {
      missing.push(`the ${split} split has no usable tracks at all`);
      continue;
    }
    for (const g of classes) if (!present.has(g)) missing.push(`the ${split} split has no tracks of genre "${g}"`);
  }
  if (missing.length) {
    throw new UsageError(
      `${source}: cannot train: ${missing.join("; ")}. Every genre needs tracks in training, validation and test ` +
        `(use more data, or a larger --max-tracks).`,
    );
  }
}

export interface Example {
  trackId: number;
  label: number;
}

export function examplesOf(tracks: readonly LabelledTrack[], classes: readonly string[], split: Split): Example[] {
  return tracks
    .filter((t) => t.split === split)
    .map((t) => {
      const label = classes.indexOf(t.genre);
      if (label < 0) throw new Error(`track ${t.trackId}: genre "${t.genre}" is not one of the run's classes`);
      return { trackId: t.trackId, label };
    });
}

/** Balanced class weights n / (k · n_c) over `examples` (sklearn's "balanced"). */
export function balancedClassWeights(examples: readonly Example[], numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const e of examples) counts[e.label]++;
  return counts.map((c) => (c > 0 ? examples.length / (numClasses * c) : 0));
}

/** What a model takes as input (a subset of the model zoo's ModelSpec.input). */
export interface ModelInput {
  kind: "seed-image" | "logmel" | "features";
  height: number;
  width: number;
  channels: number;
}

/** Input statistics computed from the training split and stored in the run (features models). */
export interface InputNormalisation {
  featureMean?: number[];
  featureStd?: number[];
}

/** Mean and std per dimension of the training tracks' feature vectors (std 0 → 1). */
export function featureNormalisation(reader: SpectrogramReader, trackIds: readonly number[]): InputNormalisation {
  let sum: Float64Array | null = null;
  let sumSq: Float64Array | null = null;
  let n = 0;
  for (const id of trackIds) {
    const f = reader.features(id);
    if (!f) throw new UsageError(`track ${id} has no summary features in the cache; rebuild it with features enabled`);
    if (!sum || !sumSq) {
      sum = new Float64Array(f.length);
      sumSq = new Float64Array(f.length);
    }
    if (f.length !== sum.length) throw new Error(`track ${id}: feature vector has ${f.length} values, others ${sum.length}`);
    for (let i = 0; i < f.length; i++) {
      sum[i] += f[i];
      sumSq[i] += f[i] * f[i];
    }
    n++;
  }
  if (!sum || !sumSq || n === 0) throw new UsageError("no training tracks to compute feature statistics from");
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sumSq, (s, i) => {
    const v = s / n - mean[i] * mean[i];
    return v > 1e-12 ? Math.sqrt(v) : 1;
  });
  return { featureMean: mean, featureStd: std };
}

/** Builds model inputs for one track: one augmented example (training) or K crops (evaluation). */
export interface InputBuilder {
  kind: ModelInput["kind"];
  /** Values per example (height · width · channels). */
  exampleSize: number;
  /** Tensor shape of one example. */
  shape: number[];
  trainingExample(trackId: number, aug: AugmentConfig, rng: Rng): Float32Array;
  /** The `crops` evaluation examples of a track (always 1 for kinds without crops). */
  evaluationExamples(trackId: number, crops: number): Float32Array[];
}

/** A function turning a whole-clip spectrogram into the seed's 224×224×3 image (values 0–255). */
export type SeedImageFn = (spec: Spectrogram) => { data: Float32Array };

/**
 * An InputBuilder for a model input:
 * - logmel: `width` frames of the normalised log-mel, (db + 80) / 80; training takes a random crop
 *   (plus the configured augmentations), evaluation K evenly spaced crops. Needs nMels = height.
 * - seed-image: the seed's 224×224×3 image of the whole clip, divided by 255 (no crops: the seed
 *   imaged the full clip; only noise augmentation applies, in [0, 1] units).
 * - features: the summary-feature vector standardised with the training split's mean and std;
 *   noise augmentation in standardised units.
 */
export function makeInputBuilder(
  input: ModelInput,
  reader: SpectrogramReader,
  norm: InputNormalisation,
  seedImage?: SeedImageFn,
): InputBuilder {
  const exampleSize = input.height * input.width * input.channels;
  const shape = [input.height, input.width, input.channels];
  if (input.kind === "logmel") {
    if (input.channels !== 1) throw new Error(`logmel input must have 1 channel, got ${input.channels}`);
    const frames = input.width;
    const read = (trackId: number) => {
      const s = reader.spectrogram(trackId);
      if (s.nMels !== input.height) {
        throw new UsageError(`track ${trackId}: spectrogram has ${s.nMels} mel bands but the model expects ${input.height}`);
      }
      return s;
    };
    return {
      kind: "logmel",
      exampleSize,
      shape,
      trainingExample(trackId, aug, rng) {
        const s = read(trackId);
        return augmentedCrop(s.data, s.nMels, s.nFrames, frames, aug, rng);
      },
      evaluationExamples(trackId, crops) {
        const s = read(trackId);
        return evenlySpacedStarts(s.nFrames, frames, crops).map((start) => cropFrames(s.data, s.nMels, s.nFrames, start, frames));
      },
    };
  }
  if (input.kind === "seed-image") {
    if (!seedImage) throw new Error("seed-image models need the seedImage function (src/features/image)");
    const image = (trackId: number) => {
      const data = seedImage(reader.spectrogram(trackId)).data;
      if (data.length !== exampleSize) throw new Error(`seed image has ${data.length} values, the model expects ${exampleSize}`);
      const out = new Float32Array(exampleSize);
      for (let i = 0; i < exampleSize; i++) out[i] = data[i] / 255;
      return out;
    };
    return {
      kind: "seed-image",
      exampleSize,
      shape,
      trainingExample(trackId, aug, rng) {
        const x = image(trackId);
        return aug.noiseStd > 0 ? addGaussianNoise(x, aug.noiseStd, rng) : x;
      },
      evaluationExamples(trackId) {
        return [image(trackId)];
      },
    };
  }
  const mean = norm.featureMean;
  const std = norm.featureStd;
  if (!mean || !std) throw new Error("features models need the training split's feature mean and std");
  const standardised = (trackId: number) => {
    const f = reader.features(trackId);
    if (!f) throw new UsageError(`track ${trackId} has no summary features in the cache`);
    if (f.length !== exampleSize) throw new UsageError(`track ${trackId}: ${f.length} features but the model expects ${exampleSize}`);
    const out = new Float32Array(exampleSize);
    for (let i = 0; i < exampleSize; i++) out[i] = (f[i] - mean[i]) / std[i];
    return out;
  };
  return {
    kind: "features",
    exampleSize,
    shape,
    trainingExample(trackId, aug, rng) {
      const x = standardised(trackId);
      if (aug.noiseStd > 0) for (let i = 0; i < x.length; i++) x[i] += rng.normal(0, aug.noiseStd);
      return x;
    },
    evaluationExamples(trackId) {
      return [standardised(trackId)];
    },
  };
}
