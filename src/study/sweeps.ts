// A hyperparameter sweep as data, read back from run folders: the spec's shape, its grid points and their
// deterministic run ids, where its report lives, which runs belong to sweeps (so the study's own run
// comparison leaves them out), its comparison table, and the figure input drawn from that table. Training
// a sweep (checking a spec against `fmalab train`'s flags, running the points, writing the report) is
// src/cluster/sweep.ts, above this layer; the report figures (`fmalab figures --sweep`) need only this.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { SweepFigureInput, SweepFigurePoint } from "../plots/figures";

/* eslint-disable @typescript-eslint/no-var-requires -- lazy stages, see dataset.ts */

export type SweepValue = string | number | boolean;

export interface SweepSpec {
  name: string;
  /** Dataset folder, as `fmalab train --data` (relative to the spec file's folder when relative). */
  data: string;
  base: Record<string, SweepValue>;
  grid: Record<string, SweepValue[]>;
}

export interface SweepPoint {
  index: number;
  /** The grid values of this point (option → value). */
  values: Record<string, SweepValue>;
  runId: string;
  /** "lr=0.001 seed=1". */
  label: string;
}

function sortedObject(values: Record<string, SweepValue>): Record<string, SweepValue> {
  const out: Record<string, SweepValue> = {};
  for (const k of Object.keys(values).sort()) out[k] = values[k];
  return out;
}

/** The run id of a grid point: <name>-<10 hex of sha256 of the point's values (sorted keys)>. */
export function sweepRunId(name: string, values: Record<string, SweepValue>): string {
  return `${name}-${createHash("sha256").update(JSON.stringify(sortedObject(values))).digest("hex").slice(0, 10)}`;
}

/** Every grid point, in a fixed order (the grid's keys as written, the last one varying fastest). */
export function sweepPoints(spec: SweepSpec): SweepPoint[] {
  const keys = Object.keys(spec.grid);
  let combos: Array<Record<string, SweepValue>> = [{}];
  for (const k of keys) combos = combos.flatMap((c) => spec.grid[k].map((v) => ({ ...c, [k]: v })));
  return combos.map((values, index) => ({
    index,
    values,
    runId: sweepRunId(spec.name, values),
    label: keys.map((k) => `${k}=${values[k]}`).join(" "),
  }));
}

/** Where a sweep's report, point list and job state go: RUNS/sweeps/<name>/. */
export function sweepDir(runsDir: string, name: string): string {
  return path.join(path.resolve(runsDir), "sweeps", name);
}

/** RUNS/sweeps/<name>/points.json: the spec and its points' run ids, written before any point trains. */
export const SWEEP_POINTS_FILE = "points.json";

export interface SweepPointsFile {
  format: "fmalab-sweep";
  version: 1;
  spec: SweepSpec;
  points: SweepPoint[];
  /** Every run id this sweep name has had (its points now, and those of earlier grids under the name). */
  runIds: string[];
}

/**
 * The run ids of every sweep under `runsDir`: from each RUNS/sweeps/<name>/points.json, and from the run
 * column of its table.csv (sweeps reported before points.json existed). A sweep's runs sit beside the
 * study's (RUNS/<name>-<hash>), so this is how the study's run comparison tells them apart.
 */
export function sweepRunIds(runsDir: string): Set<string> {
  const ids = new Set<string>();
  const root = path.join(path.resolve(runsDir), "sweeps");
  if (!fs.existsSync(root)) return ids;
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(root, entry.name);
    try {
      const file = JSON.parse(fs.readFileSync(path.join(dir, SWEEP_POINTS_FILE), "utf8")) as SweepPointsFile;
      for (const id of file.runIds ?? []) ids.add(id);
      for (const p of file.points ?? []) ids.add(p.runId);
    } catch {
      // no points.json (or unreadable): the table's run column below
    }
    const table = path.join(dir, "table.csv");
    if (!fs.existsSync(table)) continue;
    const [header, ...lines] = fs.readFileSync(table, "utf8").split("\n");
    const column = header.split(",").indexOf("run");
    if (column < 0) continue;
    for (const line of lines) {
      const id = line.split(",")[column];
      if (id) ids.add(id);
    }
  }
  return ids;
}

/** Wilson 95% interval of a proportion p over n. */
export function wilsonInterval(p: number, n: number): [number, number] {
  if (!(n > 0)) return [NaN, NaN];
  const z = 1.959964;
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export type SweepRow = Record<string, string | number | null>;

/** One row per grid point: its values, status, val/test accuracy with 95% intervals, macro-F1, epochs, time. */
export function sweepTable(spec: SweepSpec, runsDir: string): SweepRow[] {
  const { compareRuns, loadRun, RUN_FILES } = require("../train/runs") as typeof import("../train/runs");
  return sweepPoints(spec).map((p) => {
    const row: SweepRow = { ...p.values } as SweepRow;
    row.run = p.runId;
    const dir = path.join(runsDir, p.runId);
    if (!fs.existsSync(path.join(dir, RUN_FILES.config))) return { ...row, status: "not started", val_acc: null, val_acc_low: null, val_acc_high: null, test_acc: null, test_acc_low: null, test_acc_high: null, test_macro_f1: null, epochs: 0, train_seconds: 0 };
    const run = loadRun(dir);
    const c = compareRuns([run])[0];
    const [vl, vh] = c.best_val_acc === null ? [null, null] : wilsonInterval(c.best_val_acc, run.config.data.tracks.validation);
    return {
      ...row,
      status: run.evaluation ? "evaluated" : "incomplete",
      val_acc: c.best_val_acc,
      val_acc_low: vl,
      val_acc_high: vh,
      test_acc: c.test_acc,
      test_acc_low: c.test_acc_low,
      test_acc_high: c.test_acc_high,
      test_macro_f1: c.test_macro_f1,
      epochs: c.epochs,
      train_seconds: Math.round(c.train_seconds * 10) / 10,
    };
  });
}

/** Axis labels (with units) of the `fmalab train` options a sweep usually varies; others show their name. */
export const SWEEP_AXIS_LABELS: Readonly<Record<string, string>> = {
  lr: "lr (Adam step size)",
  weightDecay: "weightDecay (decoupled, AdamW)",
  batch: "batch (examples per step)",
  epochs: "epochs",
  seed: "seed",
  mixup: "mixup (Beta(α, α))",
  noise: "noise (std, normalised units)",
  timeStretch: "timeStretch (± fraction)",
  pitchShift: "pitchShift (± mel bands)",
  evalCrops: "evalCrops (crops per track)",
  cropsPerTrack: "cropsPerTrack (per epoch)",
  maxTracks: "maxTracks (tracks per split)",
  patience: "patience (epochs)",
  lrPatience: "lrPatience (epochs)",
  replicas: "replicas (model copies)",
  model: "model",
};

function numberOrNull(v: string | number | null | undefined): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/**
 * The sweep figure's input from its table: every grid point, chance from the evaluated runs' classes, and
 * what their evaluation accuracy is (a test score only when every evaluated run holds its test tracks out).
 */
export function sweepFigureInput(spec: SweepSpec, rows: readonly SweepRow[], runsDir: string): SweepFigureInput {
  const { loadRun, hasHeldOutTest, scoreName } = require("../train/runs") as typeof import("../train/runs");
  const keys = Object.keys(spec.grid);
  const points: SweepFigurePoint[] = rows.map((r) => ({
    values: Object.fromEntries(keys.map((k) => [k, r[k] as SweepValue])),
    status: String(r.status),
    run: String(r.run),
    val_acc: numberOrNull(r.val_acc),
    val_acc_low: numberOrNull(r.val_acc_low),
    val_acc_high: numberOrNull(r.val_acc_high),
    test_acc: numberOrNull(r.test_acc),
    test_acc_low: numberOrNull(r.test_acc_low),
    test_acc_high: numberOrNull(r.test_acc_high),
    test_macro_f1: numberOrNull(r.test_macro_f1),
    epochs: numberOrNull(r.epochs) ?? 0,
    train_seconds: numberOrNull(r.train_seconds) ?? 0,
  }));
  const evaluated = rows.filter((r) => r.status === "evaluated").map((r) => loadRun(path.join(runsDir, String(r.run))));
  const classes = evaluated.length ? evaluated[0].config.classes.length : 0;
  const notHeldOut = evaluated.find((r) => !hasHeldOutTest(r.config));
  const base = Object.entries(spec.base).map(([k, v]) => `${k} ${v}`).join(", ");
  return {
    name: spec.name,
    grid: spec.grid,
    points,
    chance: classes > 0 ? 1 / classes : undefined,
    axisLabels: SWEEP_AXIS_LABELS,
    testName: notHeldOut ? "evaluation accuracy (not a test score)" : "test accuracy",
    note: `data ${path.basename(spec.data)}${base ? `; base: ${base}` : ""}${notHeldOut ? `; ⚠ ${scoreName(notHeldOut.config)}` : ""}`,
  };
}
