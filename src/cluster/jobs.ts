// Many jobs, one description: an array job is plain data, an `fmalab` command line run once per task
// index, with "{task}" in it replaced by the index. The same description runs locally (local.ts: child
// processes on this machine) or as a Slurm job array (slurm.ts). Either way every task writes its own
// status file atomically (task, job, host, start/end time, exit code) and its own log; completeness
// is decided by the caller from the work's own outputs (cache manifests, finished runs), never from the
// scheduler's memory.
//
// Layer: above the study and the stages it launches (it runs their CLI commands), below src/cli.
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { PROJECT_ROOT, writeJsonAtomic } from "../util/fs";

/** The placeholder replaced by the task index in an ArrayJob's argv. */
export const TASK_PLACEHOLDER = "{task}";

export interface ArrayJob {
  /** Short name (letters, digits, '-', '_'); the Slurm job name is fmalab-<name>. */
  name: string;
  /** `fmalab` argv for every task, e.g. ["spectrograms", "--data", D, "--shard", "{task}/4"]. */
  argv: string[];
  /** Number of tasks; indices 0 … tasks − 1. */
  tasks: number;
  /** Folder for the script, logs and per-task status files (on the shared filesystem for Slurm). */
  stateDir: string;
}

/** One task's status file, written by the task itself (by its sbatch script, or the local runner). */
export interface TaskStatus {
  task: number;
  /** Slurm array job id, or "local-<time>" for the local runner. */
  job: string;
  host: string;
  /** Unix seconds. */
  started: number;
  state: "running" | "exited";
  exitCode?: number;
  /** Set when the task was stopped by a signal (scancel, time limit). */
  signal?: string;
  ended?: number;
}

export interface TaskOutcome {
  task: number;
  state: "done" | "failed";
  exitCode: number | null;
  log: string;
  /** Why it failed, in words. */
  reason?: string;
}

export function checkJobName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name)) throw new Error(`job name "${name}" must be letters, digits, '-' or '_' (at most 64)`);
}

/** The argv of task `index`. */
export function taskArgv(job: ArrayJob, index: number): string[] {
  return job.argv.map((a) => a.split(TASK_PLACEHOLDER).join(String(index)));
}

export function statusFile(stateDir: string, task: number): string {
  return path.join(stateDir, "status", `task-${task}.json`);
}

export function readTaskStatus(stateDir: string, task: number): TaskStatus | null {
  const file = statusFile(stateDir, task);
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as TaskStatus;
  } catch {
    return null; // absent, or being replaced (rename is atomic, so rarely)
  }
}

export function writeTaskStatus(stateDir: string, status: TaskStatus): void {
  writeJsonAtomic(statusFile(stateDir, status.task), status);
}

/** Forget the status of tasks about to be run again (so an old exit code cannot be mistaken for theirs). */
export function clearTaskStatus(stateDir: string, tasks: readonly number[]): void {
  for (const t of tasks) fs.rmSync(statusFile(stateDir, t), { force: true });
}

/** Node and the arguments that run the fmalab CLI from source (tsx), as every task does. */
export function fmalabCommand(): { node: string; args: string[] } {
  const tsx = require.resolve("tsx", { paths: [PROJECT_ROOT] });
  return { node: process.execPath, args: ["--import", pathToFileURL(tsx).href, path.join(PROJECT_ROOT, "src", "cli", "main.ts")] };
}

/** Task indices as Slurm's --array list: [0,1,2,5,7,8] → "0-2,5,7-8". */
export function compressIndices(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** A progress line for a set of tasks: "4 tasks: 1 pending, 2 running, 1 done, 0 failed · 00:35". */
export function progressLine(label: string, counts: { pending: number; running: number; done: number; failed: number }, elapsedS: number): string {
  const total = counts.pending + counts.running + counts.done + counts.failed;
  const mm = String(Math.floor(elapsedS / 60)).padStart(2, "0");
  const ss = String(Math.floor(elapsedS % 60)).padStart(2, "0");
  return `${label} (${total} task${total === 1 ? "" : "s"}): ${counts.pending} pending, ${counts.running} running, ${counts.done} done, ${counts.failed} failed · ${mm}:${ss}`;
}

// The status line of a set of tasks is the shared progress utility's (one place for TTY/non-TTY/--quiet).
export { ProgressLines } from "../util/progress";
