// Headless notebook execution: scripts/execute_notebook.py (nbclient) runs a notebook on the project's
// tslab kernel and reports JSON; this module turns a failed cell into an error that names the notebook,
// the cell and tslab's own message (which tslab writes to the cell's stderr stream, not an error output).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { PROJECT_ROOT } from "../util/fs";
import { NOTEBOOK_KERNEL_NAME, jupyterEnv, jupyterPython } from "./jupyter";

export interface ExecuteNotebookOptions {
  /** Where to write the executed copy (default out/notebooks/<name>.ipynb). Written even on failure. */
  outPath?: string;
  /** Also export the executed notebook as HTML here (only when every cell ran). */
  htmlPath?: string;
  /** Per-cell timeout in seconds (default 600). */
  cellTimeoutSeconds?: number;
  /** Dataset folder for the notebook, passed as FMALAB_DATA (see notebookDataDir). */
  dataDir?: string;
  /** Extra environment variables for the kernel. */
  env?: Record<string, string | undefined>;
  /** Kernelspec name (default fmalab-tslab). */
  kernel?: string;
  /** Called as each code cell starts: `done` code cells finished of `total`, `cellIndex` the one starting. */
  onCell?: (done: number, total: number, cellIndex: number) => void;
}

export interface NotebookCellTiming {
  index: number;
  seconds: number;
}

export interface NotebookResult {
  notebook: string;
  outPath: string;
  htmlPath: string | null;
  seconds: number;
  cells: NotebookCellTiming[];
}

/** A notebook cell failed (or the kernel died / timed out): says which notebook, which cell, and why. */
export class NotebookExecutionError extends Error {
  constructor(
    readonly notebook: string,
    readonly cellIndex: number | null,
    readonly cellSource: string,
    readonly errorText: string,
    readonly outPath: string | null,
  ) {
    const where = cellIndex === null ? "before any cell ran" : `cell ${cellIndex}`;
    const head = sourceHead(cellSource);
    super(
      [
        `${notebook}: ${where} failed`,
        ...(head ? ["  cell source:", ...head.split("\n").map((l) => `    ${l}`)] : []),
        "  error:",
        ...errorText.split("\n").map((l) => `    ${l}`),
        ...(outPath ? [`  executed copy (outputs up to the failure): ${outPath}`] : []),
      ].join("\n"),
    );
    this.name = "NotebookExecutionError";
  }
}

interface ScriptResult {
  ok: boolean;
  seconds: number;
  cells: NotebookCellTiming[];
  error: null | {
    kind: string;
    cell_index: number | null;
    source: string;
    stderr: string;
    ename: string | null;
    evalue: string | null;
    traceback: string;
    message: string;
  };
}

const SCRIPT = path.join(PROJECT_ROOT, "scripts", "execute_notebook.py");

/** The first lines of a cell's source, for error messages. */
function sourceHead(source: string, maxLines = 6): string {
  const lines = source.replace(/\s+$/, "").split("\n");
  return lines.length > maxLines ? [...lines.slice(0, maxLines), `… (${lines.length - maxLines} more lines)`].join("\n") : lines.join("\n");
}

/** tslab's stderr minus the stack frames inside node:vm and tslab itself, which say nothing about the cell. */
export function cleanKernelErrorText(stderr: string): string {
  return stderr
    .split("\n")
    .filter((line) => !/^\s+at .*(node:vm|node_modules[\\/]tslab[\\/]|sigintHandlersWrap|node:internal)/.test(line))
    .join("\n")
    .replace(/\s+$/, "");
}

/** Execute one notebook headlessly; resolves with timings, rejects with a NotebookExecutionError. */
export async function executeNotebook(notebookPath: string, options: ExecuteNotebookOptions = {}): Promise<NotebookResult> {
  const notebook = path.resolve(notebookPath);
  const shown = path.relative(PROJECT_ROOT, notebook).startsWith("..") ? notebook : path.relative(PROJECT_ROOT, notebook);
  if (!fs.existsSync(notebook)) throw new NotebookExecutionError(shown, null, "", "notebook file not found", null);
  const name = path.basename(notebook);
  const outPath = path.resolve(options.outPath ?? path.join(PROJECT_ROOT, "out", "notebooks", name));
  const htmlPath = options.htmlPath ? path.resolve(options.htmlPath) : null;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-nb-"));
  const resultPath = path.join(scratch, "result.json");
  const args = [
    SCRIPT,
    notebook,
    "--out",
    outPath,
    "--result",
    resultPath,
    "--kernel",
    options.kernel ?? NOTEBOOK_KERNEL_NAME,
    "--timeout",
    String(options.cellTimeoutSeconds ?? 600),
    "--cwd",
    PROJECT_ROOT,
  ];
  if (htmlPath) args.push("--html", htmlPath);
  const env = jupyterEnv({
    ...(options.dataDir ? { FMALAB_DATA: path.resolve(options.dataDir) } : {}),
    ...options.env,
  });
  try {
    const { code, stderr } = await runPython(jupyterPython(), args, env, options.onCell);
    let result: ScriptResult | null = null;
    if (fs.existsSync(resultPath)) result = JSON.parse(fs.readFileSync(resultPath, "utf8")) as ScriptResult;
    if (!result) {
      const text = stderr.trim() || `execute_notebook.py exited with status ${code} and no result`;
      throw new NotebookExecutionError(shown, null, "", `${text}\n(is Jupyter installed? run \`npm run setup\`)`, null);
    }
    if (!result.ok || result.error) {
      const e = result.error!;
      const parts = [cleanKernelErrorText(e.stderr ?? "")];
      if (e.ename || e.evalue) parts.push(`${e.ename ?? "Error"}: ${e.evalue ?? ""}`);
      if (e.kind !== "cell") parts.push(`${e.kind}: ${e.message}`);
      const text = parts.filter((p) => p.trim().length > 0).join("\n") || "the kernel reported an error without a message";
      throw new NotebookExecutionError(shown, e.cell_index, e.source ?? "", text, outPath);
    }
    return { notebook: shown, outPath, htmlPath, seconds: result.seconds, cells: result.cells };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

const PROGRESS_PREFIX = "@@fmalab-progress ";

function runPython(
  python: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onCell?: (done: number, total: number, cellIndex: number) => void,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    let pending = "";
    const child = spawn(python, args, { cwd: PROJECT_ROOT, env, stdio: ["ignore", "inherit", "pipe"] });
    child.stderr.on("data", (chunk: Buffer) => {
      // The script's per-cell progress lines are taken out; everything else is kept for error messages.
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith(PROGRESS_PREFIX)) {
          const [done, total, cell] = line.slice(PROGRESS_PREFIX.length).split(" ").map(Number);
          if (onCell) onCell(done, total, cell);
        } else {
          stderr += line + "\n";
        }
      }
    });
    child.stderr.on("end", () => {
      stderr += pending;
      pending = "";
    });
    child.on("error", (err) => reject(new Error(`cannot run ${python}: ${err.message} (run \`npm run setup\`)`)));
    child.on("close", (code) => resolve({ code, stderr: dropPythonNoise(stderr) }));
  });
}

/** Debugger warnings Python prints on every kernel-manager start; they hide the real messages. */
function dropPythonNoise(stderr: string): string {
  return stderr
    .split("\n")
    .filter((l) => !/Debugger warning|frozen modules|make the debugger miss|-Xfrozen_modules|PYDEVD_DISABLE_FILE_VALIDATION/.test(l))
    .join("\n");
}

/** The notebooks in a folder (default notebooks/), sorted by name. */
export function listNotebooks(dir: string = path.join(PROJECT_ROOT, "notebooks")): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort()
    .map((f) => path.join(dir, f));
}
