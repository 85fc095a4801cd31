// Distributed work: cache shards (deterministic partitions, per-writer manifests merged on read), the
// sbatch array layer, sweep specs, and, on a real one-node Slurm (tests/helpers/slurm-cluster.ts; skipped
// without root or slurm-wlm), a 4-task array cache equal byte for byte to a single-process build after
// one task was scancelled and the array resubmitted, and a 4-run sweep as an array with its table.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { generateSyntheticDataset } from "../../src/data/synth";
import { buildSpectrogramCache, readCacheManifest, shardItems, parseShard, manifestFiles } from "../../src/features/cache";
import { compressIndices, taskArgv } from "../../src/cluster/jobs";
import { sbatchScript } from "../../src/cluster/slurm";
import { shellQuote } from "../../src/util/shell";
import { sweepPoints, checkSweepSpec, sweepRunId, sweepRunIds, type FlagTable } from "../../src/cluster/sweep";
import { TRAIN_OPTIONS } from "../../src/cli/commands/train";
import { main } from "../../src/cli/main";
import { loadRun } from "../../src/train/runs";
import { slurmSkipReason, startSlurmCluster, type SlurmCluster } from "../helpers/slurm-cluster";
import { captured } from "../helpers/capture";


/** Every file under dir/clips, relative, sorted. */
function clipFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(path.join(dir, "clips"));
  return out.sort();
}

function assertSameCache(a: string, b: string): void {
  const fa = clipFiles(a);
  assert.ok(fa.length > 0);
  assert.deepEqual(clipFiles(b), fa, "same clip files");
  for (const f of fa) assert.ok(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), `${f} differs`);
  const sorted = (m: Map<number, unknown>) => [...m.entries()].sort((x, y) => x[0] - y[0]);
  assert.deepEqual(sorted(readCacheManifest(b)), sorted(readCacheManifest(a)), "same merged manifest entries");
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(b, "params.json"), "utf8")), JSON.parse(fs.readFileSync(path.join(a, "params.json"), "utf8")));
}

const FLAGS = TRAIN_OPTIONS as unknown as FlagTable;
let tmp = "";
let dataDir = "";
let refRoot = "";
let refDir = "";
// kaiser_best resampling: slow enough (≈0.3 s a clip) for a task to be cancelled between clips.
const CACHE_ARGS = ["--clip-seconds", "3"];
const REQUEST = { clipSeconds: 3 };

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-slurm-test-"));
  dataDir = path.join(tmp, "synth");
  refRoot = path.join(tmp, "cache-single");
  // 24 tracks = 3 per genre (1 training, 1 validation, 1 test each); 3.5 s clips.
  await generateSyntheticDataset(dataDir, { tracks: 24, duration: 3.5, workers: 1, progress: false });
  refDir = (await buildSpectrogramCache({ dataDir, cacheRoot: refRoot, workers: 0, silent: true, ...REQUEST })).dir;
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test("shards are a deterministic partition of the tracks, balanced, whatever the input order", () => {
  const items = [7, 3, 11, 2, 19, 5, 13, 17, 23].map((trackId) => ({ trackId }));
  const shards = [0, 1, 2, 3].map((index) => shardItems(items, { index, count: 4 }).map((i) => i.trackId));
  // Sorted: 2 3 5 7 11 13 17 19 23 → round robin over 4.
  assert.deepEqual(shards, [[2, 11, 23], [3, 13], [5, 17], [7, 19]]);
  assert.deepEqual(shards.flat().sort((a, b) => a - b), items.map((i) => i.trackId).sort((a, b) => a - b));
  assert.deepEqual(shardItems([...items].reverse(), { index: 1, count: 4 }).map((i) => i.trackId), shards[1]);
  assert.deepEqual(parseShard("3/4"), { index: 3, count: 4 });
  for (const bad of ["4/4", "-1/4", "1/0", "1", "a/b"]) assert.throws(() => parseShard(bad), /--shard must be I\/N/);
});

test("shards built at once in one cache equal a single-process build; each writer has its own manifest", async () => {
  const root = path.join(tmp, "cache-inproc");
  const summaries = await Promise.all(
    [0, 1, 2].map((index) => buildSpectrogramCache({ dataDir, cacheRoot: root, workers: 0, silent: true, shard: { index, count: 3 }, ...REQUEST })),
  );
  assert.deepEqual(summaries.map((s) => s.computed), [8, 8, 8]);
  const dir = summaries[0].dir;
  assert.equal(path.basename(dir), path.basename(refDir));
  assert.equal(manifestFiles(dir).length, 3);
  assert.ok(!fs.existsSync(path.join(dir, "manifest.jsonl")));
  assertSameCache(refDir, dir);
  // A single-process resume over the sharded cache finds everything finished.
  const again = await buildSpectrogramCache({ dataDir, cacheRoot: root, workers: 0, silent: true, ...REQUEST });
  assert.equal(again.computed, 0);
  assert.equal(again.reused, 24);
});

test("array task indices, --array lists and the sbatch script", () => {
  assert.equal(compressIndices([5, 0, 1, 2, 7, 8]), "0-2,5,7-8");
  assert.equal(compressIndices([3]), "3");
  const job = { name: "spectrograms-abc", argv: ["spectrograms", "--data", "/d/my data", "--shard", "{task}/4"], tasks: 4, stateDir: "/shared/state" };
  assert.deepEqual(taskArgv(job, 2), ["spectrograms", "--data", "/d/my data", "--shard", "2/4"]);
  const script = sbatchScript(job, { cpusPerTask: 3, partition: "short", time: "1:00:00", mem: "4G", sbatchArgs: ["--account=lab"] });
  for (const line of ["#SBATCH --cpus-per-task=3", "#SBATCH --partition=short", "#SBATCH --time=1:00:00", "#SBATCH --mem=4G", "#SBATCH --account=lab", "#SBATCH --output=/shared/state/logs/%A_%a.out"]) {
    assert.ok(script.includes(line + "\n"), line);
  }
  assert.match(script, / spectrograms --data '\/d\/my data' --shard "\$task"\/4 &\n/);
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  // The script is valid bash.
  const checked = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
  assert.equal(checked.status, 0, checked.stderr);
  assert.throws(() => sbatchScript({ ...job, name: "bad name" }), /job name/);
});

describe("sweep specs", () => {
  const good = { name: "s", data: "d", base: { model: "feat_logreg", epochs: 2 }, grid: { lr: [0.01, 0.001], seed: [0, 1] } };

  test("grid points and their deterministic run ids", () => {
    const spec = checkSweepSpec(good, "spec.json", FLAGS);
    const points = sweepPoints(spec);
    assert.deepEqual(points.map((p) => p.label), ["lr=0.01 seed=0", "lr=0.01 seed=1", "lr=0.001 seed=0", "lr=0.001 seed=1"]);
    assert.equal(new Set(points.map((p) => p.runId)).size, 4);
    assert.equal(points[1].runId, sweepRunId("s", { seed: 1, lr: 0.01 }));
    assert.match(points[0].runId, /^s-[0-9a-f]{10}$/);
  });

  test("bad specs get a clear error naming the option", () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ ...good, grid: {} }, /"grid" is empty/],
      [{ ...good, grid: { lr: [] } }, /"lr" must be a non-empty list/],
      [{ ...good, grid: { learningRate: [0.1] } }, /unknown option "learningRate"/],
      [{ ...good, grid: { maxtracks: [5] } }, /did you mean "maxTracks"/],
      [{ ...good, grid: { lr: ["fast"] } }, /grid.lr\[0\]: "lr" takes a number, got "fast"/],
      [{ ...good, base: { classWeights: "yes" } }, /"classWeights" takes true or false/],
      [{ ...good, base: { model: 3 } }, /"model" takes a name/],
      [{ ...good, base: { runId: "x" } }, /"runId" cannot be set/],
      [{ ...good, base: { lr: 0.1 } }, /"lr" is also in base/],
      [{ ...good, extra: 1 }, /unknown field "extra"/],
      [{ ...good, name: "a b" }, /"name" must be/],
    ];
    for (const [spec, message] of bad) assert.throws(() => checkSweepSpec(spec, "spec.json", FLAGS), message);
  });

  test("fmalab sweep and fmalab slurm sweep reject a bad spec before anything runs", async () => {
    const runs = path.join(tmp, "runs-bad");
    const cases: Array<[unknown, RegExp]> = [
      [{ ...good, data: dataDir, grid: { lr: [0.01], epochz: [1] } }, /unknown option "epochz"/],
      [{ ...good, data: dataDir, grid: {} }, /"grid" is empty/],
      [{ ...good, data: dataDir, grid: { seed: [0, "one"] } }, /"seed" takes a number/],
      // Values of the right type but out of range: the trainer's own checks, before any run starts.
      [{ ...good, data: dataDir, grid: { seed: [0], batch: [0] } }, /grid point 0 \(seed=0 batch=0\): --batch must be an integer ≥ 1/],
      [{ ...good, data: dataDir, base: { model: "no_such_model" } }, /unknown model "no_such_model"/],
    ];
    for (const [i, [spec, message]] of cases.entries()) {
      const file = path.join(tmp, `bad-${i}.json`);
      fs.writeFileSync(file, JSON.stringify(spec));
      for (const argv of [["sweep", file, "--runs", runs], ["slurm", "sweep", file, "--runs", runs, "--tasks", "2", "--dry-run"]]) {
        const r = await captured(() => main(argv));
        assert.equal(r.code, 2, `${argv.join(" ")}: ${r.err}`);
        assert.match(r.err, message);
        assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
      }
    }
    assert.ok(!fs.existsSync(runs), "nothing was written");
  });
});

describe("on a real one-node Slurm", { skip: slurmSkipReason() ?? undefined }, () => {
  let cluster: SlurmCluster;
  const savedConf = process.env.SLURM_CONF;

  before(() => {
    cluster = startSlurmCluster();
    // sbatch, squeue and scancel (and the tasks, through sbatch's --export=ALL) find the cluster here.
    process.env.SLURM_CONF = cluster.conf;
  });
  after(() => {
    cluster?.stop();
    if (savedConf === undefined) delete process.env.SLURM_CONF;
    else process.env.SLURM_CONF = savedConf;
  });

  test("a 4-task array cache, one task scancelled and the array resubmitted, equals the single-process cache byte for byte", async () => {
    const root = path.join(tmp, "cache-slurm");
    const dir = path.join(root, path.basename(refDir));
    const args = ["slurm", "spectrograms", "--data", dataDir, "--cache", root, ...CACHE_ARGS, "--tasks", "4", "--cpus-per-task", "1"];
    let cancelled = "";
    const killer = (async () => {
      for (let i = 0; i < 3000 && !cancelled; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const files = manifestFiles(dir).filter((f) => path.basename(f).startsWith("manifest-shard-0002-of-0004."));
        const lines = files.reduce((n, f) => n + fs.readFileSync(f, "utf8").split("\n").filter(Boolean).length, 0);
        if (lines >= 1) {
          const job = fs.readFileSync(path.join(root, "slurm-jobs", path.basename(refDir), "submissions.jsonl"), "utf8").trim().split("\n").pop()!;
          cancelled = `${JSON.parse(job).jobId}_2`;
          spawnSync("scancel", [cancelled]);
        }
      }
    })();
    const first = await captured(() => main([...args, "--wait"]));
    await killer;
    assert.ok(cancelled, "task 2 was seen running and cancelled");
    assert.equal(first.code, 1, first.out + first.err);
    assert.match(first.out, /submitted slurm job \d+: tasks 0-3 of 0-3/);
    assert.match(first.err, /shards still incomplete: 2\b/);
    assert.match(first.err, /task 2: stopped by SIGTERM.*; log: .*_2\.out/);
    assert.match(first.err, /\(4 tasks\): 0 pending, 0 running, 3 done, 1 failed/);

    // What is complete now must not be recomputed: same inode and mtime after the resubmission.
    const before = new Map([...readCacheManifest(dir).values()].map((e) => [e.file!, fs.statSync(path.join(dir, e.file!))]));
    // The other three shards (18 clips) and at least one clip of shard 2.
    assert.ok(before.size >= 19 && before.size < 24, `${before.size} clips finished before the resubmission`);
    const second = await captured(() => main([...args, "--wait"]));
    assert.equal(second.code, 0, second.out + second.err);
    assert.match(second.out, /submitted slurm job \d+: tasks 2 of 0-3/);
    assert.match(second.out, /cache complete/);
    for (const [file, st] of before) {
      const now = fs.statSync(path.join(dir, file));
      assert.equal(now.ino, st.ino, `${file} was rewritten`);
      assert.equal(now.mtimeMs, st.mtimeMs, `${file} was rewritten`);
    }
    assertSameCache(refDir, dir);

    const third = await captured(() => main(args));
    assert.equal(third.code, 0);
    assert.match(third.out, /cache complete: .*nothing to submit/);
  });

  test("a 4-run sweep as a 2-task array gives 4 evaluated runs and the comparison table", async () => {
    const runs = path.join(tmp, "runs-slurm");
    const spec = path.join(tmp, "sweep.json");
    fs.writeFileSync(spec, JSON.stringify({ name: "tiny", data: dataDir, base: { model: "feat_logreg", epochs: 2, batch: 8, backend: "cpu" }, grid: { lr: [0.01, 0.003], seed: [0, 1] } }));
    const r = await captured(() => main(["slurm", "sweep", spec, "--runs", runs, "--cache", refRoot, "--tasks", "2", "--cpus-per-task", "1", "--wait"]));
    assert.equal(r.code, 0, r.out + r.err);
    const ids = sweepPoints(checkSweepSpec(JSON.parse(fs.readFileSync(spec, "utf8")), spec, FLAGS)).map((p) => p.runId);
    for (const id of ids) {
      const run = loadRun(path.join(runs, id));
      assert.equal(run.metrics.length, 2);
      assert.equal(run.evaluation?.nTracks, 8);
    }
    const csv = fs.readFileSync(path.join(runs, "sweeps", "tiny", "table.csv"), "utf8").trim().split("\n");
    assert.equal(csv.length, 5);
    assert.match(csv[0], /^lr,seed,run,status,val_acc,val_acc_low,val_acc_high,test_acc,test_acc_low,test_acc_high,test_macro_f1,epochs,train_seconds$/);
    assert.ok(csv.slice(1).every((l) => l.includes(",evaluated,")));
    // The table page: every run, then the figure (2 grid options: heat maps, rows lr, columns seed) and the recorded points.
    const page = fs.readFileSync(path.join(runs, "sweeps", "tiny", "table.html"), "utf8");
    for (const id of ids) assert.match(page, new RegExp(`>${id}<`));
    assert.match(page, /<svg[\s\S]*>0\.003<\/text>[\s\S]*>seed<\/text>[\s\S]*>test accuracy</);
    assert.ok(fs.existsSync(path.join(runs, "sweeps", "tiny", "comparison.svg")));
    assert.deepEqual([...sweepRunIds(runs)].sort(), [...ids].sort(), "the array job recorded the points (points.json)");
    assert.match(r.out, /lr\s+seed\s+status\s+val acc % \[95% CI\]/);

    // Resubmitted, nothing is left to do; --report prints the same table.
    const again = await captured(() => main(["slurm", "sweep", spec, "--runs", runs, "--cache", refRoot, "--tasks", "2"]));
    assert.equal(again.code, 0);
    assert.match(again.out, /every point is finished; nothing to submit/);
    const rep = await captured(() => main(["sweep", spec, "--runs", runs, "--report"]));
    assert.equal(rep.code, 0);
    assert.equal(rep.out.split("\n").filter((l) => /evaluated/.test(l)).length, 4);
  });
});
