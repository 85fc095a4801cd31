// A real one-node Slurm cluster for the tests: munged (reused when already running), then slurmctld and
// slurmd with a private slurm.conf in a temp folder, on ports of their own. Needs root and the Debian
// packages slurm-wlm and munge (.ci/run installs them); slurmSkipReason() says why when it cannot run.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface SlurmCluster {
  /** The temp folder holding slurm.conf, state, spool and logs. */
  dir: string;
  conf: string;
  /** process.env plus SLURM_CONF: pass it to anything that calls sbatch/squeue/scancel. */
  env: NodeJS.ProcessEnv;
  stop(): void;
}

function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).status === 0;
}

/** Why the Slurm tests cannot run here, or null when they can. */
export function slurmSkipReason(): string | null {
  if (process.platform !== "linux") return "Slurm tests need Linux";
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return "Slurm tests need root (they start slurmctld and slurmd); .ci/run runs them as root";
  for (const cmd of ["slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo", "munged"]) {
    if (!has(cmd)) return `${cmd} is not installed (apt-get install slurm-wlm munge)`;
  }
  return null;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { code: number; out: string } {
  const r = spawnSync(cmd, args, { env, encoding: "utf8", timeout: 30_000 });
  return { code: r.status ?? 1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

function mungeRunning(): boolean {
  return run("munge", ["-n"]).code === 0;
}

function startMunge(): void {
  if (mungeRunning()) return;
  fs.mkdirSync("/run/munge", { recursive: true });
  for (const d of ["/run/munge", "/var/log/munge", "/var/lib/munge", "/etc/munge"]) {
    if (fs.existsSync(d)) run("chown", ["-R", "munge:munge", d]);
  }
  if (!fs.existsSync("/etc/munge/munge.key")) {
    const made = run("mungekey", ["--create", "--keyfile=/etc/munge/munge.key"]);
    if (made.code !== 0) throw new Error(`mungekey failed: ${made.out}`);
    run("chown", ["munge:munge", "/etc/munge/munge.key"]);
  }
  // munged runs as the munge user when started by root through runuser; --force accepts a root start.
  const started = run("munged", ["--force"]);
  if (started.code !== 0) throw new Error(`munged failed to start: ${started.out}`);
  for (let i = 0; i < 50 && !mungeRunning(); i++) spawnSync("sleep", ["0.1"]);
  if (!mungeRunning()) throw new Error("munged started but `munge -n` still fails");
}

function sleepSync(seconds: number): void {
  spawnSync("sleep", [String(seconds)]);
}

function slurmConf(dir: string, host: string, cpus: number, port: number): string {
  return [
    "ClusterName=fmalabtest",
    `SlurmctldHost=${host}`,
    "SlurmUser=root",
    "SlurmdUser=root",
    "AuthType=auth/munge",
    `StateSaveLocation=${dir}/state`,
    `SlurmdSpoolDir=${dir}/spool`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`,
    `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/log/slurmctld.log`,
    `SlurmdLogFile=${dir}/log/slurmd.log`,
    `SlurmctldPort=${port}`,
    `SlurmdPort=${port + 1}`,
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_CPU",
    "ReturnToService=2",
    "MpiDefault=none",
    "JobAcctGatherType=jobacct_gather/none",
    "AccountingStorageType=accounting_storage/none",
    // Cancelled tasks get SIGKILL 2 s after SIGTERM (default 30 s): keeps the scancel test short.
    "KillWait=2",
    "MinJobAge=600",
    `NodeName=${host} CPUs=${cpus} State=UNKNOWN`,
    `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
    "",
  ].join("\n");
}

function readPid(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Start the cluster and wait until its node is idle (about 5 s). */
export function startSlurmCluster(): SlurmCluster {
  const reason = slurmSkipReason();
  if (reason) throw new Error(reason);
  startMunge();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-slurm-"));
  for (const d of ["state", "spool", "log"]) fs.mkdirSync(path.join(dir, d));
  const host = run("hostname", ["-s"]).out.trim() || os.hostname().split(".")[0];
  // Ports of our own (two per process id) so a cluster someone else runs here is left alone.
  const port = 20000 + 2 * (process.pid % 10000);
  const conf = path.join(dir, "slurm.conf");
  fs.writeFileSync(conf, slurmConf(dir, host, os.cpus().length, port));
  const env = { ...process.env, SLURM_CONF: conf };
  const stop = (): void => {
    run("scancel", ["--quiet", "--full", "--partition=debug"], env);
    for (const name of ["slurmd.pid", "slurmctld.pid"]) {
      const pid = readPid(path.join(dir, name));
      if (pid) {
        try {
          process.kill(pid, "SIGTERM");
        } catch {
          /* gone already */
        }
      }
    }
    for (let i = 0; i < 50; i++) {
      const alive = ["slurmd.pid", "slurmctld.pid"].map((n) => readPid(path.join(dir, n))).filter((p) => p !== null && processAlive(p));
      if (alive.length === 0) break;
      sleepSync(0.1);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const ctld = run("slurmctld", ["-f", conf], env);
  const d = run("slurmd", ["-f", conf], env);
  if (ctld.code !== 0 || d.code !== 0) {
    const log = (n: string) => (fs.existsSync(path.join(dir, "log", n)) ? fs.readFileSync(path.join(dir, "log", n), "utf8").slice(-2000) : "");
    stop();
    throw new Error(`slurm did not start: slurmctld ${ctld.code} ${ctld.out} slurmd ${d.code} ${d.out}\n${log("slurmctld.log")}\n${log("slurmd.log")}`);
  }
  for (let i = 0; i < 120; i++) {
    const state = run("sinfo", ["-h", "-o", "%T"], env).out.trim();
    if (/^idle$/m.test(state)) return { dir, conf, env, stop };
    sleepSync(0.25);
  }
  const log = fs.existsSync(path.join(dir, "log", "slurmctld.log")) ? fs.readFileSync(path.join(dir, "log", "slurmctld.log"), "utf8").slice(-2000) : "";
  stop();
  throw new Error(`slurm node never became idle within 30 s\n${log}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
