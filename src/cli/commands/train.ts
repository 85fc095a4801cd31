// `fmalab train`: train a zoo model on a dataset's spectrogram cache, or resume a run.
import * as path from "node:path";
import type { CliCommand } from "../command";
import { intOption, parseCommandArgs } from "../command";
import { UsageError } from "../../util/errors";
import { DEFAULT_MODEL, MODEL_ZOO } from "../../models/zoo";
import { DEFAULT_TRAIN_CONFIG, QUICK_TRAIN_PRESET, type TrainConfig } from "../../train/config";
import { stripUndefined, TRAIN_OPTIONS, trainInputFromValues } from "../../train/flags";
import type { BackendName } from "../../tf/backend";
import { readJsonFile } from "../../train/checkpoint";
import { RUN_FILES, type RunConfigFile } from "../../train/runs";

const d = DEFAULT_TRAIN_CONFIG;
const usage = `Usage: fmalab train [--model M] [--data DIR] [options]
       fmalab train --resume ID [--epochs E] [--runs DIR]

Trains a model of the zoo on the dataset's log-mel cache (build it first: fmalab spectrograms --data DIR),
validating every epoch (track level: mean of --eval-crops crops), with ReduceLROnPlateau and early stopping
on the validation loss, a checkpoint every epoch, and a test-set evaluation of the best epoch at the end.
Everything goes to RUNS/<id>/: config.json, metrics.jsonl, checkpoint/, best/, last/, evaluation.json,
predictions.jsonl, embeddings.f32 + embeddings.json.

  --model M           ${Object.keys(MODEL_ZOO).join(", ")}
                      (default ${DEFAULT_MODEL})
  --data DIR          dataset folder (default: $FMA_DIR, else data/fma)
  --cache DIR         the spectrogram cache folder, or the folder holding caches (default <project>/cache)
  --runs DIR          where run folders go (default ${d.runsDir})
  --run-id ID         run folder name (default <model>-<UTC time>)
  --resume ID         continue run ID from its last checkpoint (same optimizer state and random stream);
                      only --epochs, --runs, --backend, --threads and --no-eval may be given with it
  --epochs E          (default ${d.epochs})      --batch B   (default ${d.batchSize})
  --lr X              Adam learning rate (default ${d.lr})
  --weight-decay W    decoupled (AdamW) weight decay on kernels (default ${d.weightDecay})
  --seed S            weights, shuffling, crops, augmentation, dropout (default ${d.seed})
  --class-weights     balanced class weights n/(k·n_c) in the loss
  --mixup A           mixup with Beta(A, A) (default off; 0.2–0.4 is usual)
  --specaugment       2 time masks (≤16 frames) + 2 frequency masks (≤12 bands)
  --time-stretch X    random time-stretch by up to ±X (e.g. 0.1)
  --pitch-shift N     random shift by up to ±N mel bands
  --noise STD         Gaussian noise in normalised units (e.g. 0.01)
  --eval-crops K      crops per track at validation/test time (default ${d.evalCrops})
  --crops-per-track N random training crops per track per epoch (default ${d.trainCropsPerTrack})
  --max-tracks N      at most N tracks per split (stratified by genre), for quick runs
  --quick             the ≈2.5-minute preset for the synthetic dataset: ${Object.entries(QUICK_TRAIN_PRESET).map(([k, v]) => `${k} ${v}`).join(", ")}
                      (explicit options still win)
  --patience N        early-stopping patience in epochs, 0 = off (default ${d.earlyStopping.patience})
  --lr-patience N     epochs without improvement before halving the lr (default ${d.reduceLrOnPlateau.patience})
  --backend NAME      tensorflow, wasm or cpu (default: the fastest available)
  --threads N         compute threads: the system BLAS's (default one per core; also FMALAB_BLAS_THREADS;
                      FMALAB_BLAS=off trains on the wasm kernels, one core)
  --replicas R        data-parallel: split each batch over R model replicas (worker threads), sharing
                      the BLAS threads out; default 1 (with the BLAS, one process uses every core; without
                      it R = the core count uses them all; batch norm then uses per-replica statistics)
  --no-eval           skip the test-set evaluation at the end
  --quiet             no progress bar`;

// The flag table and flags → training input live in src/train/flags.ts (sweeps use them below the CLI).
export { TRAIN_OPTIONS, trainInputFromValues, type TrainValues } from "../../train/flags";

export const command: CliCommand = {
  name: "train",
  summary: "train a model (checkpoints every epoch, --resume, test evaluation at the end)",
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseCommandArgs(argv, TRAIN_OPTIONS, usage);
    if (values.backend !== undefined && !["tensorflow", "wasm", "cpu"].includes(values.backend)) {
      throw new UsageError(`--backend must be tensorflow, wasm or cpu, got "${values.backend}"`);
    }
    const runsDir = values.runs ?? d.runsDir;
    const common: Partial<TrainConfig> = {
      runsDir,
      epochs: values.epochs === undefined ? undefined : intOption(values.epochs, "epochs", d.epochs),
      backend: values.backend as BackendName | undefined,
      threads: values.threads === undefined ? undefined : intOption(values.threads, "threads", 1),
      evaluateAtEnd: values["no-eval"] ? false : undefined,
    };
    const { trainModel } = await import("../../train/train");
    const options = { progress: values.quiet !== true };
    let record;
    if (values.resume !== undefined) {
      const fixed = ["model", "data", "cache", "run-id", "quick", "batch", "lr", "weight-decay", "seed", "class-weights", "mixup", "specaugment", "time-stretch", "pitch-shift", "noise", "eval-crops", "crops-per-track", "max-tracks", "patience", "lr-patience", "replicas"] as const;
      const given = fixed.filter((k) => values[k] !== undefined);
      if (given.length) throw new UsageError(`--resume continues a run with its own settings; drop ${given.map((k) => `--${k}`).join(", ")}`);
      const stored = readJsonFile<RunConfigFile>(path.join(runsDir, values.resume, RUN_FILES.config), `run config of "${values.resume}"`);
      const config: TrainConfig = { ...stored.train, ...stripUndefined(common), runId: values.resume };
      record = await trainModel(config, { ...options, resume: true });
    } else {
      const input = trainInputFromValues(values, process.env.FMA_DIR ?? "data/fma");
      record = await trainModel(input, options);
    }
    console.log(
      JSON.stringify({
        run: record.id,
        dir: record.dir,
        epochs: record.metrics.length,
        bestEpoch: record.bestEpoch,
        bestValLoss: record.bestValLoss,
        stoppedEarly: record.stoppedEarly,
        testAccuracy: record.evaluation?.trackLevel.accuracy ?? null,
        testMacroF1: record.evaluation?.trackLevel.macro.f1 ?? null,
      }),
    );
    return 0;
  },
};

