// The local runner of ArrayJobs (jobs.ts): the same tasks a Slurm array would run, as child processes
// of this machine, at most `workers` at once, with the same status files and per-task logs. A child is
// a plain `fmalab …` command line, visible in `ps`, stopped with this process (SIGINT/SIGTERM/SIGHUP).
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  clearTaskStatus,
  fmalabCommand,
  progressLine,
  taskArgv,
  writeTaskStatus,
  ProgressLines,
  type ArrayJob,
  type TaskOutcome,
} from "./jobs";

export interface LocalRunOptions {
  /** Tasks at once (default 1). */
  workers?: number;
  /** Which tasks (default all). */
  tasks?: readonly number[];
  progress?: ProgressLines;
  label?: string;
}

/** Run the tasks; resolves with every task's outcome (never rejects for a failed task). */
export async function runArrayJobLocally(job: ArrayJob, opts: LocalRunOptions = {}): Promise<TaskOutcome[]> {
  const todo = opts.tasks ? [...opts.tasks] : Array.from({ length: job.tasks }, (_, i) => i);
  const workers = Math.max(1, Math.min(opts.workers ?? 1, todo.length));
  const jobId = `local-${Date.now()}`;
  const progress = opts.progress ?? new ProgressLines();
  const label = opts.label ?? `local job ${job.name}`;
  fs.mkdirSync(path.join(job.stateDir, "logs"), { recursive: true });
  clearTaskStatus(job.stateDir, todo);
  const started = Date.now();
  const outcomes: TaskOutcome[] = [];
  const running = new Set<ChildProcess>();
  const stopAll = (): void => {
    for (const c of running) c.kill("SIGTERM");
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  const onSignal = (sig: NodeJS.Signals): void => {
    stopAll();
    process.exitCode = 128 + (os.constants.signals[sig] ?? 15);
  };
  for (const s of signals) process.once(s, onSignal);
  let next = 0;
  const counts = () => ({
    pending: todo.length - next,
    running: running.size,
    done: outcomes.filter((o) => o.state === "done").length,
    failed: outcomes.filter((o) => o.state === "failed").length,
  });
  const tick = setInterval(() => progress.update(progressLine(label, counts(), (Date.now() - started) / 1000)), 1000);
  try {
    await new Promise<void>((resolve) => {
      const launch = (): void => {
        if (next >= todo.length) {
          if (running.size === 0) resolve();
          return;
        }
        const task = todo[next++];
        const child = runTask(job, jobId, task, (outcome) => {
          running.delete(child);
          outcomes.push(outcome);
          progress.update(progressLine(label, counts(), (Date.now() - started) / 1000));
          launch();
        });
        running.add(child);
      };
      for (let i = 0; i < workers; i++) launch();
    });
  } finally {
    clearInterval(tick);
    for (const s of signals) process.removeListener(s, onSignal);
    progress.finish();
  }
  return outcomes.sort((a, b) => a.task - b.task);
}

function runTask(job: ArrayJob, jobId: string, task: number, done: (o: TaskOutcome) => void): ChildProcess {
  const log = path.join(job.stateDir, "logs", `${jobId}_${task}.out`);
  const fd = fs.openSync(log, "w");
  const startedS = Math.floor(Date.now() / 1000);
  const base = { task, job: jobId, host: os.hostname(), started: startedS };
  writeTaskStatus(job.stateDir, { ...base, state: "running" });
  const { node, args } = fmalabCommand();
  const child = spawn(node, [...args, ...taskArgv(job, task)], { stdio: ["ignore", fd, fd] });
  let reported = false;
  const finish = (code: number | null, signal: NodeJS.Signals | null, error?: Error): void => {
    if (reported) return;
    reported = true;
    fs.closeSync(fd);
    const exitCode = code ?? (signal ? 128 + (os.constants.signals[signal] ?? 15) : 1);
    writeTaskStatus(job.stateDir, { ...base, state: "exited", exitCode, signal: signal?.replace(/^SIG/, ""), ended: Math.floor(Date.now() / 1000) });
    done(
      exitCode === 0
        ? { task, state: "done", exitCode, log }
        : { task, state: "failed", exitCode, log, reason: error ? error.message : signal ? `stopped by ${signal}` : `exit status ${exitCode}` },
    );
  };
  child.on("error", (err) => finish(null, null, err));
  child.on("exit", (code, signal) => finish(code, signal));
  return child;
}
