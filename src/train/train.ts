// The training loop: a custom loop (not model.fit) so every random draw — shuffle order, crops,
// augmentation, mixup, dropout masks — comes from the run's one seeded Rng, whose state is saved with
// the model weights and the Adam moments in every epoch's checkpoint. Resuming a killed run therefore
// replays exactly what the uninterrupted run would have done (on the same backend).
//
// Determinism: weights are initialised from `seed` (the zoo's seeded initialisers); tfjs's Dropout
// draws its mask from Math.random unless the layer has a seed, and with a fixed seed it repeats the
// same mask every step, so before each step every Dropout layer gets a fresh seed from the run Rng.
// Same backend + same config + same data ⇒ same metrics and weights. Different backends (cpu, wasm,
// tensorflow) differ in floating-point summation order, so they agree only approximately.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../util/random";
import { UsageError } from "../util/errors";
import { shellCommand } from "../util/shell";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs";
import { ProgressBar } from "../util/progress";
import { initBackend, type BackendChoice, type BackendName } from "../tf/backend";
import { saveModel, loadModel } from "../tf/io";
import { getModelSpec, MODEL_ZOO } from "../models/zoo";
import type { ModelBuildOptions } from "../models/spec";
import { seedImage } from "../features/image";
import type { Split } from "../data/schema";
import { resolveTrainConfig, resumeConflicts, type TrainConfig, type TrainConfigInput } from "./config";
import {
  balancedClassWeights,
  checkSplitCoverage,
  chooseClasses,
  examplesOf,
  featureNormalisation,
  limitTracksPerSplit,
  makeInputBuilder,
  type Example,
  type InputBuilder,
  type InputNormalisation,
  type ModelInput,
  type TrainingData,
} from "../models/inputs";
import { mixupBatch } from "../models/augment";
import { checkpointAdvice, readJsonFile, readNamedArrays, recoverVerifiedDir, writeDirAtomic, writeNamedArrays, type NamedArray } from "./checkpoint";
import { checkRunId, defaultRunId, runSplitsOf, RUN_FILES, type EpochMetrics, type RunConfigFile, type RunSplits } from "./runs";
import { openTrainingData } from "./sources";
import { batchGradients, dropoutLayers } from "./step";
import { GradientReplicas, blasThreadsPerReplica } from "./data-parallel";
import { lossAndAccuracy, modelExampleShape, outputIsProbability, predictTracks } from "../eval/predict";
import { evaluateModel, type EvaluationResult } from "../eval/evaluate";

export { weightedCrossEntropy } from "./step";

export interface BatchProgress {
  epoch: number;
  batch: number;
  batches: number;
  /** Running mean over the epoch so far. */
  loss: number;
  acc: number;
}

export interface TrainOptions {
  onEpoch?(metrics: EpochMetrics): void | Promise<void>;
  onBatch?(progress: BatchProgress): void;
  /** Continue runs/<runId> from its last checkpoint (config must match; epochs may grow). */
  resume?: boolean;
  /** Data already opened (tests, notebooks); default: the dataset + spectrogram cache of config.data. */
  data?: TrainingData;
  /** Log lines (default: stderr). */
  log?(line: string): void;
  /** Draw the progress bar (default true). */
  progress?: boolean;
}

export interface RunRecord {
  id: string;
  dir: string;
  config: TrainConfig;
  classes: string[];
  metrics: EpochMetrics[];
  bestEpoch: number | null;
  bestValLoss: number;
  stoppedEarly: boolean;
  /** Epochs already done when this call started (0 for a fresh run). */
  resumedAfterEpoch: number;
  backend: BackendChoice;
  evaluation: EvaluationResult | null;
  excluded: Array<{ trackId: number; reason: string }>;
  /** What the splits held (config.json data.splits): whether `evaluation` is a test score (hasHeldOutTest). */
  splits?: RunSplits;
}

/** checkpoint/state.json. */
interface CheckpointState {
  format: "fmalab-checkpoint";
  version: 1;
  runId: string;
  model: string;
  classes: string[];
  /** Completed epochs. */
  epoch: number;
  /** Learning rate for the next epoch. */
  lr: number;
  bestValLoss: number | null;
  bestEpoch: number | null;
  /** Epochs since the last val-loss improvement (early stopping) and since the last lr change or improvement (plateau). */
  sinceBest: number;
  plateauWait: number;
  stopped: boolean;
  rngState: number;
  optimizerIterations: number;
  /**
   * Adam's running β₁ᵗ, β₂ᵗ exactly as float32 (setWeights recomputes them with pow(), which differs
   * in the last bits from the product the uninterrupted run accumulated).
   */
  adamAccBeta: [number, number];
  metrics: EpochMetrics[];
}

interface LoopState extends ScheduleState {
  metrics: EpochMetrics[];
}

/** The zoo model's input with the config's inputShape override (features: dim from the data). */
export function modelInputFor(config: Pick<TrainConfig, "model" | "modelOptions">, featureDim?: number): ModelInput {
  const spec = getModelSpec(config.model);
  const shape = config.modelOptions?.inputShape;
  const input: ModelInput = { ...spec.input };
  if (shape) Object.assign(input, { height: shape[0], width: shape[1], channels: shape[2] });
  if (input.kind === "features" && featureDim !== undefined) Object.assign(input, { height: 1, width: featureDim, channels: 1 });
  return input;
}

function checkModelName(name: string): void {
  if (!MODEL_ZOO[name]) {
    throw new UsageError(`unknown model "${name}"; known models: ${Object.keys(MODEL_ZOO).join(", ")}`);
  }
}

/** Trainable kernels (rank ≥ 2) get decoupled weight decay; biases and batch-norm parameters do not. */
function decayedVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.filter((w) => w.shape.length >= 2).map((w) => w.read() as tf.Variable);
}

/** Give every Dropout layer a fresh seed from the run Rng (see the file comment). */
function reseedDropout(model: tf.LayersModel, rng: Rng): void {
  for (const layer of dropoutLayers(model)) layer.seed = rng.nextUint32();
}

/**
 * "Precise BN": recompute every BatchNormalization layer's moving mean and variance as the exact
 * average of the batch statistics over `count` training examples (centre crops, spread evenly over
 * `examples`), by running them through the model in training mode with momentum (k−1)/k on batch k.
 * Deterministic (no Rng draws; dropout gets fixed seeds), so resume stays exact. Weights are untouched.
 */
export function recalibrateBatchNorm(
  model: tf.LayersModel,
  builder: InputBuilder,
  examples: readonly Example[],
  count: number,
  batchSize: number,
): number {
  const bns = model.layers.filter((l) => l.getClassName() === "BatchNormalization") as unknown as Array<{ momentum: number }>;
  const n = Math.min(count, examples.length);
  if (bns.length === 0 || n === 0) return 0;
  const shape = modelExampleShape(model);
  const size = shape.reduce((a, b) => a * b, 1);
  const picks = Array.from({ length: n }, (_, i) => examples[Math.floor((i * examples.length) / n)]);
  const saved = bns.map((l) => l.momentum);
  const dropouts = dropoutLayers(model);
  try {
    for (let start = 0, k = 1; start < n; start += batchSize, k++) {
      const batch = picks.slice(start, start + batchSize);
      const x = new Float32Array(batch.length * size);
      batch.forEach((e, i) => x.set(builder.evaluationExamples(e.trackId, 1)[0], i * size));
      for (const l of bns) l.momentum = (k - 1) / k;
      dropouts.forEach((d, j) => (d.seed = 0x5eed + 7919 * k + j));
      tf.tidy(() => {
        model.apply(tf.tensor(x, [batch.length, ...shape]), { training: true });
      });
    }
  } finally {
    bns.forEach((l, i) => (l.momentum = saved[i]));
  }
  return n;
}

async function namedArrays(tensors: Array<{ name: string; tensor: tf.Tensor }>): Promise<NamedArray[]> {
  const out: NamedArray[] = [];
  for (const { name, tensor } of tensors) {
    const dtype = tensor.dtype === "int32" ? "int32" : "float32";
    const data = (await tensor.data()) as Float32Array | Int32Array;
    out.push({ name, shape: tensor.shape.slice(), dtype, data: dtype === "int32" ? Int32Array.from(data) : Float32Array.from(data) });
  }
  return out;
}

/** Write checkpoint/ atomically: model weights, Adam state, loop state with the Rng position. */
async function writeCheckpoint(
  runDir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  state: CheckpointState,
): Promise<void> {
  const modelWeights = await namedArrays(model.weights.map((w, i) => ({ name: w.originalName ?? w.name ?? String(i), tensor: w.read() })));
  const optimizerState = await optimizer.getWeights();
  const optWeights = await namedArrays(optimizerState.map((w) => ({ name: w.name, tensor: w.tensor })));
  // getWeights() makes a new scalar for the iteration count (the rest are the optimizer's own variables).
  optimizerState.filter((w) => w.name === "iter").forEach((w) => w.tensor.dispose());
  await writeDirAtomic(path.join(runDir, RUN_FILES.checkpoint), (dir) => {
    writeNamedArrays(dir, "model-weights", modelWeights);
    writeNamedArrays(dir, "optimizer-weights", optWeights);
    writeJsonAtomic(path.join(dir, "state.json"), state);
  });
}

interface LoadedCheckpoint {
  state: CheckpointState;
  modelWeights: NamedArray[];
  optimizerWeights: NamedArray[];
}

/** Read and check checkpoint/ against the run and model; errors say which file and what is wrong. */
function readCheckpoint(runDir: string, runId: string, config: TrainConfig, classes: string[]): LoadedCheckpoint | null {
  const dir = path.join(runDir, RUN_FILES.checkpoint);
  if (!recoverVerifiedDir(dir, checkpointAdvice(runDir, runId))) return null;
  const stateFile = path.join(dir, "state.json");
  const state = readJsonFile<CheckpointState>(stateFile, "checkpoint state");
  const problem = (what: string) => new UsageError(`cannot resume run "${runId}": ${stateFile}: ${what}`);
  if (state.format !== "fmalab-checkpoint") throw problem("not an fmalab checkpoint");
  if (state.model !== config.model) throw problem(`the checkpoint is of model "${state.model}", the run config says "${config.model}"`);
  if (JSON.stringify(state.classes) !== JSON.stringify(classes)) {
    throw problem(`the checkpoint's classes (${state.classes?.join(", ")}) differ from the run's (${classes.join(", ")})`);
  }
  if (!Number.isInteger(state.epoch) || state.epoch < 0 || !Array.isArray(state.metrics) || state.metrics.length !== state.epoch) {
    throw problem(`inconsistent epoch count (${state.epoch}) and metrics (${state.metrics?.length})`);
  }
  if (typeof state.rngState !== "number" || !(state.lr > 0)) throw problem("missing rngState or lr");
  let modelWeights: NamedArray[];
  let optimizerWeights: NamedArray[];
  try {
    modelWeights = readNamedArrays(dir, "model-weights");
    optimizerWeights = readNamedArrays(dir, "optimizer-weights");
  } catch (err) {
    throw new UsageError(`cannot resume run "${runId}": ${(err as Error).message}`);
  }
  return { state, modelWeights, optimizerWeights };
}

/** Put checkpoint weights into the model, checking count and shapes first. */
function restoreModelWeights(model: tf.LayersModel, weights: NamedArray[], where: string): void {
  const own = model.weights;
  if (own.length !== weights.length) {
    throw new UsageError(`${where}: the checkpoint has ${weights.length} weight tensors, model ${model.name} has ${own.length} (a different model?)`);
  }
  own.forEach((w, i) => {
    if (JSON.stringify(w.shape) !== JSON.stringify(weights[i].shape)) {
      throw new UsageError(`${where}: weight ${i} (${weights[i].name}) has shape [${weights[i].shape}], the model's ${w.name} is [${w.shape}]`);
    }
  });
  const tensors = weights.map((w) => tf.tensor(w.data, w.shape, w.dtype));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

async function restoreOptimizer(
  optimizer: tf.Optimizer,
  weights: NamedArray[],
  accBeta: [number, number] | undefined,
  vars: tf.Variable[],
  where: string,
): Promise<void> {
  if (weights.length === 0) return;
  const moments = weights.length - 1;
  if (weights[0].name !== "iter" || moments !== 2 * vars.length) {
    throw new UsageError(`${where}: optimizer state has ${moments} moment tensors, expected ${2 * vars.length} (Adam m and v per trainable weight)`);
  }
  for (let i = 0; i < vars.length; i++) {
    for (const w of [weights[1 + i], weights[1 + vars.length + i]]) {
      if (JSON.stringify(w.shape) !== JSON.stringify(vars[i].shape)) {
        throw new UsageError(`${where}: optimizer tensor ${w.name} has shape [${w.shape}], the weight is [${vars[i].shape}]`);
      }
    }
  }
  const named = weights.map((w) => ({ name: w.name, tensor: tf.tensor(w.data, w.shape, w.dtype) }));
  await optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor));
  if (accBeta) {
    const adam = optimizer as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
    tf.tidy(() => {
      adam.accBeta1.assign(tf.scalar(accBeta[0]));
      adam.accBeta2.assign(tf.scalar(accBeta[1]));
    });
  }
}

function adamAccBeta(optimizer: tf.Optimizer): [number, number] {
  const adam = optimizer as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
  return [adam.accBeta1.dataSync()[0], adam.accBeta2.dataSync()[0]];
}

function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  // AdamOptimizer reads this.learningRate on every step (tfjs 4.22), so changing it takes effect at once.
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

function writeMetrics(runDir: string, metrics: EpochMetrics[]): void {
  writeFileAtomic(path.join(runDir, RUN_FILES.metrics), metrics.map((m) => JSON.stringify(m)).join("\n") + (metrics.length ? "\n" : ""));
}

function countParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

/** The epoch-to-epoch schedule state (saved in checkpoints). */
export interface ScheduleState {
  epoch: number;
  lr: number;
  bestValLoss: number;
  bestEpoch: number | null;
  sinceBest: number;
  plateauWait: number;
  stopped: boolean;
}

/**
 * After epoch `state.epoch`: a lower validation loss than ever is an improvement (new best, counters
 * reset); otherwise ReduceLROnPlateau multiplies lr by `factor` (not below minLr) once `patience`
 * epochs passed without improvement since the last improvement or lr change, and early stopping
 * stops after `earlyStopping.patience` epochs without improvement. Updates `state` in place.
 */
export function scheduleAfterEpoch(
  state: ScheduleState,
  valLoss: number,
  config: Pick<TrainConfig, "reduceLrOnPlateau" | "earlyStopping">,
): { improved: boolean; lrChange: [number, number] | null } {
  if (valLoss < state.bestValLoss) {
    state.bestValLoss = valLoss;
    state.bestEpoch = state.epoch;
    state.sinceBest = 0;
    state.plateauWait = 0;
    return { improved: true, lrChange: null };
  }
  state.sinceBest++;
  state.plateauWait++;
  let lrChange: [number, number] | null = null;
  const p = config.reduceLrOnPlateau;
  if (p.patience > 0 && state.plateauWait >= p.patience && state.lr > p.minLr) {
    const next = Math.max(p.minLr, state.lr * p.factor);
    lrChange = [state.lr, next];
    state.lr = next;
    state.plateauWait = 0;
  }
  if (config.earlyStopping.patience > 0 && state.sinceBest >= config.earlyStopping.patience) state.stopped = true;
  return { improved: false, lrChange };
}

/** Everything prepared before the first step; building it runs every check that can reject a run. */
interface Prepared {
  config: TrainConfig;
  runId: string;
  runDir: string;
  data: TrainingData;
  classes: string[];
  examples: Record<Split, Example[]>;
  input: ModelInput;
  inputNorm: InputNormalisation;
  builder: InputBuilder;
  classWeights: number[] | null;
  runConfig: RunConfigFile | null;
}

function prepareData(config: TrainConfig, runId: string, data: TrainingData, stored: RunConfigFile | null, backend: BackendChoice): Prepared {
  const runDir = path.resolve(config.runsDir, runId);
  let tracks = data.tracks;
  if (config.maxTracksPerSplit !== undefined) tracks = limitTracksPerSplit(tracks, config.maxTracksPerSplit);
  const classes = stored?.classes ?? chooseClasses(tracks);
  const foreign = tracks.find((t) => !classes.includes(t.genre));
  if (foreign) {
    throw new UsageError(`${data.source}: track ${foreign.trackId} has genre "${foreign.genre}", not one of the run's classes (${classes.join(", ")})`);
  }
  checkSplitCoverage(tracks, classes, data.source);
  const examples = {
    training: examplesOf(tracks, classes, "training"),
    validation: examplesOf(tracks, classes, "validation"),
    test: examplesOf(tracks, classes, "test"),
  };
  const kind = getModelSpec(config.model).input.kind;
  let inputNorm: InputNormalisation = stored?.inputNorm ?? {};
  let featureDim: number | undefined;
  if (kind === "features") {
    if (!stored) inputNorm = featureNormalisation(data.reader, examples.training.map((e) => e.trackId));
    featureDim = inputNorm.featureMean?.length;
  }
  const input = modelInputFor(config, featureDim);
  if (kind === "logmel" && data.nMels !== null && data.nMels !== input.height) {
    throw new UsageError(
      `${data.cacheDir ?? data.source}: the spectrograms have ${data.nMels} mel bands but model ${config.model} expects ` +
        `${input.height}; build a matching cache (${shellCommand(["fmalab", "spectrograms", "--data", config.data, "--n-mels", input.height])}) ` +
        `or pass that cache with --cache`,
    );
  }
  const builder = makeInputBuilder(input, data.reader, inputNorm, kind === "seed-image" ? seedImage : undefined);
  // Read one example of each split now, so a broken cache entry fails before training, not mid-epoch.
  for (const split of ["training", "validation", "test"] as const) builder.evaluationExamples(examples[split][0].trackId, 1);
  let classWeights: number[] | null = null;
  if (config.classWeights === true) classWeights = balancedClassWeights(examples.training, classes.length);
  else if (Array.isArray(config.classWeights)) {
    if (config.classWeights.length !== classes.length) {
      throw new UsageError(`classWeights has ${config.classWeights.length} values for ${classes.length} classes (${classes.join(", ")})`);
    }
    classWeights = config.classWeights;
  }
  void backend;
  return { config, runId, runDir, data, classes, examples, input, inputNorm, builder, classWeights, runConfig: stored };
}

/** A run as opened by openRun: the checked config, the prepared data, the model and the loop state. */
interface OpenedRun {
  config: TrainConfig;
  runId: string;
  runDir: string;
  configFile: string;
  /** config.json as found (resume), or null for a fresh run. */
  stored: RunConfigFile | null;
  backend: BackendChoice;
  data: TrainingData;
  prep: Prepared;
  buildOptions: ModelBuildOptions;
  model: tf.LayersModel;
  penultimate: string | null;
  exampleShape: number[];
  exampleSize: number;
  trainVars: tf.Variable[];
  decayVars: tf.Variable[];
  optimizer: tf.Optimizer;
  rng: Rng;
  loop: LoopState;
  /** Epochs already done when this call started (0 for a fresh run). */
  resumedAfterEpoch: number;
}

/** What the epochs share besides the run: class-weight tensor, validation labels, the replicas. */
interface EpochContext {
  cwTensor: tf.Tensor1D | null;
  outputIsProb: boolean;
  valLabels: number[];
  replicas: GradientReplicas | null;
}

/**
 * Resolve the config and check the run folder: with `resume`, config.json must exist and match (epochs may
 * grow); without, the run id must be new.
 */
function checkRunFolder(input: TrainConfigInput | TrainConfig, resume: boolean) {
  let config = resolveTrainConfig(input as TrainConfigInput);
  checkModelName(config.model);
  const runId = config.runId ?? defaultRunId(config.model);
  checkRunId(runId);
  const runDir = path.resolve(config.runsDir, runId);
  const configFile = path.join(runDir, RUN_FILES.config);
  let stored: RunConfigFile | null = null;
  if (resume) {
    if (!fs.existsSync(configFile)) throw new UsageError(`cannot resume: no run "${runId}" in ${path.resolve(config.runsDir)} (no ${configFile})`);
    stored = readJsonFile<RunConfigFile>(configFile, "run config");
    if (stored.format !== "fmalab-run" || !stored.train) throw new UsageError(`cannot resume: ${configFile} is not an fmalab run config`);
    const conflicts = resumeConflicts(stored.train, config);
    if (conflicts.length) {
      throw new UsageError(`cannot resume run "${runId}" with a different configuration:\n  - ${conflicts.join("\n  - ")}`);
    }
    config = { ...config, cacheDir: config.cacheDir ?? stored.train.cacheDir };
  } else if (fs.existsSync(configFile)) {
    throw new UsageError(`run "${runId}" already exists in ${path.resolve(config.runsDir)}; continue it with --resume ${runId}, or choose another --run-id`);
  }
  return { config, runId, runDir, configFile, stored };
}

/** Restore weights, Adam state, Rng and loop state from checkpoint/ (resume), logging where it continues. */
async function restoreFromCheckpoint(run: OpenedRun, log: (line: string) => void): Promise<void> {
  const { runDir, runId, loop } = run;
  const ckpt = readCheckpoint(runDir, runId, run.config, run.prep.classes);
  if (!ckpt) {
    log(`run ${runId} has no checkpoint yet: starting it from epoch 1`);
    return;
  }
  const where = `cannot resume run "${runId}" (${path.join(runDir, RUN_FILES.checkpoint)})`;
  restoreModelWeights(run.model, ckpt.modelWeights, where);
  await restoreOptimizer(run.optimizer, ckpt.optimizerWeights, ckpt.state.adamAccBeta, run.trainVars, where);
  run.rng.setState(ckpt.state.rngState);
  Object.assign(loop, {
    epoch: ckpt.state.epoch,
    lr: ckpt.state.lr,
    bestValLoss: ckpt.state.bestValLoss ?? Infinity,
    bestEpoch: ckpt.state.bestEpoch,
    sinceBest: ckpt.state.sinceBest,
    plateauWait: ckpt.state.plateauWait,
    stopped: ckpt.state.stopped,
    metrics: ckpt.state.metrics,
  });
  writeMetrics(runDir, loop.metrics);
  log(`resuming run ${runId} after epoch ${loop.epoch} (lr ${loop.lr}, best val loss ${loop.bestValLoss.toFixed(4)})`);
}

/** Write config.json: a fresh run's full record, or a resumed run's new epoch count. */
function writeRunConfig(run: OpenedRun): void {
  const { config, runId, stored, prep, data } = run;
  const { examples } = prep;
  if (stored && stored.train.epochs !== config.epochs) {
    // Resumed to train longer (or shorter): config.json says how many epochs the run is meant to have.
    writeJsonAtomic(run.configFile, { ...stored, train: { ...stored.train, epochs: config.epochs } });
  }
  if (stored) return;
  const runConfig: RunConfigFile = {
    format: "fmalab-run",
    version: 1,
    id: runId,
    createdAt: new Date().toISOString(),
    train: { ...config, runId },
    classes: prep.classes,
    model: { name: config.model, input: prep.input, penultimateLayer: run.penultimate, params: countParams(run.model) },
    inputNorm: prep.inputNorm,
    classWeights: prep.classWeights,
    data: {
      source: data.source,
      cacheDir: data.cacheDir ?? null,
      tracks: { training: examples.training.length, validation: examples.validation.length, test: examples.test.length },
      trainingPerClass: prep.classes.map((_, c) => examples.training.filter((e) => e.label === c).length),
      excluded: data.excluded.length,
      excludedSample: data.excluded.slice(0, 50),
      splits: runSplitsOf((Object.keys(examples) as Split[]).flatMap((s) => examples[s].map((e) => ({ trackId: e.trackId, split: s }))), data.splits),
    },
    backend: run.backend,
  };
  writeJsonAtomic(run.configFile, runConfig);
}

/** The run's first log lines: model, engine, split sizes, excluded tracks, a hint when cores sit idle. */
function logRunStart(run: OpenedRun, log: (line: string) => void): void {
  const { config, runId, backend, data } = run;
  const { examples } = run.prep;
  log(
    `fmalab train: run ${runId} | model ${config.model} (${countParams(run.model).toLocaleString("en")} params) | ${backend.engine} | tracks ${examples.training.length}/${examples.validation.length}/${examples.test.length} ` +
      `(train/val/test)${data.excluded.length ? `, ${data.excluded.length} excluded` : ""}${data.splits && data.splits.mode !== "official" ? ` | splits: ${data.splits.summary}` : ""}`,
  );
  const cores = os.cpus().length;
  if (backend.backend === "wasm" && !backend.blas && config.replicas < cores) {
    log(`  wasm computes on one core; ${cores} cores here: --replicas ${cores} (data-parallel) splits each batch over ${cores} cores`);
  }
  for (const e of data.excluded.slice(0, 5)) log(`  excluded track ${e.trackId}: ${e.reason}`);
  if (data.excluded.length > 5) log(`  … ${data.excluded.length - 5} more excluded (the first 50 are listed in ${run.configFile})`);
}

/**
 * Open (or resume) a run: every check that can reject it, the backend, the data, the seeded model and
 * optimizer, the checkpoint's state when resuming, config.json and the first log lines. No step yet.
 */
async function openRun(input: TrainConfigInput | TrainConfig, options: TrainOptions, log: (line: string) => void): Promise<OpenedRun> {
  const { config, runId, runDir, configFile, stored } = checkRunFolder(input, options.resume === true);
  const backend = await initBackend({ backend: config.backend, threads: config.threads, log: false });
  const data = options.data ?? openTrainingData(config, modelInputFor(config));
  const prep = prepareData(config, runId, data, stored, backend);
  const buildOptions: ModelBuildOptions = {
    numClasses: prep.classes.length,
    seed: config.seed,
    width: config.modelOptions?.width,
    inputShape: config.modelOptions?.inputShape,
    inputDim: prep.input.kind === "features" ? prep.input.width : undefined,
  };
  const model = getModelSpec(config.model).build(buildOptions);
  const penultimate = getModelSpec(config.model).penultimateLayer ?? null;
  const exampleShape = modelExampleShape(model);
  const exampleSize = exampleShape.reduce((a, b) => a * b, 1);
  if (exampleSize !== prep.builder.exampleSize) {
    throw new UsageError(`model ${config.model} takes ${exampleSize} values per example, the ${prep.input.kind} input gives ${prep.builder.exampleSize}`);
  }
  const run: OpenedRun = {
    config,
    runId,
    runDir,
    configFile,
    stored,
    backend,
    data,
    prep,
    buildOptions,
    model,
    penultimate,
    exampleShape,
    exampleSize,
    trainVars: model.trainableWeights.map((w) => w.read() as tf.Variable),
    decayVars: decayedVariables(model),
    optimizer: tf.train.adam(config.lr),
    rng: new Rng(config.seed),
    loop: { epoch: 0, lr: config.lr, bestValLoss: Infinity, bestEpoch: null, sinceBest: 0, plateauWait: 0, stopped: false, metrics: [] },
    resumedAfterEpoch: 0,
  };
  if (options.resume) await restoreFromCheckpoint(run, log);
  run.resumedAfterEpoch = run.loop.epoch;
  writeRunConfig(run);
  logRunStart(run, log);
  return run;
}

/** Start the gradient worker threads when config.replicas > 1 (null: this thread computes alone). */
async function startReplicas(run: OpenedRun, outputIsProb: boolean, log: (line: string) => void): Promise<GradientReplicas | null> {
  const { config, backend } = run;
  if (config.replicas <= 1) return null;
  const replicas = await GradientReplicas.start(run.trainVars, {
    model: config.model,
    build: run.buildOptions,
    backend: backend.backend as BackendName,
    workers: config.replicas - 1,
    classWeights: run.prep.classWeights,
    outputIsProb,
  });
  const blasNote = backend.blas ? `, ${blasThreadsPerReplica(config.replicas)} BLAS thread(s) each` : "";
  log(`data-parallel: each batch split over ${config.replicas} replicas (${config.replicas - 1} worker thread${config.replicas === 2 ? "" : "s"} + this one${blasNote})`);
  return replicas;
}

/** One optimiser step on `batch`: build the (augmented, mixed-up) inputs, gradients, Adam, weight decay. */
async function trainBatch(run: OpenedRun, ctx: EpochContext, batch: Example[], where: string): Promise<{ loss: number; hits: number }> {
  const { config, model, rng, trainVars, exampleSize, exampleShape } = run;
  const k = run.prep.classes.length;
  const n = batch.length;
  const x = new Float32Array(n * exampleSize);
  const y = new Float32Array(n * k);
  batch.forEach((ex, i) => {
    x.set(run.prep.builder.trainingExample(ex.trackId, config.augment, rng), i * exampleSize);
    y[i * k + ex.label] = 1;
  });
  if (config.augment.mixupAlpha > 0) mixupBatch(x, y, n, config.augment.mixupAlpha, rng);
  let step: { loss: number; hits: number; grads: tf.NamedTensorMap };
  if (ctx.replicas) {
    step = await ctx.replicas.gradients(model, x, y, n, exampleShape, () => dropoutLayers(model).map(() => rng.nextUint32()));
  } else {
    reseedDropout(model, rng);
    step = batchGradients(model, trainVars, x, y, n, exampleShape, ctx.cwTensor, ctx.outputIsProb);
  }
  const { loss, hits, grads } = step;
  tf.tidy(() => {
    run.optimizer.applyGradients(trainVars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
    if (config.weightDecay > 0) {
      const keep = 1 - run.loop.lr * config.weightDecay;
      for (const v of run.decayVars) v.assign(tf.mul(v, keep));
    }
  });
  for (const g of Object.values(grads)) g.dispose();
  if (!Number.isFinite(loss)) throw new Error(`training diverged: loss is ${loss} at ${where} (try a lower --lr)`);
  return { loss, hits };
}

/** One epoch: shuffled batches, batch-norm recalibration, track-level validation. Returns its metrics. */
async function trainEpoch(run: OpenedRun, ctx: EpochContext, options: TrainOptions): Promise<EpochMetrics> {
  const { config, loop, rng, model } = run;
  const { examples, builder } = run.prep;
  const B = config.batchSize;
  const epoch = loop.epoch + 1;
  const started = Date.now();
  setLearningRate(run.optimizer, loop.lr);
  const order: Example[] = [];
  for (let r = 0; r < config.trainCropsPerTrack; r++) order.push(...examples.training);
  rng.shuffle(order);
  const batches = Math.ceil(order.length / B);
  const bar = new ProgressBar({ total: batches, label: `epoch ${epoch}/${config.epochs}`, unit: "batch", silent: options.progress === false });
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  for (let b = 0; b < batches; b++) {
    const batch = order.slice(b * B, (b + 1) * B);
    const step = await trainBatch(run, ctx, batch, `epoch ${epoch}, batch ${b + 1}`);
    lossSum += step.loss * batch.length;
    correct += step.hits;
    seen += batch.length;
    bar.tick(1, { loss: lossSum / seen, acc: correct / seen });
    options.onBatch?.({ epoch, batch: b + 1, batches, loss: lossSum / seen, acc: correct / seen });
  }
  recalibrateBatchNorm(model, builder, examples.training, config.bnRecalibration, B);
  const val = predictTracks(model, builder, examples.validation, { crops: config.evalCrops, batchSize: B });
  const { loss: valLoss, acc: valAcc } = lossAndAccuracy(val.trackProbs, ctx.valLabels);
  const metrics: EpochMetrics = {
    epoch,
    train_loss: lossSum / seen,
    train_acc: correct / seen,
    val_loss: valLoss,
    val_acc: valAcc,
    lr: loop.lr,
    seconds: (Date.now() - started) / 1000,
  };
  bar.finish({ loss: metrics.train_loss, acc: metrics.train_acc, val_loss: valLoss, val_acc: valAcc });
  return metrics;
}

/**
 * After an epoch: record its metrics, step the schedule (lr plateau, early stop), keep best/ on a new
 * lowest validation loss, and write checkpoint/ and metrics.jsonl.
 */
async function checkpointEpoch(run: OpenedRun, metrics: EpochMetrics, log: (line: string) => void): Promise<void> {
  const { config, loop, runDir, runId, model, optimizer } = run;
  const { epoch, val_loss: valLoss, val_acc: valAcc } = metrics;
  loop.metrics.push(metrics);
  loop.epoch = epoch;
  const step = scheduleAfterEpoch(loop, valLoss, config);
  if (step.improved) {
    await saveModel(model, path.join(runDir, RUN_FILES.best), { run: runId, epoch, val_loss: valLoss, val_acc: valAcc, classes: run.prep.classes });
  }
  if (step.lrChange) log(`epoch ${epoch}: no val-loss improvement for ${config.reduceLrOnPlateau.patience} epochs; lr ${step.lrChange[0]} → ${step.lrChange[1]}`);
  if (loop.stopped) log(`epoch ${epoch}: early stop (no val-loss improvement for ${loop.sinceBest} epochs; best epoch ${loop.bestEpoch})`);
  await writeCheckpoint(runDir, model, optimizer, {
    format: "fmalab-checkpoint",
    version: 1,
    runId,
    model: config.model,
    classes: run.prep.classes,
    epoch: loop.epoch,
    lr: loop.lr,
    bestValLoss: Number.isFinite(loop.bestValLoss) ? loop.bestValLoss : null,
    bestEpoch: loop.bestEpoch,
    sinceBest: loop.sinceBest,
    plateauWait: loop.plateauWait,
    stopped: loop.stopped,
    rngState: run.rng.getState(),
    optimizerIterations: optimizer.iterations,
    adamAccBeta: adamAccBeta(optimizer),
    metrics: loop.metrics,
  });
  writeMetrics(runDir, loop.metrics);
}

/** Evaluate best/ on the test split (evaluation.json, predictions.jsonl, embeddings) and log the scores. */
async function evaluateBest(run: OpenedRun, log: (line: string) => void): Promise<EvaluationResult> {
  const { config, runDir, runId } = run;
  const best = await loadModel(path.join(runDir, RUN_FILES.best));
  let evaluation: EvaluationResult;
  try {
    evaluation = evaluateModel({
      model: best,
      modelName: config.model,
      builder: run.prep.builder,
      examples: run.prep.examples.test,
      classes: run.prep.classes,
      crops: config.evalCrops,
      batchSize: config.batchSize,
      runId,
      embeddingLayer: run.penultimate,
      outDir: runDir,
      bootstrap: { seed: config.seed },
    });
  } finally {
    best.dispose();
  }
  const t = evaluation.trackLevel;
  log(
    `test (${t.n} tracks, ${config.evalCrops} crops each): accuracy ${(100 * t.accuracy).toFixed(1)}% ` +
      `[95% CI ${(100 * t.intervals.accuracy.low).toFixed(1)}–${(100 * t.intervals.accuracy.high).toFixed(1)}], ` +
      `macro-F1 ${t.macro.f1.toFixed(3)}, top-2 ${(100 * t.top2Accuracy).toFixed(1)}%; single crop ${(100 * evaluation.clipLevel.accuracy).toFixed(1)}%`,
  );
  return evaluation;
}

/** Finish a run: save last/, evaluate best/ on the test split (config.evaluateAtEnd), and say what was done. */
async function finishRun(run: OpenedRun, log: (line: string) => void): Promise<RunRecord> {
  const { loop, runDir, runId } = run;
  await saveModel(run.model, path.join(runDir, RUN_FILES.last), { run: runId, epoch: loop.epoch, classes: run.prep.classes });
  const evaluation = run.config.evaluateAtEnd ? await evaluateBest(run, log) : null;
  return {
    id: runId,
    dir: runDir,
    config: run.config,
    classes: run.prep.classes,
    metrics: loop.metrics,
    bestEpoch: loop.bestEpoch,
    bestValLoss: loop.bestValLoss,
    stoppedEarly: loop.stopped,
    resumedAfterEpoch: run.resumedAfterEpoch,
    backend: run.backend,
    evaluation,
    excluded: run.data.excluded,
    splits: readJsonFile<RunConfigFile>(run.configFile, "run config").data.splits,
  };
}

/**
 * Train `config.model` on the dataset's training split, validating on its validation split after
 * every epoch (track-level: mean of `evalCrops` crops), with ReduceLROnPlateau and early stopping on
 * the validation loss; checkpoint every epoch; keep the best model (lowest validation loss) in best/;
 * finally evaluate best/ on the test split. Every check that can reject the run happens before the
 * first step (openRun).
 */
export async function trainModel(input: TrainConfigInput | TrainConfig, options: TrainOptions = {}): Promise<RunRecord> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const run = await openRun(input, options, log);
  const ctx: EpochContext = {
    cwTensor: run.prep.classWeights ? tf.keep(tf.tensor1d(run.prep.classWeights)) : null,
    outputIsProb: outputIsProbability(run.model),
    valLabels: run.prep.examples.validation.map((e) => e.label),
    replicas: null,
  };
  try {
    ctx.replicas = await startReplicas(run, ctx.outputIsProb, log);
    while (!run.loop.stopped && run.loop.epoch < run.config.epochs) {
      const metrics = await trainEpoch(run, ctx, options);
      await checkpointEpoch(run, metrics, log);
      await options.onEpoch?.(metrics);
    }
    return await finishRun(run, log);
  } finally {
    await ctx.replicas?.close();
    ctx.cwTensor?.dispose();
    run.optimizer.dispose();
    run.model.dispose();
  }
}
