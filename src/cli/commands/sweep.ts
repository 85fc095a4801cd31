// `fmalab sweep SPEC.json`: train every grid point of a spec (one resumable run each), locally with
// --workers W (W tasks of the same array job the Slurm launcher submits), then print and write the
// comparison table. `fmalab slurm sweep` (slurmSweep below) runs the same tasks as a Slurm array.
import * as fs from "node:fs";
import * as path from "node:path";
import type { CliCommand } from "../command";
import { intOption, parseCommandArgs } from "../command";
import { UsageError } from "../../util/errors";
import { MODEL_ZOO } from "../../models/zoo";
import { resolveTrainConfig, DEFAULT_TRAIN_CONFIG, type TrainConfigInput } from "../../train/config";
import { RUN_FILES } from "../../train/runs";
import { parseShard } from "../../features/cache-shards";
import { TRAIN_OPTIONS, trainInputFromValues } from "./train";
import { launchArray, slurmSettingsFromValues, SLURM_OPTIONS } from "./slurm";
import {
  pointFinished,
  pointTrainArgv,
  readSweepSpec,
  sweepDir,
  sweepPoints,
  sweepTable,
  sweepTableText,
  writeSweepReport,
  type FlagTable,
  type SweepPoint,
  type SweepSpec,
} from "../../cluster/sweep";
import type { ArrayJob } from "../../cluster/jobs";

const usage = `Usage: fmalab sweep SPEC.json [--workers W] [--runs DIR] [--cache DIR] [--report]
       fmalab slurm sweep SPEC.json --tasks N [--runs DIR] [--cache DIR] [slurm options]

SPEC.json: {"name": "lr-seed", "data": "data/synthetic",
            "base": {"model": "mel_cnn4_128", "epochs": 10, "quick": true},
            "grid": {"lr": [0.001, 0.0003], "seed": [0, 1]}}
Options are fmalab train's flags in camelCase (--max-tracks → maxTracks; true/false for switches).
Every grid point is a run RUNS/<name>-<hash of the point>; run the sweep again to resume unfinished
runs from their checkpoints (finished ones are skipped). The whole spec is checked before anything runs.
At the end (and with --report, without training) it prints the comparison table and writes
RUNS/sweeps/<name>/table.csv, table.html and comparison.svg.

  --workers W   runs at once on this machine (default 1: in this process)
  --runs DIR    run folders (default ${DEFAULT_TRAIN_CONFIG.runsDir})
  --cache DIR   spectrogram cache, as fmalab train --cache
  --report      only print and write the table of what is there
  --task I/N    run only grid points with index ≡ I (mod N) (what each array task runs)
  --quiet       no per-run log lines`;

const SWEEP_OPTIONS = {
  workers: { type: "string" },
  runs: { type: "string" },
  cache: { type: "string" },
  report: { type: "boolean" },
  task: { type: "string" },
  quiet: { type: "boolean" },
} as const;

/** A grid point as a checked training input (the trainer's own checks, run before anything starts). */
function pointInput(spec: SweepSpec, point: SweepPoint, runsDir: string, cache: string | undefined): TrainConfigInput {
  const argv = [...pointTrainArgv(spec, point, TRAIN_OPTIONS as unknown as FlagTable), "--run-id", point.runId, "--runs", runsDir, "--quiet"];
  if (cache !== undefined) argv.push("--cache", cache);
  try {
    const { values } = parseCommandArgs(argv, TRAIN_OPTIONS, "");
    const input = trainInputFromValues(values, spec.data);
    if (!(input.model in MODEL_ZOO)) throw new UsageError(`unknown model "${input.model}"; the zoo has ${Object.keys(MODEL_ZOO).join(", ")}`);
    resolveTrainConfig(input);
    return input;
  } catch (err) {
    throw new UsageError(`sweep ${spec.name}: grid point ${point.index} (${point.label || "base"}): ${(err as Error).message.split("\n\n")[0]}`);
  }
}

/** Read the spec and check every point; nothing has run yet when this throws. */
export function loadSweep(specFile: string, runs: string | undefined, cache: string | undefined): { spec: SweepSpec; points: SweepPoint[]; inputs: TrainConfigInput[]; runsDir: string } {
  const spec = readSweepSpec(specFile, TRAIN_OPTIONS as unknown as FlagTable);
  const runsDir = path.resolve(runs ?? DEFAULT_TRAIN_CONFIG.runsDir);
  const points = sweepPoints(spec);
  const inputs = points.map((p) => pointInput(spec, p, runsDir, cache === undefined ? undefined : path.resolve(cache)));
  return { spec, points, inputs, runsDir };
}

/** Train (or resume, or skip when evaluated) the points of one task, in this process. Returns the failures. */
async function runPoints(points: SweepPoint[], inputs: TrainConfigInput[], runsDir: string, quiet: boolean): Promise<string[]> {
  const { trainModel } = await import("../../train/train");
  const failures: string[] = [];
  for (const p of points) {
    if (pointFinished(runsDir, p)) {
      console.error(`sweep: point ${p.index} (${p.label}) is finished: ${p.runId}`);
      continue;
    }
    const resume = fs.existsSync(path.join(runsDir, p.runId, RUN_FILES.config));
    console.error(`sweep: point ${p.index} (${p.label}): ${resume ? "resuming" : "training"} ${p.runId}`);
    try {
      await trainModel(inputs[p.index], { resume, progress: false, log: quiet ? () => undefined : undefined });
    } catch (err) {
      failures.push(`point ${p.index} (${p.label}), run ${p.runId}: ${(err as Error).message}`);
      console.error(`sweep: point ${p.index} failed: ${(err as Error).message}`);
    }
  }
  return failures;
}

function report(spec: SweepSpec, runsDir: string): boolean {
  const rows = sweepTable(spec, runsDir);
  const files = writeSweepReport(spec, runsDir, rows);
  console.log(sweepTableText(spec, rows));
  console.log(`table: ${files.csv}, ${files.html}${files.svg ? `, figure: ${files.svg}` : ""}`);
  return rows.every((r) => r.status === "evaluated");
}

function sweepJob(specFile: string, spec: SweepSpec, runsDir: string, cache: string | undefined, tasks: number): ArrayJob {
  const argv = ["sweep", path.resolve(specFile), "--task", `{task}/${tasks}`, "--runs", runsDir];
  if (cache !== undefined) argv.push("--cache", path.resolve(cache));
  return { name: `sweep-${spec.name}`, argv, tasks, stateDir: path.join(sweepDir(runsDir, spec.name), "jobs") };
}

/** Tasks (of `tasks`) with a point not finished yet. */
function incompleteTasks(points: SweepPoint[], runsDir: string, tasks: number): number[] {
  const out = new Set<number>();
  for (const p of points) if (!pointFinished(runsDir, p)) out.add(p.index % tasks);
  return [...out].sort((a, b) => a - b);
}

export const command: CliCommand = {
  name: "sweep",
  summary: "train every point of a hyperparameter grid (resumable runs), then compare them in a table and figure",
  usage,
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, SWEEP_OPTIONS, usage, true);
    if (positionals.length !== 1) throw new UsageError(`expected one SPEC.json, got ${positionals.length}\n\n${usage}`);
    const { spec, points, inputs, runsDir } = loadSweep(positionals[0], values.runs, values.cache);
    if (values.report) return report(spec, runsDir) ? 0 : 1;
    if (values.task !== undefined) {
      const t = parseShard(values.task);
      const mine = points.filter((p) => p.index % t.count === t.index);
      const failures = await runPoints(mine, inputs, runsDir, values.quiet === true);
      return failures.length ? 1 : 0;
    }
    const workers = intOption(values.workers, "workers", 1);
    if (workers === 1) {
      const failures = await runPoints(points, inputs, runsDir, values.quiet === true);
      for (const f of failures) console.error(`sweep: ${f}`);
    } else {
      const { runArrayJobLocally } = await import("../../cluster/local");
      const { describeFailures } = await import("../../cluster/slurm");
      const job = sweepJob(positionals[0], spec, runsDir, values.cache, workers);
      const outcomes = await runArrayJobLocally(job, { workers, tasks: incompleteTasks(points, runsDir, workers) });
      for (const f of describeFailures(outcomes)) console.error(`sweep: ${f}`);
    }
    return report(spec, runsDir) ? 0 : 1;
  },
};

/** `fmalab slurm sweep SPEC.json --tasks N …`. */
export async function slurmSweep(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { runs: SWEEP_OPTIONS.runs, cache: SWEEP_OPTIONS.cache, ...SLURM_OPTIONS }, usage, true);
  if (positionals.length !== 1) throw new UsageError(`expected one SPEC.json, got ${positionals.length}\n\n${usage}`);
  const { tasks, settings } = slurmSettingsFromValues(values);
  const { spec, points, runsDir } = loadSweep(positionals[0], values.runs, values.cache);
  const todo = incompleteTasks(points, runsDir, tasks);
  if (todo.length === 0) {
    console.log(`sweep ${spec.name}: every point is finished; nothing to submit`);
    return report(spec, runsDir) ? 0 : 1;
  }
  const job = sweepJob(positionals[0], spec, runsDir, values.cache, tasks);
  const { submission, failures } = await launchArray(job, settings, todo, { dryRun: values["dry-run"], wait: values.wait });
  if (!submission || !values.wait) return 0;
  for (const f of failures) console.error(f);
  const complete = report(spec, runsDir);
  if (!complete) console.error("some points are not finished: run the same command again to submit only their tasks");
  return complete && failures.length === 0 ? 0 : 1;
}
