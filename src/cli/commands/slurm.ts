// `fmalab slurm spectrograms|sweep`: the cache build and sweeps as Slurm job arrays. Each writes an
// sbatch array script (src/cluster/slurm.ts), submits only the tasks whose work is not complete yet
// (read from the work's own outputs: cache manifests, finished runs), and with --wait follows the array.
import * as path from "node:path";
import type { CliCommand } from "../command";
import { intOption, parseCommandArgs } from "../command";
import { UsageError } from "../../util/errors";
import { cacheOptionsFromValues, SPECTROGRAM_OPTIONS } from "./spectrograms";
import type { ArrayJob } from "../../cluster/jobs";
import type { SlurmSettings, Submission } from "../../cluster/slurm";

const SLURM_USAGE = `  --tasks N           array tasks (shards or sweep workers)
  --cpus-per-task C   cores per task (default 2; the spectrogram workers per task)
  --partition P       --time T (e.g. 2:00:00)   --mem M (e.g. 8G)
  --sbatch-arg ARG    one more sbatch option, e.g. --sbatch-arg=--account=abc (repeatable)
  --dry-run           print the sbatch script and the --array list; submit nothing
  --wait              follow the array (a progress line) until it ends; exit 1 naming failed tasks' logs`;

const usage = `Usage: fmalab slurm spectrograms [the spectrograms options] --tasks N [slurm options]
       fmalab slurm sweep SPEC.json [--runs DIR] [--cache DIR] --tasks N [slurm options]

Runs work as a Slurm job array: task i of spectrograms runs \`fmalab spectrograms … --shard i/N\`, task i
of a sweep runs every (i mod N)-th grid point (\`fmalab sweep SPEC --task i/N\`). Run the same command
again to submit only what is not complete yet (a task killed by scancel, a node failure or the time
limit); nothing complete is recomputed. Without --wait it prints the job id and returns.

${SLURM_USAGE}`;

export const SLURM_OPTIONS = {
  tasks: { type: "string" },
  "cpus-per-task": { type: "string" },
  partition: { type: "string" },
  time: { type: "string" },
  mem: { type: "string" },
  "sbatch-arg": { type: "string", multiple: true },
  "dry-run": { type: "boolean" },
  wait: { type: "boolean" },
} as const;

interface SlurmValues {
  tasks?: string;
  "cpus-per-task"?: string;
  partition?: string;
  time?: string;
  mem?: string;
  "sbatch-arg"?: string[];
}

export function slurmSettingsFromValues(values: SlurmValues): { tasks: number; settings: SlurmSettings } {
  if (values.tasks === undefined) throw new UsageError(`--tasks N is required\n\n${usage}`);
  const tasks = intOption(values.tasks, "tasks", 1);
  // Slurm's default MaxArraySize is 1001: task ids 0…1000.
  if (tasks > 1001) throw new UsageError(`--tasks ${tasks}: Slurm arrays hold at most 1001 tasks by default (MaxArraySize); use fewer, larger tasks`);
  return {
    tasks,
    settings: {
      cpusPerTask: intOption(values["cpus-per-task"], "cpus-per-task", 2),
      partition: values.partition,
      time: values.time,
      mem: values.mem,
      sbatchArgs: values["sbatch-arg"] ?? [],
    },
  };
}

/** Dry run, or submit then (with --wait) follow; returns the outcomes when followed. */
export async function launchArray(
  job: ArrayJob,
  settings: SlurmSettings,
  todo: number[],
  flags: { dryRun?: boolean; wait?: boolean },
): Promise<{ submission: Submission | null; failures: string[] }> {
  const slurm = await import("../../cluster/slurm");
  const { compressIndices } = await import("../../cluster/jobs");
  if (flags.dryRun) {
    console.log(slurm.sbatchScript(job, settings));
    console.log(`# would run: sbatch --array=${compressIndices(todo)} ${slurm.scriptFile(job)}   (${todo.length} of ${job.tasks} tasks)`);
    return { submission: null, failures: [] };
  }
  const submission = slurm.submitArrayJob(job, settings, todo);
  console.log(`submitted slurm job ${submission.jobId}: tasks ${submission.array} of 0-${job.tasks - 1} (script ${submission.script}; logs ${path.join(job.stateDir, "logs")})`);
  if (!flags.wait) return { submission, failures: [] };
  const outcomes = await slurm.followArrayJob(job, submission);
  return { submission, failures: slurm.describeFailures(outcomes) };
}

async function spectrograms(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { ...SPECTROGRAM_OPTIONS, ...SLURM_OPTIONS }, usage);
  if (values.shard !== undefined) throw new UsageError("--shard is set per task by the launcher; drop it");
  const { tasks, settings } = slurmSettingsFromValues(values);
  const options = cacheOptionsFromValues(values, process.env.FMA_DIR ?? "data/fma");
  const { planSpectrogramCache, incompleteShards } = await import("../../features/cache");
  const plan = planSpectrogramCache(options);
  const todo = incompleteShards(plan, tasks, options.retryFailed);
  if (todo.length === 0) {
    console.log(`cache complete: ${plan.dir} (${plan.jobs.length} clips in ${tasks} shards); nothing to submit`);
    return 0;
  }
  // Every task gets the same explicit options (absolute paths: tasks may start elsewhere).
  const forwarded: string[] = ["spectrograms", "--data", path.resolve(options.dataDir), "--cache", path.dirname(plan.dir)];
  for (const key of ["subset", "clip-seconds", "n-mels", "short-tolerance", "known-bad"] as const) {
    if (values[key] !== undefined) forwarded.push(`--${key}`, values[key]!);
  }
  for (const key of ["no-features", "retry-failed", "fast-resample"] as const) if (values[key]) forwarded.push(`--${key}`);
  forwarded.push("--workers", String(values.workers ?? settings.cpusPerTask ?? 2), "--shard", `{task}/${tasks}`, "--quiet");
  const job: ArrayJob = {
    name: `spectrograms-${path.basename(plan.dir).slice(-12)}`,
    argv: forwarded,
    tasks,
    stateDir: path.join(path.dirname(plan.dir), "slurm-jobs", path.basename(plan.dir)),
  };
  const { submission, failures } = await launchArray(job, settings, todo, { dryRun: values["dry-run"], wait: values.wait });
  if (!submission || !values.wait) return 0;
  const left = incompleteShards(plan, tasks, options.retryFailed);
  if (failures.length === 0 && left.length === 0) {
    console.log(`cache complete: ${plan.dir} (${plan.jobs.length} clips)`);
    return 0;
  }
  console.error([`slurm job ${submission.jobId}: shards still incomplete: ${left.join(", ") || "none"}`, ...failures, "run the same command again to submit only those"].join("\n"));
  return 1;
}

export const command: CliCommand = {
  name: "slurm",
  summary: "run the spectrogram cache or a sweep as a Slurm job array (resubmits only what is incomplete)",
  usage,
  async run(argv: string[]): Promise<number> {
    const [what, ...rest] = argv;
    if (what === "spectrograms") return spectrograms(rest);
    if (what === "sweep") {
      const { slurmSweep } = await import("./sweep");
      return slurmSweep(rest);
    }
    throw new UsageError(`fmalab slurm: expected "spectrograms" or "sweep", got ${what === undefined ? "nothing" : `"${what}"`}\n\n${usage}`);
  },
};
