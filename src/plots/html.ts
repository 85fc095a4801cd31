// Showing markup in a notebook and writing figures to disk (SVG, and PNG through resvg).
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT, writeFileAtomic } from "../util/fs";
import { escapeHtml } from "../util/html";
import { toStandaloneSvg } from "./observable";

/**
 * tslab's display API when this process is a tslab kernel running a cell, else null. Detected without
 * loading tslab (which pulls in its own TypeScript): the kernel has already loaded tslab/dist/jupyter.js,
 * and sets its lastWriteDisplayData while a cell executes.
 */
function tslabDisplay(): null | { html(s: string): void } {
  let jupyterModule: string;
  try {
    jupyterModule = require.resolve("tslab/dist/jupyter");
  } catch {
    return null;
  }
  const loaded = require.cache[jupyterModule];
  if (!loaded || (loaded.exports as { lastWriteDisplayData?: unknown }).lastWriteDisplayData == null) return null;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return (require("tslab") as { display: { html(s: string): void } }).display;
}

/** Whether this process is a tslab kernel executing a cell (so displayHtml shows something). */
export function isTslabKernel(): boolean {
  return tslabDisplay() !== null;
}

/**
 * Show HTML (or an SVG string) as a cell output. A no-op outside a tslab kernel (scripts, tests), so library
 * code can call it freely. Returns nothing, so a cell ending with it prints no value.
 */
export function displayHtml(html: string): void {
  const display = tslabDisplay();
  if (display) display.html(html);
}

export interface WriteFigureOptions {
  /** Output folder, relative to the project root unless absolute (default "figures"). */
  dir?: string;
  /** Also write NAME.png rasterised with resvg (default false). */
  png?: boolean;
  /** PNG width in pixels (overrides `scale`). */
  pngWidth?: number;
  /** PNG pixels per SVG pixel (default 2: sharp in a report and on high-DPI screens). */
  scale?: number;
}

export interface WrittenFigure {
  /** figures/NAME.svg, or figures/NAME.html for a `<figure>` (title/legend) that is not plain SVG. */
  path: string;
  pngPath: string | null;
}

/** A figure name usable as a file name: letters, digits, dot, dash, underscore. */
function checkFigureName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new Error(`writeFigure: bad figure name "${name}" (letters, digits, . _ - only; no folders or extension)`);
  }
}

/**
 * Write rendered markup as `DIR/NAME.svg` (atomically), or `DIR/NAME.html` when it is an HTML `<figure>`.
 * With `png: true`, also `DIR/NAME.png` (SVG only).
 */
export function writeFigure(name: string, svgOrHtml: string, options: WriteFigureOptions = {}): WrittenFigure {
  checkFigureName(name);
  const dir = path.resolve(PROJECT_ROOT, options.dir ?? "figures");
  fs.mkdirSync(dir, { recursive: true });
  const isSvg = svgOrHtml.trimStart().startsWith("<svg");
  if (!isSvg) {
    if (options.png) throw new Error(`writeFigure ${name}: PNG needs an <svg>, got HTML (drop the title/legend options)`);
    const target = path.join(dir, `${name}.html`);
    writeFileAtomic(target, `<!DOCTYPE html>\n<meta charset="utf-8">\n<title>${name}</title>\n${svgOrHtml}\n`);
    return { path: target, pngPath: null };
  }
  const svg = toStandaloneSvg(svgOrHtml);
  const target = path.join(dir, `${name}.svg`);
  writeFileAtomic(target, svg);
  let pngPath: string | null = null;
  if (options.png) {
    pngPath = path.join(dir, `${name}.png`);
    writeFileAtomic(pngPath, svgToPng(svg, { width: options.pngWidth, scale: options.scale ?? 2 }));
  }
  return { path: target, pngPath };
}

/**
 * Rasterise an SVG to PNG bytes with resvg (a prebuilt native binary from the npm registry). Text uses the
 * system fonts; "DejaVu Sans" (Debian's fonts-dejavu-core) is the fallback for Plot's system-ui/sans-serif.
 * Without any system font resvg still renders shapes, but text is left out.
 */
export function svgToPng(svg: string, options: { width?: number; scale?: number; background?: string } = {}): Uint8Array {
  if (options.scale !== undefined && !(options.scale > 0 && options.scale <= 8)) throw new RangeError(`svgToPng: scale must be in (0, 8], got ${options.scale}`);
  // Lazy: loading the native module costs time; most callers only want SVG.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { Resvg } = require("@resvg/resvg-js") as typeof import("@resvg/resvg-js");
  const resvg = new Resvg(toStandaloneSvg(svg), {
    background: options.background ?? "white",
    fitTo: options.width ? { mode: "width", value: options.width } : options.scale && options.scale !== 1 ? { mode: "zoom", value: options.scale } : { mode: "original" },
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
  });
  return new Uint8Array(resvg.render().asPng());
}

export { escapeHtml };

/** The parts of a danfojs DataFrame an HTML table needs (structural, so danfojs need not load here). */
export interface TableLike {
  columns: string[];
  values: unknown[] | unknown[][];
  index?: Array<string | number>;
}

/**
 * A plain HTML `<table>` of a danfojs DataFrame (or anything with columns + row values), at most `maxRows`
 * rows, numbers right-aligned with `digits` decimals for non-integers. For `displayHtml` in notebooks.
 */
export function dataFrameHtml(table: TableLike, options: { maxRows?: number; digits?: number } = {}): string {
  const maxRows = options.maxRows ?? 20;
  const digits = options.digits ?? 3;
  const rows = (table.values as unknown[]).map((row) => (Array.isArray(row) ? row : [row]));
  const shown = rows.slice(0, maxRows);
  const cell = (v: unknown): string => {
    if (typeof v === "number") {
      const text = Number.isInteger(v) || !Number.isFinite(v) ? String(v) : v.toFixed(digits);
      return `<td style="text-align:right">${text}</td>`;
    }
    if (v === null || v === undefined) return `<td style="color:#999">null</td>`;
    return `<td>${escapeHtml(v instanceof Date ? v.toISOString() : String(v))}</td>`;
  };
  const index = table.index ?? shown.map((_, i) => i);
  const head = `<tr><th></th>${table.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr>`;
  const body = shown.map((row, i) => `<tr><th>${escapeHtml(String(index[i]))}</th>${row.map(cell).join("")}</tr>`).join("\n");
  const more = rows.length > maxRows ? `<p>… ${rows.length - maxRows} more rows</p>` : "";
  return `<table class="fmalab-table">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>${more}`;
}
