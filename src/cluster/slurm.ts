// Slurm job arrays for ArrayJobs (jobs.ts): an sbatch script per job, submitted with --array=<the
// tasks to run>, so the array task id IS the task index and resubmitting a subset (--array=1,3) keeps
// every index's meaning. The script writes the task's status file itself, atomically (temp + mv), at
// start and at exit (also on SIGTERM from scancel or the time limit). Following a job uses squeue for
// what is queued or running and the status files for how each task ended: without slurmdbd, sacct
// knows nothing, and squeue forgets finished jobs after MinJobAge.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../util/errors";
import { writeFileAtomic } from "../util/fs";
import { shellQuote } from "../util/shell";
import {
  TASK_PLACEHOLDER,
  checkJobName,
  clearTaskStatus,
  compressIndices,
  fmalabCommand,
  progressLine,
  readTaskStatus,
  statusFile,
  ProgressLines,
  type ArrayJob,
  type TaskOutcome,
} from "./jobs";

export interface SlurmSettings {
  /** --cpus-per-task (default 2). */
  cpusPerTask?: number;
  partition?: string;
  /** --time, e.g. "2:00:00". */
  time?: string;
  /** --mem, e.g. "8G". */
  mem?: string;
  /** Further sbatch options, each one argument (e.g. "--account=abc", "--qos=short"). */
  sbatchArgs?: string[];
}

/** A word with "{task}" in it: the quoted pieces joined by "$task". */
function shellWordWithTask(word: string): string {
  if (!word.includes(TASK_PLACEHOLDER)) return shellQuote(word);
  return word
    .split(TASK_PLACEHOLDER)
    .map((piece) => (piece === "" ? "" : shellQuote(piece)))
    .join('"$task"');
}

export function scriptFile(job: ArrayJob): string {
  return path.join(job.stateDir, `${job.name}.sbatch`);
}

export function logFile(job: ArrayJob, jobId: string, task: number): string {
  return path.join(job.stateDir, "logs", `${jobId}_${task}.out`);
}

/** The sbatch script of an array job (submit it with --array=LIST). */
export function sbatchScript(job: ArrayJob, settings: SlurmSettings = {}): string {
  checkJobName(job.name);
  const state = path.resolve(job.stateDir);
  const directives = [
    `--job-name=fmalab-${job.name}`,
    `--output=${path.join(state, "logs", "%A_%a.out")}`,
    `--cpus-per-task=${settings.cpusPerTask ?? 2}`,
    "--ntasks=1",
    ...(settings.partition ? [`--partition=${settings.partition}`] : []),
    ...(settings.time ? [`--time=${settings.time}`] : []),
    ...(settings.mem ? [`--mem=${settings.mem}`] : []),
    ...(settings.sbatchArgs ?? []),
  ];
  for (const d of directives) if (/[\r\n]/.test(d)) throw new UsageError(`sbatch option ${JSON.stringify(d)} holds a line break`);
  const { node, args } = fmalabCommand();
  const command = [node, ...args].map(shellQuote).concat(job.argv.map(shellWordWithTask)).join(" ");
  const statusDir = path.dirname(statusFile(state, 0));
  return `#!/bin/bash
${directives.map((d) => `#SBATCH ${d}`).join("\n")}
# Written by fmalab for the array job "${job.name}" (${job.tasks} tasks); submitted with --array=LIST of
# the tasks still to do. Task i runs: fmalab ${job.argv.join(" ")}  (with ${TASK_PLACEHOLDER} = i)
set -u
task="\${SLURM_ARRAY_TASK_ID:?this script runs as a Slurm array task (sbatch --array=...)}"
status_dir=${shellQuote(statusDir)}
mkdir -p "$status_dir"
host="$(hostname)"
started="$(date +%s)"
# The status file is replaced atomically (temp file, then mv): a reader sees the old one or the new one.
status() {
  tmp="$status_dir/.task-$task.json.$$.tmp"
  printf '{"task":%s,"job":"%s","host":"%s","started":%s,%s}\\n' "$task" "\${SLURM_ARRAY_JOB_ID:-}" "$host" "$started" "$1" > "$tmp" && mv -f "$tmp" "$status_dir/task-$task.json"
}
status '"state":"running"'
${command} &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; status "\\"state\\":\\"exited\\",\\"exitCode\\":143,\\"signal\\":\\"TERM\\",\\"ended\\":$(date +%s)"; exit 143' TERM INT
wait "$child"
code=$?
status "\\"state\\":\\"exited\\",\\"exitCode\\":$code,\\"ended\\":$(date +%s)"
exit $code
`;
}

function sbatchAvailable(): boolean {
  return spawnSync("sbatch", ["--version"], { encoding: "utf8" }).status === 0;
}

export interface Submission {
  jobId: string;
  script: string;
  /** The --array list submitted. */
  array: string;
  tasks: number[];
}

/** Write the script and submit `tasks` of the job (default: all). Returns the array job id. */
export function submitArrayJob(job: ArrayJob, settings: SlurmSettings = {}, tasks?: readonly number[]): Submission {
  const todo = tasks ? [...tasks] : Array.from({ length: job.tasks }, (_, i) => i);
  if (todo.length === 0) throw new Error(`array job ${job.name}: no tasks to submit`);
  for (const t of todo) if (!Number.isInteger(t) || t < 0 || t >= job.tasks) throw new Error(`array job ${job.name}: task ${t} is outside 0…${job.tasks - 1}`);
  if (!sbatchAvailable()) throw new UsageError("sbatch is not available here (is this a Slurm login node? on Debian: apt-get install slurm-wlm)");
  const script = scriptFile(job);
  fs.mkdirSync(path.join(job.stateDir, "logs"), { recursive: true });
  writeFileAtomic(script, sbatchScript(job, settings));
  clearTaskStatus(job.stateDir, todo);
  const array = compressIndices(todo);
  const r = spawnSync("sbatch", ["--parsable", `--array=${array}`, script], { encoding: "utf8" });
  if (r.status !== 0) throw new UsageError(`sbatch failed (exit ${r.status}): ${(r.stderr || r.stdout || "").trim()}\n(script: ${script})`);
  const jobId = r.stdout.trim().split(";")[0];
  if (!/^\d+$/.test(jobId)) throw new Error(`sbatch printed no job id: ${JSON.stringify(r.stdout)}`);
  fs.appendFileSync(path.join(job.stateDir, "submissions.jsonl"), JSON.stringify({ jobId, array, submitted: new Date().toISOString() }) + "\n");
  return { jobId, script, array, tasks: todo };
}

/** Array tasks of a job still known to squeue, by task index → Slurm state (PENDING, RUNNING, …). */
export function queuedTasks(jobId: string): Map<number, string> | null {
  const r = spawnSync("squeue", ["-h", "-r", "-j", jobId, "-o", "%K|%T"], { encoding: "utf8" });
  if (r.status !== 0) {
    // A job squeue no longer knows is simply finished; anything else is a real failure to ask.
    if (/Invalid job id/i.test(r.stderr)) return new Map();
    return null;
  }
  const out = new Map<number, string>();
  for (const line of r.stdout.split("\n")) {
    const [task, state] = line.trim().split("|");
    if (task && /^\d+$/.test(task)) out.set(Number(task), state);
  }
  return out;
}

/** How a task that has left the queue ended, from its own status file. */
export function taskOutcome(job: ArrayJob, jobId: string, task: number): TaskOutcome {
  const log = logFile(job, jobId, task);
  const s = readTaskStatus(job.stateDir, task);
  if (!s || s.job !== jobId) return { task, state: "failed", exitCode: null, log, reason: "it never started (or was cancelled while pending)" };
  if (s.state !== "exited") return { task, state: "failed", exitCode: null, log, reason: `killed on ${s.host} with no exit recorded (node failure, time limit or SIGKILL)` };
  if (s.exitCode === 0) return { task, state: "done", exitCode: 0, log };
  return { task, state: "failed", exitCode: s.exitCode ?? null, log, reason: s.signal ? `stopped by SIG${s.signal} (scancel or the time limit)` : `exit status ${s.exitCode}` };
}

export interface FollowOptions {
  /** Milliseconds between squeue polls. Default 3000. */
  pollMs?: number;
  progress?: ProgressLines;
  label?: string;
}

/** Wait until every submitted task has left the queue; their outcomes (from the status files). */
export async function followArrayJob(job: ArrayJob, sub: Submission, opts: FollowOptions = {}): Promise<TaskOutcome[]> {
  const progress = opts.progress ?? new ProgressLines();
  const label = opts.label ?? `slurm job ${sub.jobId} (${job.name})`;
  const started = Date.now();
  let askFailures = 0;
  for (;;) {
    const queued = queuedTasks(sub.jobId);
    if (queued === null) {
      if (++askFailures >= 20) throw new Error(`squeue has failed ${askFailures} times in a row for job ${sub.jobId}; is slurmctld up?`);
    } else {
      askFailures = 0;
      const counts = { pending: 0, running: 0, done: 0, failed: 0 };
      const finished: TaskOutcome[] = [];
      for (const t of sub.tasks) {
        const state = queued.get(t);
        if (state === "PENDING" || state === "CONFIGURING" || state === "REQUEUED") counts.pending++;
        else if (state !== undefined && state !== "COMPLETED" && state !== "FAILED" && state !== "CANCELLED" && state !== "TIMEOUT") counts.running++;
        else {
          const outcome = taskOutcome(job, sub.jobId, t);
          finished.push(outcome);
          counts[outcome.state]++;
        }
      }
      progress.update(progressLine(label, counts, (Date.now() - started) / 1000));
      if (finished.length === sub.tasks.length) {
        progress.finish();
        return finished.sort((a, b) => a.task - b.task);
      }
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 3000));
  }
}

/** One line per failed task: its index, why, and its log. */
export function describeFailures(outcomes: readonly TaskOutcome[]): string[] {
  return outcomes.filter((o) => o.state === "failed").map((o) => `task ${o.task}: ${o.reason ?? "failed"}; log: ${o.log}`);
}
