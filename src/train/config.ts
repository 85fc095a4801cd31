// The training configuration: what `fmalab train` and `trainModel` take, stored as runs/<id>/config.json.
import { UsageError } from "../util/errors";
import type { BackendName } from "../tf/backend";
import { DEFAULT_SPECAUGMENT, NO_AUGMENTATION, type AugmentConfig, type SpecAugmentOptions } from "../models/augment";


export interface TrainConfig {
  /** Model zoo name (e.g. "mel_cnn4_128"). */
  model: string;
  /**
   * Build options for the zoo model: `width` scales the filter counts, `inputShape` changes
   * [height, width, channels] (for logmel: [n_mels, frames, 1]). For small test-sized variants.
   */
  modelOptions?: { width?: number; inputShape?: [number, number, number] };
  /** Dataset folder (tracks.csv, genres.csv, audio/). */
  data: string;
  /** Spectrogram cache folder (default: found from the dataset and the model's mel parameters). */
  cacheDir?: string;
  runsDir: string;
  /** Run folder name under runsDir (default: <model>-<UTC timestamp>). */
  runId?: string;
  epochs: number;
  batchSize: number;
  lr: number;
  /**
   * Decoupled weight decay (AdamW, Loshchilov & Hutter): after each Adam step every kernel (weights
   * of rank ≥ 2; not biases or batch-norm parameters) is multiplied by (1 − lr · weightDecay).
   */
  weightDecay: number;
  optimizer: "adam";
  /** true: balanced weights n / (k · n_c) from the training split; or one weight per class. */
  classWeights: boolean | number[];
  augment: AugmentConfig;
  /** Multiply lr by `factor` after `patience` epochs without a lower validation loss, not below minLr. */
  reduceLrOnPlateau: { factor: number; patience: number; minLr: number };
  /** Stop after `patience` epochs without a lower validation loss (0 = never). */
  earlyStopping: { patience: number };
  seed: number;
  backend?: BackendName;
  threads?: number;
  /**
   * Data-parallel replicas: each batch is split over this many model replicas, one per core (worker
   * threads; src/train/data-parallel.ts), and their gradients are combined into the batch's. 1 = off.
   * Batch norm then normalises each shard by its own statistics, so results differ between counts.
   */
  replicas: number;
  /** Crops per track at validation and test time; track probabilities = mean of the crops' softmax. */
  evalCrops: number;
  /** Random training crops per track per epoch (more steps per pass over the cache). */
  trainCropsPerTrack: number;
  /** Use at most this many tracks per split (stratified by genre), for quick runs. */
  maxTracksPerSplit?: number;
  /** Evaluate the best model on the test split when training ends. */
  evaluateAtEnd: boolean;
  /**
   * Training examples (centre crops, a fixed spread over the training split) used after every epoch
   * to recompute the batch-norm statistics exactly ("precise BN"); 0 = keep the running averages.
   * Why: the running variance starts at 1 and forgets it by 0.9 per step, so after a few dozen steps
   * it still overstates small activation variances several-fold and inference-mode predictions
   * collapse to one class, although training-mode accuracy is fine.
   */
  bnRecalibration: number;
}

export const DEFAULT_TRAIN_CONFIG: Omit<TrainConfig, "model" | "data"> = {
  runsDir: "runs",
  epochs: 12,
  batchSize: 32,
  lr: 1e-3,
  weightDecay: 1e-4,
  optimizer: "adam",
  classWeights: false,
  augment: { ...NO_AUGMENTATION },
  reduceLrOnPlateau: { factor: 0.5, patience: 2, minLr: 1e-5 },
  earlyStopping: { patience: 5 },
  seed: 0,
  replicas: 1,
  evalCrops: 5,
  trainCropsPerTrack: 1,
  evaluateAtEnd: true,
  bnRecalibration: 128,
};

/**
 * A ≈2.5-minute run of the default model (mel_cnn4_128, full width) on the embedded synthetic dataset
 * (400 tracks: 320/40/40), wasm backend, one core. Measured 2026-11-25 on this project's 2-core
 * machine: ≈36 s CPU per epoch (320 training crops ≈ 32 s, precise-BN pass + 40 × 3 validation
 * crops ≈ 4 s), ≈150 s CPU in all with the test evaluation; validation accuracy 62.5% after epoch 4,
 * test accuracy 47.5% [95% CI 32.5–62.5] (chance 12.5%). mel_cnn4_128 at width 0.5 runs ≈14.5 s per
 * epoch: 10 epochs (lr 2e-3) in the same time reached validation 70%, test 50%.
 */
export const QUICK_TRAIN_PRESET: Partial<TrainConfig> = {
  epochs: 4,
  batchSize: 32,
  lr: 1e-3,
  evalCrops: 3,
  trainCropsPerTrack: 1,
  bnRecalibration: 128,
};

export type TrainConfigInput = Partial<Omit<TrainConfig, "augment" | "reduceLrOnPlateau" | "earlyStopping">> & {
  model: string;
  data: string;
  augment?: Omit<Partial<AugmentConfig>, "specAugment"> & { specAugment?: Partial<SpecAugmentOptions> | boolean | null };
  reduceLrOnPlateau?: Partial<TrainConfig["reduceLrOnPlateau"]>;
  earlyStopping?: Partial<TrainConfig["earlyStopping"]>;
};

/** Fill defaults and check ranges; throws a UsageError naming the bad field. */
export function resolveTrainConfig(input: TrainConfigInput): TrainConfig {
  const d = DEFAULT_TRAIN_CONFIG;
  const augIn = input.augment ?? {};
  let specAugment: AugmentConfig["specAugment"];
  if (augIn.specAugment === true) specAugment = { ...DEFAULT_SPECAUGMENT };
  else if (augIn.specAugment === false || augIn.specAugment === null || augIn.specAugment === undefined) specAugment = null;
  else specAugment = { ...DEFAULT_SPECAUGMENT, ...augIn.specAugment };
  const config: TrainConfig = {
    ...d,
    ...stripUndefined(input),
    augment: { ...d.augment, ...stripUndefined(augIn), specAugment },
    reduceLrOnPlateau: { ...d.reduceLrOnPlateau, ...stripUndefined(input.reduceLrOnPlateau ?? {}) },
    earlyStopping: { ...d.earlyStopping, ...stripUndefined(input.earlyStopping ?? {}) },
  } as TrainConfig;
  const positiveInt = (v: number, name: string) => {
    if (!Number.isInteger(v) || v < 1) throw new UsageError(`training config: ${name} must be an integer ≥ 1, got ${v}`);
  };
  const nonNegative = (v: number, name: string) => {
    if (!(typeof v === "number" && v >= 0 && Number.isFinite(v))) throw new UsageError(`training config: ${name} must be a number ≥ 0, got ${v}`);
  };
  if (!config.model) throw new UsageError("training config: model is required");
  if (!config.data) throw new UsageError("training config: data (dataset folder) is required");
  positiveInt(config.epochs, "epochs");
  positiveInt(config.batchSize, "batchSize");
  positiveInt(config.evalCrops, "evalCrops");
  positiveInt(config.trainCropsPerTrack, "trainCropsPerTrack");
  positiveInt(config.replicas, "replicas");
  if (config.maxTracksPerSplit !== undefined) positiveInt(config.maxTracksPerSplit, "maxTracksPerSplit");
  if (!Number.isInteger(config.bnRecalibration) || config.bnRecalibration < 0) {
    throw new UsageError(`training config: bnRecalibration must be an integer ≥ 0, got ${config.bnRecalibration}`);
  }
  if (!(config.lr > 0)) throw new UsageError(`training config: lr must be > 0, got ${config.lr}`);
  nonNegative(config.weightDecay, "weightDecay");
  nonNegative(config.augment.mixupAlpha, "augment.mixupAlpha");
  nonNegative(config.augment.noiseStd, "augment.noiseStd");
  nonNegative(config.augment.pitchShiftBins, "augment.pitchShiftBins");
  if (!(config.augment.timeStretch >= 0 && config.augment.timeStretch < 1)) {
    throw new UsageError(`training config: augment.timeStretch must be in [0, 1), got ${config.augment.timeStretch}`);
  }
  if (config.optimizer !== "adam") throw new UsageError(`training config: optimizer must be "adam", got "${config.optimizer}"`);
  const p = config.reduceLrOnPlateau;
  if (!(p.factor > 0 && p.factor <= 1)) throw new UsageError(`training config: reduceLrOnPlateau.factor must be in (0, 1], got ${p.factor}`);
  nonNegative(p.patience, "reduceLrOnPlateau.patience");
  nonNegative(p.minLr, "reduceLrOnPlateau.minLr");
  nonNegative(config.earlyStopping.patience, "earlyStopping.patience");
  if (!Number.isInteger(config.seed)) throw new UsageError(`training config: seed must be an integer, got ${config.seed}`);
  if (config.backend !== undefined && !["tensorflow", "wasm", "cpu"].includes(config.backend)) {
    throw new UsageError(`training config: backend must be tensorflow, wasm or cpu, got "${config.backend}"`);
  }
  return config;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * Fields that must be equal for a checkpoint to be resumed with a config: everything that shapes the
 * model, the data, or the random stream (replicas: each shard draws its own dropout seeds). epochs may
 * grow (train longer); runsDir/runId/backend/threads and evaluateAtEnd may differ.
 */
export const RESUME_FIXED_FIELDS = [
  "model",
  "modelOptions",
  "batchSize",
  "lr",
  "weightDecay",
  "optimizer",
  "classWeights",
  "augment",
  "reduceLrOnPlateau",
  "earlyStopping",
  "seed",
  "evalCrops",
  "trainCropsPerTrack",
  "maxTracksPerSplit",
  "bnRecalibration",
  "replicas",
] as const;

/** Values a field had before it existed, for runs stored by older versions. */
const FIELD_DEFAULT_WHEN_ABSENT: Partial<Record<(typeof RESUME_FIXED_FIELDS)[number], unknown>> = { replicas: 1 };

/** Differences between a stored run config and a new one, as "field: stored → new" lines. */
export function resumeConflicts(stored: TrainConfig, wanted: TrainConfig): string[] {
  const out: string[] = [];
  for (const field of RESUME_FIXED_FIELDS) {
    const a = JSON.stringify(stored[field] ?? FIELD_DEFAULT_WHEN_ABSENT[field]);
    const b = JSON.stringify(wanted[field] ?? FIELD_DEFAULT_WHEN_ABSENT[field]);
    if (a !== b) out.push(`${field}: ${a ?? "unset"} in the run, ${b ?? "unset"} now`);
  }
  return out;
}
