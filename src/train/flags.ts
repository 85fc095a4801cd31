// `fmalab train`'s options as data: the flag table and parsed flag values → a checked TrainConfigInput.
// Here rather than in src/cli so that sweeps (src/cluster/sweep.ts, whose spec options are these flags in
// camelCase) turn a grid point into a training input the same way from the CLI and from a notebook.
import { UsageError } from "../util/errors";
import { DEFAULT_MODEL } from "../models/zoo";
import type { BackendName } from "../tf/backend";
import { DEFAULT_TRAIN_CONFIG, QUICK_TRAIN_PRESET, type TrainConfigInput } from "./config";

const d = DEFAULT_TRAIN_CONFIG;

/** The options of `fmalab train` (a sweep spec's options are these, in camelCase). */
export const TRAIN_OPTIONS = {
  model: { type: "string" },
  data: { type: "string" },
  cache: { type: "string" },
  runs: { type: "string" },
  "run-id": { type: "string" },
  resume: { type: "string" },
  epochs: { type: "string" },
  batch: { type: "string" },
  lr: { type: "string" },
  "weight-decay": { type: "string" },
  seed: { type: "string" },
  "class-weights": { type: "boolean" },
  mixup: { type: "string" },
  specaugment: { type: "boolean" },
  "time-stretch": { type: "string" },
  "pitch-shift": { type: "string" },
  noise: { type: "string" },
  "eval-crops": { type: "string" },
  "crops-per-track": { type: "string" },
  "max-tracks": { type: "string" },
  patience: { type: "string" },
  "lr-patience": { type: "string" },
  backend: { type: "string" },
  threads: { type: "string" },
  replicas: { type: "string" },
  "no-eval": { type: "boolean" },
  quick: { type: "boolean" },
  quiet: { type: "boolean" },
} as const;

export type TrainValues = { [K in keyof typeof TRAIN_OPTIONS]?: (typeof TRAIN_OPTIONS)[K]["type"] extends "boolean" ? boolean : string };

/** A number flag ≥ min, naming the flag in the error. */
export function numberFlag(value: string | undefined, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number ≥ ${min}, got "${value}"`);
  return n;
}

/** An integer flag ≥ min (the CLI's intOption, which lives above this layer), naming the flag in the error. */
export function intFlag(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

export function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** The training input of a new run from parsed `fmalab train` flags (every value checked). */
export function trainInputFromValues(values: TrainValues, dataDefault: string): TrainConfigInput {
  if (values.backend !== undefined && !["tensorflow", "wasm", "cpu"].includes(values.backend)) {
    throw new UsageError(`--backend must be tensorflow, wasm or cpu, got "${values.backend}"`);
  }
  const augment: NonNullable<TrainConfigInput["augment"]> = {
    mixupAlpha: numberFlag(values.mixup, "mixup"),
    specAugment: values.specaugment ? true : undefined,
    timeStretch: numberFlag(values["time-stretch"], "time-stretch"),
    pitchShiftBins: values["pitch-shift"] === undefined ? undefined : intFlag(values["pitch-shift"], "pitch-shift", 0, 0),
    noiseStd: numberFlag(values.noise, "noise"),
  };
  const explicit: TrainConfigInput = {
    model: values.model ?? DEFAULT_MODEL,
    data: values.data ?? dataDefault,
    cacheDir: values.cache,
    runId: values["run-id"],
    batchSize: values.batch === undefined ? undefined : intFlag(values.batch, "batch", d.batchSize),
    lr: numberFlag(values.lr, "lr", Number.MIN_VALUE),
    weightDecay: numberFlag(values["weight-decay"], "weight-decay"),
    seed: values.seed === undefined ? undefined : intFlag(values.seed, "seed", 0, 0),
    classWeights: values["class-weights"] ? true : undefined,
    augment,
    evalCrops: values["eval-crops"] === undefined ? undefined : intFlag(values["eval-crops"], "eval-crops", d.evalCrops),
    trainCropsPerTrack: values["crops-per-track"] === undefined ? undefined : intFlag(values["crops-per-track"], "crops-per-track", 1),
    maxTracksPerSplit: values["max-tracks"] === undefined ? undefined : intFlag(values["max-tracks"], "max-tracks", 1),
    earlyStopping: { patience: values.patience === undefined ? undefined : intFlag(values.patience, "patience", 0, 0) },
    reduceLrOnPlateau: { patience: values["lr-patience"] === undefined ? undefined : intFlag(values["lr-patience"], "lr-patience", 0, 0) },
    replicas: values.replicas === undefined ? undefined : intFlag(values.replicas, "replicas", 1),
    runsDir: values.runs ?? d.runsDir,
    epochs: values.epochs === undefined ? undefined : intFlag(values.epochs, "epochs", d.epochs),
    backend: values.backend as BackendName | undefined,
    threads: values.threads === undefined ? undefined : intFlag(values.threads, "threads", 1),
    evaluateAtEnd: values["no-eval"] ? false : undefined,
  };
  // Options left out are undefined here: drop them so the preset's values stay.
  return { ...(values.quick ? QUICK_TRAIN_PRESET : {}), ...stripUndefined(explicit) } as TrainConfigInput;
}
