// The sweep engine below the CLI (src/cluster/sweep.ts, what `fmalab sweep` and notebook 03 call): a spec
// given in code, each point as `fmalab train` would parse it, the recorded points (kept across grids, read
// back to tell sweep runs from the study's), and a finished run trained with other settings refused rather
// than reused. Training itself is covered by slurm.test.ts (a real 4-run sweep) and notebook 03.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { makeSweepSpec, prepareSweep, runSweepPoints, sweepDir, sweepPointInput, sweepPoints, sweepRunIds, SWEEP_POINTS_FILE, writeSweepPoints } from "../../src/cluster/sweep";
import { resolveTrainConfig } from "../../src/train/config";

const RAW = { name: "lrwd", data: "synth", base: { epochs: 2, maxTracks: 16, quick: true }, grid: { lr: [0.003, 0.0003], weightDecay: [0, 0.01] } };

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-sweep-"));
}

test("a spec given in code: checked like a file (naming where), data resolved against baseDir", () => {
  const spec = makeSweepSpec(RAW, { baseDir: "/data" });
  assert.equal(spec.data, path.resolve("/data/synth"));
  assert.deepEqual(sweepPoints(spec).map((p) => p.label), ["lr=0.003 weightDecay=0", "lr=0.003 weightDecay=0.01", "lr=0.0003 weightDecay=0", "lr=0.0003 weightDecay=0.01"]);
  assert.throws(() => makeSweepSpec({ ...RAW, grid: { dropout: [0.1] } }), /sweep spec \(given in code\): grid: unknown option "dropout"/);
  assert.throws(() => makeSweepSpec({ ...RAW, grid: { lr: ["fast"] } }, { where: "notebook 03" }), /sweep spec notebook 03: grid\.lr\[0\]: "lr" takes a number/);
});

test("a point's training input is fmalab train's parsing of base + point values, with its run id, runs and cache", () => {
  const spec = makeSweepSpec(RAW, { baseDir: "/data" });
  const p = sweepPoints(spec)[1];
  const input = sweepPointInput(spec, p, "/runs", "/cache/x");
  assert.equal(input.lr, 0.003);
  assert.equal(input.weightDecay, 0.01);
  assert.equal(input.epochs, 2);
  assert.equal(input.maxTracksPerSplit, 16);
  assert.equal(input.evalCrops, 3, "the --quick preset's value, as `fmalab train --quick` gives");
  assert.equal(input.runId, p.runId);
  assert.equal(input.runsDir, "/runs");
  assert.equal(input.cacheDir, "/cache/x");
  assert.equal(input.data, path.resolve("/data/synth"));
  assert.throws(() => prepareSweep(makeSweepSpec({ ...RAW, base: { epochs: 0 } }), { runsDir: "/runs" }), /grid point 0 \(lr=0\.003 weightDecay=0\): --epochs must be an integer ≥ 1/);
});

test("points.json keeps every run id a sweep name has had; sweepRunIds reads it, and table.csv of older sweeps", () => {
  const runsDir = tmpdir();
  const first = prepareSweep(makeSweepSpec(RAW), { runsDir });
  const file = writeSweepPoints(first);
  assert.equal(file, path.join(sweepDir(runsDir, "lrwd"), SWEEP_POINTS_FILE));
  const second = prepareSweep(makeSweepSpec({ ...RAW, grid: { lr: [0.001] } }), { runsDir });
  writeSweepPoints(second);
  const ids = [...first.points, ...second.points].map((p) => p.runId);
  assert.deepEqual([...sweepRunIds(runsDir)].sort(), [...new Set(ids)].sort());
  // A sweep reported before points.json existed: its table's run column.
  const old = path.join(runsDir, "sweeps", "old");
  fs.mkdirSync(old, { recursive: true });
  fs.writeFileSync(path.join(old, "table.csv"), "lr,run,status\n0.1,old-0123456789,evaluated\n0.2,old-abcdefabcd,not started\n");
  const all = sweepRunIds(runsDir);
  assert.ok(all.has("old-0123456789") && all.has("old-abcdefabcd"));
  assert.equal(all.size, new Set(ids).size + 2);
  assert.equal(sweepRunIds(path.join(runsDir, "absent")).size, 0);
  fs.rmSync(runsDir, { recursive: true, force: true });
});

test("a finished point is skipped when its run has the point's settings, and refused when they differ", async () => {
  const runsDir = tmpdir();
  const prepared = prepareSweep(makeSweepSpec(RAW), { runsDir });
  const [same, changed] = prepared.points;
  const finished = (id: string, train: object) => {
    fs.mkdirSync(path.join(runsDir, id), { recursive: true });
    fs.writeFileSync(path.join(runsDir, id, "config.json"), JSON.stringify({ format: "fmalab-run", version: 1, id, train }));
    fs.writeFileSync(path.join(runsDir, id, "evaluation.json"), "{}");
  };
  finished(same.runId, resolveTrainConfig(prepared.inputs[same.index]));
  finished(changed.runId, { ...resolveTrainConfig(prepared.inputs[changed.index]), lr: 0.1 });
  const lines: string[] = [];
  const failures = await runSweepPoints(prepared, [same, changed], { log: (l) => lines.push(l) });
  assert.ok(lines.some((l) => l.includes(`point 0 (${same.label}) is finished: ${same.runId}`)), lines.join("\n"));
  assert.equal(failures.length, 1, failures.join("\n"));
  assert.match(failures[0], new RegExp(`point 1 \\(${changed.label}\\), run ${changed.runId}: finished with other settings \\(lr: 0\\.1 in the run, 0\\.003 now\\); remove .* or give the sweep another name`));
  fs.rmSync(runsDir, { recursive: true, force: true });
});
