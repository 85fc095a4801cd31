// `fmalab study-train`: train items of the study's run plan (what notebook 03 trains) with an explicit study
// configuration on the command line. The main job runs its background items through this command as tasks of
// the local job runner (src/cluster/local.ts), the same mechanism as the sweeps and Slurm arrays.
import { parseCommandArgs, type CliCommand } from "../command";
import { UsageError } from "../../util/errors";
import {
  makeStudyConfig,
  scoreLine,
  SPLIT_POLICIES,
  planStudySplits,
  studyRunPlan,
  type SplitPolicy,
  type StudyConfig,
  type StudySizeName,
} from "../../study";

type RunRecord = import("../../train/train").RunRecord;

const SIZE_NAMES: readonly StudySizeName[] = ["quick", "default", "full"];

const usage = `Usage: fmalab study-train --data DIR --item N[,N…] [--sizes quick|default|full] [--splits smoke|resplit|stop]
                          [--runs DIR] [--cache-root DIR] [--retrain]

Trains items of the study's run plan (0 = the default CNN, 1–2 = the feature baselines, 3 = the class-weighted
twin, 4 = the seed model in the full sizes) as the notebooks and the main job do (runs/study-…), reusing a
finished run of the same configuration unless --retrain.

  --data DIR        dataset folder
  --item N,…        plan items (0-based)
  --sizes S         size preset (default: default)
  --splits P        what to do when the official splits cannot support the study (default smoke)
  --runs DIR        runs folder (default runs/)
  --cache-root DIR  spectrogram caches (default cache/)
  --retrain         train even when a finished run of the same configuration exists`;

/** The argv (after `fmalab`) that trains plan item `item` ("{task}" in an ArrayJob) with `cfg`. */
export function studyTrainArgv(cfg: StudyConfig, item: string | number): string[] {
  return [
    "study-train",
    "--data",
    cfg.dataDir,
    "--item",
    String(item),
    "--sizes",
    cfg.sizes.name,
    "--splits",
    cfg.splitPolicy,
    "--runs",
    cfg.runsDir,
    "--cache-root",
    cfg.cacheRoot,
    ...(cfg.retrain ? ["--retrain"] : []),
  ];
}

/**
 * Train plan items `indices` of the study one after the other, logging each result with its provenance
 * ("test accuracy" only for held-out test tracks). Returns the main item's record and the failures.
 */
export async function trainStudyItems(
  cfg: StudyConfig,
  indices: readonly number[],
  opts: { log: (line: string) => void; progress: boolean },
): Promise<{ main?: RunRecord; failures: string[] }> {
  const { trainStudyModel } = await import("../../study");
  const ds = (await import("../../data/dataset")).openDataset(cfg.dataDir);
  const plan = studyRunPlan(cfg, planStudySplits(cfg, ds));
  const failures: string[] = [];
  let main: RunRecord | undefined;
  for (const i of indices) {
    const item = plan[i];
    if (!item) throw new UsageError(`plan item ${i} does not exist: the plan has ${plan.length} items (0–${plan.length - 1})`);
    const tag = `[${i + 1}/${plan.length}]`;
    opts.log(`${tag} ${item.purpose}: ${item.model}`);
    const started = Date.now();
    try {
      const record = await trainStudyModel(cfg, ds, item.model, {
        overrides: item.overrides,
        log: opts.log,
        progress: opts.progress,
        // Without a progress bar (a background task), one line per epoch.
        onEpoch: opts.progress
          ? undefined
          : (m) => opts.log(`${tag} epoch ${m.epoch}: loss ${m.train_loss.toFixed(3)} acc ${m.train_acc.toFixed(3)} | val loss ${m.val_loss.toFixed(3)} acc ${m.val_acc.toFixed(3)} | ${m.seconds.toFixed(0)} s`),
      });
      const how = record.reused ? "reused" : `trained in ${((Date.now() - started) / 1000).toFixed(0)} s`;
      opts.log(`${tag} ${record.id}: ${how}, ${record.metrics.length} epochs${record.evaluation ? `, ${scoreLine(record)}` : ""}`);
      if (item.main) main = record;
    } catch (err) {
      failures.push(`training ${item.model} (${item.purpose}) failed: ${(err as Error).message.split("\n")[0]}`);
      opts.log(`${tag} FAILED: ${(err as Error).stack ?? err}`);
    }
  }
  return { main, failures };
}

export const command: CliCommand = {
  name: "study-train",
  summary: "train items of the study's run plan (the main job's background tasks)",
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      {
        data: { type: "string" },
        item: { type: "string" },
        sizes: { type: "string" },
        splits: { type: "string" },
        runs: { type: "string" },
        "cache-root": { type: "string" },
        retrain: { type: "boolean" },
      },
      usage,
    );
    if (!values.data) throw new UsageError("--data DIR is required");
    if (!values.item) throw new UsageError("--item N is required");
    const items = values.item.split(",").map((v) => Number(v));
    if (items.some((i) => !Number.isInteger(i) || i < 0)) throw new UsageError(`--item: plan indices (0, 1, …), got "${values.item}"`);
    const sizes = (values.sizes ?? "default") as StudySizeName;
    if (!SIZE_NAMES.includes(sizes)) throw new UsageError(`--sizes must be one of ${SIZE_NAMES.join(", ")}, got "${values.sizes}"`);
    const splits = (values.splits ?? "smoke") as SplitPolicy;
    if (!SPLIT_POLICIES.includes(splits)) throw new UsageError(`--splits must be one of ${SPLIT_POLICIES.join(", ")}, got "${values.splits}"`);
    const cfg = makeStudyConfig({ dataDir: values.data, sizes, splitPolicy: splits, retrain: values.retrain ?? false, runsDir: values.runs, cacheRoot: values["cache-root"] });
    const done = await trainStudyItems(cfg, items, { log: (line) => console.log(line), progress: false });
    for (const f of done.failures) console.error(f);
    return done.failures.length > 0 ? 1 : 0;
  },
};
