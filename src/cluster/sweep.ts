// Hyperparameter sweeps: a spec {"name", "data", "base": {options}, "grid": {option: [values], …}}
// whose options are `fmalab train`'s flags in camelCase (--max-tracks → maxTracks). Every grid point is
// one run with a deterministic id (name + a hash of the point), so a resubmitted sweep resumes each run
// from its checkpoint and skips the finished ones. The spec is checked whole (unknown option, empty grid,
// a value of the wrong type) before anything runs. The comparison table (grid values, validation and
// test accuracy with 95% intervals, macro-F1, epochs, time) is written as CSV and HTML with a figure
// (plots/figures sweepComparisonFigure). runSweep is the whole sweep in this process: `fmalab sweep`
// (one worker) and the notebooks (lab.cluster.runSweep) both call it; array tasks run runSweepPoints.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "../util/errors";
import { escapeHtml } from "../util/html";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs";
import { RUN_FILES, type RunConfigFile } from "../train/runs";
import { TRAIN_OPTIONS, trainInputFromValues, type TrainValues } from "../train/flags";
import { resolveTrainConfig, resumeConflicts, type TrainConfigInput } from "../train/config";
import { MODEL_ZOO } from "../models/zoo";
import { sweepComparisonFigure, sweepTableHtml } from "../plots/figures";
import {
  sweepDir,
  sweepFigureInput,
  sweepPoints,
  sweepTable,
  SWEEP_POINTS_FILE,
  type SweepPoint,
  type SweepPointsFile,
  type SweepRow,
  type SweepSpec,
  type SweepValue,
} from "../study/sweeps";

// The sweep as data (points, run ids, table, figure input) is the study's: src/study/sweeps.ts.
export {
  sweepDir,
  sweepFigureInput,
  sweepPoints,
  sweepRunId,
  sweepRunIds,
  sweepTable,
  SWEEP_POINTS_FILE,
  type SweepPoint,
  type SweepRow,
  type SweepSpec,
  type SweepValue,
} from "../study/sweeps";

/** An option table like util.parseArgs's: flag name → {type}. */
export type FlagTable = Record<string, { type: "string" | "boolean" }>;

/** `fmalab train`'s flags: what a spec's options are (in camelCase). */
export const TRAIN_FLAGS = TRAIN_OPTIONS as unknown as FlagTable;

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
export function readSweepSpec(file: string, flags: FlagTable = TRAIN_FLAGS): SweepSpec {
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

/**
 * A spec given in code (a notebook's) checked like a spec file: `data` relative to `baseDir` (default the
 * working directory); `where` names it in errors.
 */
export function makeSweepSpec(raw: unknown, opts: { where?: string; baseDir?: string; flags?: FlagTable } = {}): SweepSpec {
  const spec = checkSweepSpec(raw, opts.where ?? "(given in code)", opts.flags ?? TRAIN_FLAGS);
  return { ...spec, data: path.resolve(opts.baseDir ?? process.cwd(), spec.data) };
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

/** A point is finished when its run has an evaluation (or, for --no-eval runs, a best/ model and no checkpoint left to continue). */
export function pointFinished(runsDir: string, point: SweepPoint): boolean {
  const dir = path.join(runsDir, point.runId);
  return fs.existsSync(path.join(dir, RUN_FILES.evaluation));
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

/** The sweep's figure (null before any point is evaluated) and its table as HTML. */
export function renderSweepReport(spec: SweepSpec, runsDir: string, rows: readonly SweepRow[]): { figure: string | null; tableHtml: string } {
  const input = sweepFigureInput(spec, rows, runsDir);
  return { figure: rows.some((r) => r.status === "evaluated") ? sweepComparisonFigure(input) : null, tableHtml: sweepTableHtml(input) };
}

/** Write RUNS/sweeps/<name>/{table.csv, table.html, comparison.svg}; returns the paths (svg null before any point is evaluated). */
export function writeSweepReport(
  spec: SweepSpec,
  runsDir: string,
  rows: readonly SweepRow[],
  rendered = renderSweepReport(spec, runsDir, rows),
): { csv: string; html: string; svg: string | null } {
  const dir = sweepDir(runsDir, spec.name);
  const columns = Object.keys(rows[0] ?? {});
  const csv = path.join(dir, "table.csv");
  writeFileAtomic(csv, [columns.join(","), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(","))].join("\n") + "\n");
  const svg = rendered.figure === null ? null : path.join(dir, "comparison.svg");
  if (svg) writeFileAtomic(svg, rendered.figure + "\n");
  const html = path.join(dir, "table.html");
  writeFileAtomic(
    html,
    `<!doctype html>\n<meta charset="utf-8">\n<title>sweep ${escapeHtml(spec.name)}</title>\n<h1>Sweep ${escapeHtml(spec.name)}</h1>\n` +
      `<p>data ${escapeHtml(spec.data)}; base ${escapeHtml(JSON.stringify(spec.base))}; ${rows.length} grid points. Intervals: validation Wilson 95%, test bootstrap 95%.</p>\n` +
      rendered.tableHtml +
      "\n" +
      (rendered.figure ?? "<p>no evaluated run yet</p>") +
      "\n",
  );
  return { csv, html, svg };
}

/** A grid point as a checked training input: `fmalab train`'s own parsing and checks, before anything runs. */
export function sweepPointInput(spec: SweepSpec, point: SweepPoint, runsDir: string, cacheDir?: string): TrainConfigInput {
  const argv = [...pointTrainArgv(spec, point, TRAIN_FLAGS), "--run-id", point.runId, "--runs", runsDir, "--quiet"];
  if (cacheDir !== undefined) argv.push("--cache", cacheDir);
  try {
    const { values } = parseArgs({ args: argv, options: TRAIN_OPTIONS, strict: true });
    const input = trainInputFromValues(values as TrainValues, spec.data);
    if (!(input.model in MODEL_ZOO)) throw new UsageError(`unknown model "${input.model}"; the zoo has ${Object.keys(MODEL_ZOO).join(", ")}`);
    resolveTrainConfig(input);
    return input;
  } catch (err) {
    throw new UsageError(`sweep ${spec.name}: grid point ${point.index} (${point.label || "base"}): ${(err as Error).message.split("\n\n")[0]}`);
  }
}

export interface PreparedSweep {
  spec: SweepSpec;
  points: SweepPoint[];
  /** The training input of each point (index = point.index). */
  inputs: TrainConfigInput[];
  runsDir: string;
}

/** Every point of a spec as a checked training input; nothing has run (or been written) yet when this throws. */
export function prepareSweep(spec: SweepSpec, opts: { runsDir: string; cacheDir?: string }): PreparedSweep {
  const runsDir = path.resolve(opts.runsDir);
  const points = sweepPoints(spec);
  const cacheDir = opts.cacheDir === undefined ? undefined : path.resolve(opts.cacheDir);
  return { spec, points, inputs: points.map((p) => sweepPointInput(spec, p, runsDir, cacheDir)), runsDir };
}

/**
 * Record the sweep's points in RUNS/sweeps/<name>/points.json before any trains, keeping the run ids of
 * earlier grids under the same name: the study's figures leave every sweep run out of its run comparison.
 */
export function writeSweepPoints(prepared: PreparedSweep): string {
  const file = path.join(sweepDir(prepared.runsDir, prepared.spec.name), SWEEP_POINTS_FILE);
  let earlier: string[] = [];
  try {
    const old = JSON.parse(fs.readFileSync(file, "utf8")) as SweepPointsFile;
    earlier = [...(old.runIds ?? []), ...(old.points ?? []).map((p) => p.runId)];
  } catch {
    // first time
  }
  const runIds = [...new Set([...earlier, ...prepared.points.map((p) => p.runId)])].sort();
  const content: SweepPointsFile = { format: "fmalab-sweep", version: 1, spec: prepared.spec, points: prepared.points, runIds };
  writeJsonAtomic(file, content);
  return file;
}

/** How a finished point's run differs from what the spec asks now ([] when it is that run). */
function finishedRunConflicts(runsDir: string, point: SweepPoint, input: TrainConfigInput): string[] {
  const stored = JSON.parse(fs.readFileSync(path.join(runsDir, point.runId, RUN_FILES.config), "utf8")) as RunConfigFile;
  const out = resumeConflicts(stored.train, resolveTrainConfig(input));
  if (path.resolve(stored.train.data) !== path.resolve(input.data)) out.push(`data: ${stored.train.data} in the run, ${input.data} now`);
  return out;
}

export interface SweepRunOptions {
  /** Per-run training log lines (default none). */
  quiet?: boolean;
  /** The sweep's own lines ("point 2 (lr=… ): training …"; default stderr). */
  log?: (line: string) => void;
  /** Train every point again from scratch (its run folder is replaced). */
  retrain?: boolean;
}

/**
 * Train (resume, or skip when evaluated) the given points in this process, one after the other. A finished
 * run trained with other settings than its point now asks for (the spec changed under the same name) is a
 * failure, not silently reused. Returns the failures, one line each.
 */
export async function runSweepPoints(prepared: PreparedSweep, points: readonly SweepPoint[], opts: SweepRunOptions = {}): Promise<string[]> {
  const { trainModel } = await import("../train/train");
  const log = opts.log ?? ((line: string) => console.error(line));
  const failures: string[] = [];
  for (const p of points) {
    const dir = path.join(prepared.runsDir, p.runId);
    if (opts.retrain && fs.existsSync(dir)) fs.rmSync(dir, { recursive: true, force: true });
    if (pointFinished(prepared.runsDir, p)) {
      const conflicts = finishedRunConflicts(prepared.runsDir, p, prepared.inputs[p.index]);
      if (conflicts.length === 0) log(`sweep: point ${p.index} (${p.label}) is finished: ${p.runId}`);
      else failures.push(`point ${p.index} (${p.label}), run ${p.runId}: finished with other settings (${conflicts.join("; ")}); remove ${dir} or give the sweep another name`);
      continue;
    }
    const resume = fs.existsSync(path.join(dir, RUN_FILES.config));
    log(`sweep: point ${p.index} (${p.label}): ${resume ? "resuming" : "training"} ${p.runId}`);
    try {
      await trainModel(prepared.inputs[p.index], { resume, progress: false, log: opts.quiet ? () => undefined : undefined });
    } catch (err) {
      failures.push(`point ${p.index} (${p.label}), run ${p.runId}: ${(err as Error).message}`);
      log(`sweep: point ${p.index} failed: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  return failures;
}

export interface SweepResult {
  rows: SweepRow[];
  /** The table as aligned text. */
  text: string;
  /** The table as HTML (grid values as written, accuracies with intervals, the best point by validation). */
  tableHtml: string;
  /** The comparison figure (SVG; null before any point is evaluated). */
  figure: string | null;
  files: { csv: string; html: string; svg: string | null };
  failures: string[];
}

/**
 * A whole sweep in this process, as `fmalab sweep SPEC.json` runs it: check every point, record them,
 * train the unfinished ones (resuming from checkpoints), then write RUNS/sweeps/<name>/ (table.csv,
 * table.html, comparison.svg) and return the table.
 */
export async function runSweep(spec: SweepSpec, opts: SweepRunOptions & { runsDir: string; cacheDir?: string }): Promise<SweepResult> {
  const prepared = prepareSweep(spec, opts);
  writeSweepPoints(prepared);
  const failures = await runSweepPoints(prepared, prepared.points, opts);
  return { ...sweepReport(prepared), failures };
}

/** The table of what is there now, written to RUNS/sweeps/<name>/. */
export function sweepReport(prepared: Pick<PreparedSweep, "spec" | "runsDir">): Omit<SweepResult, "failures"> {
  const rows = sweepTable(prepared.spec, prepared.runsDir);
  const rendered = renderSweepReport(prepared.spec, prepared.runsDir, rows);
  return { rows, text: sweepTableText(prepared.spec, rows), ...rendered, files: writeSweepReport(prepared.spec, prepared.runsDir, rows, rendered) };
}
