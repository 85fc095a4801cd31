// `fmalab notebooks`: execute every notebook headlessly on the project kernel, writing executed copies to
// out/notebooks/ (and with --html, HTML pages to out/report/). A failing notebook is reported with its cell
// and tslab's error, and the others still run; the exit status says whether all passed.
import * as fs from "node:fs";
import * as path from "node:path";
import { intOption, parseCommandArgs, type CliCommand } from "../command";
import { UsageError } from "../../util/errors";
import { PROJECT_ROOT, writeFileAtomic } from "../../util/fs";
import { clearNotebookOutputs, distPaths, ensureDeclarations, executeNotebook, listNotebooks, NotebookExecutionError, type NotebookResult } from "../../notebook";
import { ensureJupyter } from "./setup";
import { dataDirFromEnv } from "../../study/settings";
import { ProgressBar } from "../../util/progress";

export interface RunNotebooksOptions {
  /** Only notebooks whose file name contains one of these (e.g. "00" or "00-getting-started"). */
  only?: string[];
  /** Folder for executed copies (default out/notebooks). */
  outDir?: string;
  /** Folder for HTML exports, or null for none (default null). */
  htmlDir?: string | null;
  /** Dataset folder for the notebooks (FMALAB_DATA); default dataDirFromEnv(process.env). */
  dataDir?: string;
  /** More environment for the kernels (the study's settings: FMALAB_FULL, FMALAB_SPLITS …; undefined unsets). */
  env?: Record<string, string | undefined>;
  cellTimeoutSeconds?: number;
  log?: (line: string) => void;
}

export interface NotebookRun {
  name: string;
  ok: boolean;
  result: NotebookResult | null;
  /** The full error message (notebook, cell, source head, tslab's text) when it failed. */
  error: string | null;
}

/** Execute the selected notebooks one after the other (each kernel uses the machine's cores itself). */
export async function runNotebooks(options: RunNotebooksOptions = {}): Promise<NotebookRun[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const all = listNotebooks();
  const selected = options.only && options.only.length > 0 ? all.filter((f) => options.only!.some((o) => path.basename(f).includes(o))) : all;
  if (selected.length === 0) {
    throw new UsageError(`no notebook matches ${options.only?.join(", ") ?? "(none in notebooks/)"}; notebooks: ${all.map((f) => path.basename(f)).join(", ")}`);
  }
  const outDir = path.resolve(PROJECT_ROOT, options.outDir ?? path.join("out", "notebooks"));
  const htmlDir = options.htmlDir ? path.resolve(PROJECT_ROOT, options.htmlDir) : null;
  const dataDir = options.dataDir ?? dataDirFromEnv(process.env);
  log(`notebooks: ${selected.length} to run on ${path.relative(PROJECT_ROOT, dataDir) || dataDir} → ${path.relative(PROJECT_ROOT, outDir)}`);
  await prepareDeclarations(log);
  const runs: NotebookRun[] = [];
  for (const [i, file] of selected.entries()) {
    const name = path.basename(file);
    log(`[${i + 1}/${selected.length}] ${name} …`);
    // Code cells done of the notebook's total, at least a line every 10 s without a TTY (a long cell too).
    let bar: ProgressBar | null = null;
    try {
      const result = await executeNotebook(file, {
        outPath: path.join(outDir, name),
        htmlPath: htmlDir ? path.join(htmlDir, name.replace(/\.ipynb$/, ".html")) : undefined,
        dataDir,
        env: options.env,
        cellTimeoutSeconds: options.cellTimeoutSeconds,
        onCell: (done, total, cell) => {
          bar ??= new ProgressBar({ total, label: `  ${name.replace(/\.ipynb$/, "")}`, unit: "cells", idleStopMs: Infinity });
          bar.update(done, { cell });
        },
      });
      const finished = bar as ProgressBar | null;
      if (finished) {
        finished.update(finished.total);
        finished.finish();
      }
      const slowest = [...result.cells].sort((a, b) => b.seconds - a.seconds)[0];
      log(`[${i + 1}/${selected.length}] ${name} ok in ${result.seconds.toFixed(1)} s${slowest ? ` (slowest: cell ${slowest.index}, ${slowest.seconds.toFixed(1)} s)` : ""}`);
      runs.push({ name, ok: true, result, error: null });
    } catch (err) {
      (bar as ProgressBar | null)?.stop();
      const message = err instanceof NotebookExecutionError ? err.message : `${name}: ${(err as Error).stack ?? err}`;
      log(`[${i + 1}/${selected.length}] FAILED ${message}`);
      runs.push({ name, ok: false, result: null, error: message });
    }
  }
  const failed = runs.filter((r) => !r.ok);
  log(failed.length === 0 ? `notebooks: all ${runs.length} ran` : `notebooks: ${failed.length} of ${runs.length} failed: ${failed.map((r) => r.name).join(", ")}`);
  return runs;
}

/**
 * dist/ fresh before the kernels start (the notebooks import "./dist"; see src/notebook/declarations.ts).
 * A failed rebuild with an older dist/ in place is a warning (the code that runs is current either way);
 * without any dist/ no notebook could import the library, so that is an error.
 */
export async function prepareDeclarations(log: (line: string) => void, root: string = PROJECT_ROOT): Promise<void> {
  try {
    await ensureDeclarations({ root, log });
  } catch (err) {
    const why = (err as Error).message;
    if (!fs.existsSync(path.join(distPaths(root).dist, "index.js"))) throw new Error(`dist/ could not be built, so the notebooks cannot import "./dist": ${why}`);
    log(`⚠ dist/ not rebuilt, the notebooks' types may be older than src/: ${why}`);
  }
}

const usage = `Usage: fmalab notebooks [--only NAME]... [--out DIR] [--html] [--report DIR] [--data DIR] [--timeout SECONDS] [--quiet]
       fmalab notebooks --clear [--only NAME]...

Executes notebooks/*.ipynb headlessly (nbclient) on the fmalab-tslab kernel, in name order, and writes the
executed copies (outputs included) to --out. A failing cell is reported with the notebook, the cell index,
the first lines of the cell and tslab's error text; the other notebooks still run.

Options:
  --only NAME      only notebooks whose file name contains NAME (repeatable), e.g. --only 00
  --out DIR        executed copies (default out/notebooks)
  --html           also export HTML pages into --report
  --report DIR     HTML folder (default out/report)
  --data DIR       dataset folder the notebooks open (sets FMALAB_DATA); default: FMALAB_DATA, FMA_DIR,
                   data/synthetic, ../shared/fma-sample, the first that is set/exists
  --timeout S      per-cell timeout in seconds (default 600)
  --quiet          no progress lines (cells done of the notebook's cells)
  --clear          do not execute: remove outputs and execution counts from notebooks/*.ipynb in place
                   (notebooks are committed cleared; a unit test checks it)

Environment: FMALAB_PYTHON (the Python with Jupyter; default /usr/bin/python3).`;

export const command: CliCommand = {
  name: "notebooks",
  summary: "execute every notebook headlessly into out/notebooks/",
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      {
        only: { type: "string", multiple: true },
        out: { type: "string" },
        html: { type: "boolean" },
        report: { type: "string" },
        data: { type: "string" },
        timeout: { type: "string" },
        clear: { type: "boolean" },
        quiet: { type: "boolean" },
      },
      usage,
    );
    if (values.clear) {
      const only = values.only ?? [];
      for (const file of listNotebooks().filter((f) => only.length === 0 || only.some((o) => path.basename(f).includes(o)))) {
        writeFileAtomic(file, clearNotebookOutputs(fs.readFileSync(file, "utf8")));
        console.log(`cleared ${path.relative(PROJECT_ROOT, file)}`);
      }
      return 0;
    }
    const jupyter = await ensureJupyter({ install: false });
    if (!jupyter.ok) return 1;
    const runs = await runNotebooks({
      only: values.only,
      outDir: values.out,
      htmlDir: values.html ? values.report ?? path.join("out", "report") : null,
      dataDir: values.data ? path.resolve(values.data) : undefined,
      cellTimeoutSeconds: intOption(values.timeout, "timeout", 600),
    });
    return runs.every((r) => r.ok) ? 0 : 1;
  },
};
