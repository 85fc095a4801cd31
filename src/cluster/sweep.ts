// Hyperparameter sweeps: a spec {"name", "data", "base": {options}, "grid": {option: [values], …}}
// whose options are `fmalab train`'s flags in camelCase (--max-tracks → maxTracks). Every grid point is
// one run with a deterministic id (name + a hash of the point), so a resubmitted sweep resumes each run
// from its checkpoint and skips the finished ones. The spec is checked whole (unknown option, empty grid,
// a value of the wrong type) before anything runs. The comparison table (grid values, validation and
// test accuracy with 95% intervals, macro-F1, epochs, time) is written as CSV and HTML with a figure.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../util/errors";
import { escapeHtml } from "../util/html";
import { writeFileAtomic } from "../util/fs";
import { compareRuns, loadRun, RUN_FILES } from "../train/runs";
import { runComparisonFigure, runComparisonHtml } from "../plots/figures";

export type SweepValue = string | number | boolean;

export interface SweepSpec {
  name: string;
  /** Dataset folder, as `fmalab train --data` (relative to the spec file's folder when relative). */
  data: string;
  base: Record<string, SweepValue>;
  grid: Record<string, SweepValue[]>;
}

/** An option table like util.parseArgs's: flag name → {type}. */
export type FlagTable = Record<string, { type: "string" | "boolean" }>;

export interface SweepPoint {
  index: number;
  /** The grid values of this point (option → value). */
  values: Record<string, SweepValue>;
  runId: string;
  /** "lr=0.001 seed=1". */
  label: string;
}

/** Flags a spec may not set: the sweep sets them (run ids, data) or they are command-line only. */
export const SWEEP_RESERVED_FLAGS: Record<string, string> = {
  "run-id": "every grid point gets its own id",
  resume: "runs resume by themselves",
  data: `give it as the spec's top-level "data"`,
  runs: "give --runs on the sweep's command line",
  cache: "give --cache on the sweep's command line",
  quiet: "sweep runs are always quiet",
};

/** Flags whose value is a word, not a number. */
const WORD_FLAGS = new Set(["model", "backend"]);

export function flagToCamel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Read and check a spec file; every problem is a UsageError naming the file and the option. */
export function readSweepSpec(file: string, flags: FlagTable): SweepSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`sweep spec ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`sweep spec ${file}: not valid JSON (${(err as Error).message})`);
  }
  const spec = checkSweepSpec(raw, file, flags);
  return { ...spec, data: path.resolve(path.dirname(path.resolve(file)), spec.data) };
}

/** Check a parsed spec against the train flag table (shape and value types; ranges are the trainer's). */
export function checkSweepSpec(raw: unknown, where: string, flags: FlagTable): SweepSpec {
  const fail = (msg: string): never => {
    throw new UsageError(`sweep spec ${where}: ${msg}`);
  };
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) fail(`expected an object {"name", "data", "base", "grid"}`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!["name", "data", "base", "grid"].includes(k)) fail(`unknown field "${k}" (expected name, data, base, grid)`);
  if (typeof o.name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$/.test(o.name)) fail(`"name" must be letters, digits, '-' or '_' (at most 41), got ${JSON.stringify(o.name)}`);
  if (typeof o.data !== "string" || o.data === "") fail(`"data" must be the dataset folder (a string), got ${JSON.stringify(o.data)}`);
  const base = (o.base ?? {}) as Record<string, unknown>;
  if (typeof base !== "object" || Array.isArray(base)) fail(`"base" must be an object of options`);
  if (!o.grid || typeof o.grid !== "object" || Array.isArray(o.grid)) fail(`"grid" must be an object {option: [values, …]}`);
  const grid = o.grid as Record<string, unknown>;
  if (Object.keys(grid).length === 0) fail(`"grid" is empty: give at least one option with a list of values`);
  const byCamel = new Map(Object.keys(flags).map((f) => [flagToCamel(f), f] as const));
  const flagOf = (key: string, section: string): string => {
    const flag = byCamel.get(key);
    if (!flag) {
      const near = [...byCamel.keys()].find((k) => k.toLowerCase() === key.toLowerCase());
      return fail(`${section}: unknown option "${key}"${near ? ` (did you mean "${near}"?)` : ""}; options are fmalab train's flags in camelCase: ${[...byCamel.keys()].filter((k) => !(byCamel.get(k)! in SWEEP_RESERVED_FLAGS)).join(", ")}`);
    }
    if (flag in SWEEP_RESERVED_FLAGS) fail(`${section}: "${key}" cannot be set in a spec (${SWEEP_RESERVED_FLAGS[flag]})`);
    return flag;
  };
  const checkValue = (key: string, flag: string, v: unknown, section: string): SweepValue => {
    const type = flags[flag].type;
    if (type === "boolean") {
      if (typeof v !== "boolean") fail(`${section}: "${key}" takes true or false, got ${JSON.stringify(v)}`);
    } else if (WORD_FLAGS.has(flag)) {
      if (typeof v !== "string" || v === "") fail(`${section}: "${key}" takes a name (a string), got ${JSON.stringify(v)}`);
    } else if (typeof v !== "number" || !Number.isFinite(v)) {
      fail(`${section}: "${key}" takes a number, got ${JSON.stringify(v)}`);
    }
    return v as SweepValue;
  };
  const outBase: Record<string, SweepValue> = {};
  for (const [k, v] of Object.entries(base)) outBase[k] = checkValue(k, flagOf(k, "base"), v, "base");
  const outGrid: Record<string, SweepValue[]> = {};
  for (const [k, vs] of Object.entries(grid)) {
    const flag = flagOf(k, "grid");
    if (k in outBase) fail(`grid: "${k}" is also in base; give it in one place`);
    if (!Array.isArray(vs) || vs.length === 0) fail(`grid: "${k}" must be a non-empty list of values, got ${JSON.stringify(vs)}`);
    const seen = new Set<string>();
    outGrid[k] = (vs as unknown[]).map((v, i) => {
      const checked = checkValue(k, flag, v, `grid.${k}[${i}]`);
      if (seen.has(JSON.stringify(checked))) fail(`grid: "${k}" lists ${JSON.stringify(checked)} twice`);
      seen.add(JSON.stringify(checked));
      return checked;
    });
  }
  return { name: o.name as string, data: o.data as string, base: outBase, grid: outGrid };
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

/** `fmalab train` argv of a point (base, then the point's values), without the run id and folders. */
export function pointTrainArgv(spec: SweepSpec, point: SweepPoint, flags: FlagTable): string[] {
  const byCamel = new Map(Object.keys(flags).map((f) => [flagToCamel(f), f] as const));
  const argv: string[] = ["--data", spec.data];
  for (const [k, v] of Object.entries({ ...spec.base, ...point.values })) {
    const flag = byCamel.get(k)!;
    if (flags[flag].type === "boolean") {
      if (v === true) argv.push(`--${flag}`);
    } else argv.push(`--${flag}`, String(v));
  }
  return argv;
}

/** Where a sweep's report and job state go: RUNS/sweeps/<name>/. */
export function sweepDir(runsDir: string, name: string): string {
  return path.join(path.resolve(runsDir), "sweeps", name);
}

/** A point is finished when its run has an evaluation (or, for --no-eval runs, a best/ model and no checkpoint left to continue). */
export function pointFinished(runsDir: string, point: SweepPoint): boolean {
  const dir = path.join(runsDir, point.runId);
  return fs.existsSync(path.join(dir, RUN_FILES.evaluation));
}

/** Wilson 95% interval of a proportion p over n. */
function wilson(p: number, n: number): [number, number] {
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
  return sweepPoints(spec).map((p) => {
    const row: SweepRow = { ...p.values } as SweepRow;
    row.run = p.runId;
    const dir = path.join(runsDir, p.runId);
    if (!fs.existsSync(path.join(dir, RUN_FILES.config))) return { ...row, status: "not started", val_acc: null, val_acc_low: null, val_acc_high: null, test_acc: null, test_acc_low: null, test_acc_high: null, test_macro_f1: null, epochs: 0, train_seconds: 0 };
    const run = loadRun(dir);
    const c = compareRuns([run])[0];
    const [vl, vh] = c.best_val_acc === null ? [null, null] : wilson(c.best_val_acc, run.config.data.tracks.validation);
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

function pct(v: number | string | null): string {
  return typeof v === "number" && Number.isFinite(v) ? (100 * v).toFixed(1) : "–";
}

/** The table as aligned text for the terminal. */
export function sweepTableText(spec: SweepSpec, rows: readonly SweepRow[]): string {
  const keys = Object.keys(spec.grid);
  const header = [...keys, "status", "val acc % [95% CI]", "test acc % [95% CI]", "macro-F1", "epochs", "time s"];
  const body = rows.map((r) => [
    ...keys.map((k) => String(r[k])),
    String(r.status),
    `${pct(r.val_acc)} [${pct(r.val_acc_low)}–${pct(r.val_acc_high)}]`,
    `${pct(r.test_acc)} [${pct(r.test_acc_low)}–${pct(r.test_acc_high)}]`,
    typeof r.test_macro_f1 === "number" ? r.test_macro_f1.toFixed(3) : "–",
    String(r.epochs),
    String(r.train_seconds),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), ...body.map(line)].join("\n");
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Write RUNS/sweeps/<name>/{table.csv, table.html, comparison.svg}; returns the paths. */
export function writeSweepReport(spec: SweepSpec, runsDir: string, rows: readonly SweepRow[]): { csv: string; html: string; svg: string | null } {
  const dir = sweepDir(runsDir, spec.name);
  const columns = Object.keys(rows[0] ?? {});
  const csv = path.join(dir, "table.csv");
  writeFileAtomic(csv, [columns.join(","), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(","))].join("\n") + "\n");
  const labels = sweepPoints(spec).map((p) => p.label);
  let svgText: string | null = null;
  const evaluated = rows.map((r, i) => ({ r, i })).filter(({ r }) => typeof r.test_acc === "number");
  if (evaluated.length > 0) {
    svgText = runComparisonFigure(
      evaluated.map(({ r, i }) => ({
        run: labels[i] || String(r.run),
        model: String(r.model ?? spec.base.model ?? ""),
        test_acc: r.test_acc as number,
        test_acc_low: r.test_acc_low as number | null,
        test_acc_high: r.test_acc_high as number | null,
        test_macro_f1: r.test_macro_f1 as number | null,
        best_val_acc: r.val_acc as number | null,
      })),
      { title: `Sweep ${spec.name}: ${Object.keys(spec.grid).join(" × ")}` },
    );
  }
  const svg = svgText === null ? null : path.join(dir, "comparison.svg");
  if (svg) writeFileAtomic(svg, svgText!);
  const html = path.join(dir, "table.html");
  writeFileAtomic(
    html,
    `<!doctype html>\n<meta charset="utf-8">\n<title>sweep ${escapeHtml(spec.name)}</title>\n<h1>Sweep ${escapeHtml(spec.name)}</h1>\n` +
      `<p>data ${escapeHtml(spec.data)}; base ${escapeHtml(JSON.stringify(spec.base))}; ${rows.length} grid points. Intervals: validation Wilson 95%, test bootstrap 95%.</p>\n` +
      runComparisonHtml(rows as Array<Record<string, unknown>>) +
      "\n" +
      (svgText ?? "<p>no evaluated run yet</p>") +
      "\n",
  );
  return { csv, html, svg };
}
