// Rules for committed notebooks: valid nbformat 4, the project kernel, and no outputs or execution counts
// (outputs belong in out/notebooks/, produced by `fmalab notebooks`; committed outputs go stale and bloat diffs).
import * as fs from "node:fs";
import { NOTEBOOK_KERNEL_NAME } from "./jupyter";

interface NotebookCellJson {
  cell_type?: unknown;
  source?: unknown;
  outputs?: unknown;
  execution_count?: unknown;
  metadata?: unknown;
}

/** Problems with a committed notebook file, one readable line each ([] when it follows the rules). */
export function checkNotebookFormat(file: string): string[] {
  let nb: Record<string, unknown>;
  try {
    nb = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    return [`${file}: not valid JSON (${(err as Error).message})`];
  }
  const problems: string[] = [];
  if (nb.nbformat !== 4) problems.push(`${file}: nbformat is ${String(nb.nbformat)}, expected 4`);
  if (typeof nb.nbformat_minor !== "number") problems.push(`${file}: nbformat_minor missing`);
  const metadata = (nb.metadata ?? {}) as Record<string, unknown>;
  const kernelspec = (metadata.kernelspec ?? {}) as Record<string, unknown>;
  if (kernelspec.name !== NOTEBOOK_KERNEL_NAME) {
    problems.push(`${file}: metadata.kernelspec.name is ${JSON.stringify(kernelspec.name)}, expected "${NOTEBOOK_KERNEL_NAME}"`);
  }
  if (!Array.isArray(nb.cells)) return [...problems, `${file}: "cells" is not an array`];
  (nb.cells as NotebookCellJson[]).forEach((cell, i) => {
    const where = `${file}: cell ${i}`;
    if (cell.cell_type !== "code" && cell.cell_type !== "markdown" && cell.cell_type !== "raw") {
      problems.push(`${where}: unknown cell_type ${JSON.stringify(cell.cell_type)}`);
    }
    const src = cell.source;
    if (!(typeof src === "string" || (Array.isArray(src) && src.every((s) => typeof s === "string")))) {
      problems.push(`${where}: source must be a string or a list of strings`);
    }
    if (cell.cell_type === "code") {
      if (!Array.isArray(cell.outputs)) problems.push(`${where}: code cell without an "outputs" list`);
      else if (cell.outputs.length > 0) problems.push(`${where}: has ${cell.outputs.length} output(s); commit notebooks cleared`);
      if (cell.execution_count !== null) problems.push(`${where}: execution_count is ${String(cell.execution_count)}, expected null`);
    }
  });
  return problems;
}

/** Source text of a notebook cell (nbformat allows a string or a list of lines). */
export function cellSourceText(source: string | string[]): string {
  return Array.isArray(source) ? source.join("") : source;
}

/** A notebook JSON with every output and execution count removed (what gets committed). */
export function clearNotebookOutputs(notebookJson: string): string {
  const nb = JSON.parse(notebookJson) as { cells: NotebookCellJson[] };
  for (const cell of nb.cells) {
    if (cell.cell_type === "code") {
      cell.outputs = [];
      cell.execution_count = null;
    }
    if (cell.metadata && typeof cell.metadata === "object") delete (cell.metadata as Record<string, unknown>).execution;
  }
  return JSON.stringify(nb, null, 1) + "\n";
}
