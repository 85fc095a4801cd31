// `fmalab sweep SPEC.json`: train every grid point of a spec (one resumable run each), locally with
// --workers W (W tasks of the same array job the Slurm launcher submits), then print and write the
// comparison table. `fmalab slurm sweep` (slurmSweep below) runs the same tasks as a Slurm array.
import * as path from "node:path";
import type { CliCommand } from "../command";
import { intOption, parseCommandArgs } from "../command";
import { UsageError } from "../../util/errors";
import { DEFAULT_TRAIN_CONFIG } from "../../train/config";
import { parseShard } from "../../features/cache-shards";
import { launchArray, slurmSettingsFromValues, SLURM_OPTIONS } from "./slurm";
import {
  pointFinished,
  prepareSweep,
  readSweepSpec,
  runSweep,
  runSweepPoints,
  sweepDir,
  sweepReport,
  writeSweepPoints,
  type PreparedSweep,
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
runs from their checkpoints (finished ones are skipped; one trained with other settings under the same
name is an error). The whole spec is checked before anything runs. At the end (and with --report, without
training) it prints the comparison table and writes RUNS/sweeps/<name>/table.csv, table.html and
comparison.svg (2 grid options: heat maps of validation and test accuracy; otherwise a dot plot).
The sweep's runs stay out of the study's run comparison; \`fmalab figures --sweep SPEC.json\` puts the
sweep's figure and table into figures/. A notebook runs the same with lab.cluster.runSweep.

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

/** Read the spec and check every point; nothing has run yet when this throws. */
export function loadSweep(specFile: string, runs: string | undefined, cache: string | undefined): PreparedSweep {
  return prepareSweep(readSweepSpec(specFile), { runsDir: runs ?? DEFAULT_TRAIN_CONFIG.runsDir, cacheDir: cache });
}

/** Print the table of what is there and write it; true when every point is evaluated. */
function report(prepared: PreparedSweep): boolean {
  const { rows, text, files } = sweepReport(prepared);
  console.log(text);
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
    const prepared = loadSweep(positionals[0], values.runs, values.cache);
    const { spec, points, runsDir } = prepared;
    if (values.report) return report(prepared) ? 0 : 1;
    const quiet = values.quiet === true;
    if (values.task !== undefined) {
      const t = parseShard(values.task);
      writeSweepPoints(prepared);
      const failures = await runSweepPoints(prepared, points.filter((p) => p.index % t.count === t.index), { quiet });
      return failures.length ? 1 : 0;
    }
    const workers = intOption(values.workers, "workers", 1);
    if (workers === 1) {
      const result = await runSweep(spec, { runsDir, cacheDir: values.cache, quiet });
      for (const f of result.failures) console.error(`sweep: ${f}`);
      console.log(result.text);
      console.log(`table: ${result.files.csv}, ${result.files.html}${result.files.svg ? `, figure: ${result.files.svg}` : ""}`);
      return result.rows.every((r) => r.status === "evaluated") ? 0 : 1;
    }
    const { runArrayJobLocally } = await import("../../cluster/local");
    const { describeFailures } = await import("../../cluster/slurm");
    writeSweepPoints(prepared);
    const job = sweepJob(positionals[0], spec, runsDir, values.cache, workers);
    const outcomes = await runArrayJobLocally(job, { workers, tasks: incompleteTasks(points, runsDir, workers) });
    for (const f of describeFailures(outcomes)) console.error(`sweep: ${f}`);
    return report(prepared) ? 0 : 1;
  },
};

/** `fmalab slurm sweep SPEC.json --tasks N …`. */
export async function slurmSweep(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { runs: SWEEP_OPTIONS.runs, cache: SWEEP_OPTIONS.cache, ...SLURM_OPTIONS }, usage, true);
  if (positionals.length !== 1) throw new UsageError(`expected one SPEC.json, got ${positionals.length}\n\n${usage}`);
  const { tasks, settings } = slurmSettingsFromValues(values);
  const prepared = loadSweep(positionals[0], values.runs, values.cache);
  const { spec, points, runsDir } = prepared;
  const todo = incompleteTasks(points, runsDir, tasks);
  if (todo.length === 0) {
    console.log(`sweep ${spec.name}: every point is finished; nothing to submit`);
    return report(prepared) ? 0 : 1;
  }
  if (!values["dry-run"]) writeSweepPoints(prepared);
  const job = sweepJob(positionals[0], spec, runsDir, values.cache, tasks);
  const { submission, failures } = await launchArray(job, settings, todo, { dryRun: values["dry-run"], wait: values.wait });
  if (!submission || !values.wait) return 0;
  for (const f of failures) console.error(f);
  const complete = report(prepared);
  if (!complete) console.error("some points are not finished: run the same command again to submit only their tasks");
  return complete && failures.length === 0 ? 0 : 1;
}
