// The study's HTML report (out/report/index.html): the notebooks (HTML + executed copies), the result
// sections (the default model's scores, named by what its splits held), and the figure index.
import * as fs from "node:fs";
import * as path from "node:path";
import { escapeHtml } from "../util/html";
import type { Subset } from "../data/schema";
import { hasHeldOutTest, scoreName } from "../train/runs";
import type { RunRecord } from "../train/train";
import type { StudyDataKind } from "./config";

export interface ReportSection {
  /** Section heading in out/report/index.html. */
  title: string;
  /** HTML body (already escaped where needed). */
  html: string;
}

/** One executed notebook as the report lists it. */
export interface ReportNotebook {
  name: string;
  ok: boolean;
  result: { seconds: number } | null;
  error: string | null;
}

/** What the report is made of. */
export interface StudyReport {
  dataDir: string;
  dataKind: StudyDataKind;
  subset: Subset;
  outDir: string;
  reportDir: string;
  figuresDir: string;
  notebookRuns: ReportNotebook[];
  /** Seconds each step took, in order. */
  stepSeconds: Array<{ id: string; seconds: number }>;
  reportSections: ReportSection[];
  failures: string[];
  /** The split plan's summary when the splits are not the official ones (said at the top of the report). */
  splitNote?: string;
}

/** The report's results section: test accuracy with its interval, macro-F1, per-class scores, cost. */
export function resultsHtml(ctx: Pick<StudyReport, "figuresDir" | "reportDir">, run: RunRecord): string {
  const ev = run.evaluation;
  if (!ev) return `<p>run ${escapeHtml(run.id)} has no test evaluation.</p>`;
  const t = ev.trackLevel;
  // "test accuracy" only for a run whose test tracks are held out from its training tracks.
  const score = scoreName({ data: { splits: run.splits } });
  const heldOut = hasHeldOutTest({ data: { splits: run.splits } });
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const trainSeconds = run.metrics.reduce((s, m) => s + m.seconds, 0);
  const tableFile = path.join(ctx.figuresDir, "per-class-scores-table.html");
  const tableLink = path.relative(ctx.reportDir, tableFile).split(path.sep).join("/");
  const rows = t.perClass
    .map((c) => `<tr><td>${escapeHtml(c.label)}</td><td>${c.precision.toFixed(3)}</td><td>${c.recall.toFixed(3)}</td><td>${c.f1.toFixed(3)}</td><td>${c.support}</td></tr>`)
    .join("\n");
  const b = run.backend as { backend: string; threads: number; engine?: string };
  return `<ul>
<li>run <code>${escapeHtml(run.id)}</code>: ${escapeHtml(run.config.model)}${run.config.modelOptions?.width ? ` (width ${run.config.modelOptions.width})` : ""}, ${run.metrics.length} epochs (best ${run.bestEpoch ?? "–"}), ${escapeHtml(run.dir)}</li>
${heldOut ? "" : `<li><strong>⚠ ${escapeHtml(run.splits?.summary ?? "this run does not record its splits")}: not a test score</strong></li>
`}<li>${escapeHtml(score)} <strong>${pct(t.accuracy)}</strong> (95 % bootstrap CI ${pct(t.intervals.accuracy.low)}–${pct(t.intervals.accuracy.high)}) on ${t.n} ${heldOut ? "test " : ""}tracks, ${ev.crops} crops each; chance ${pct(1 / Math.max(1, t.classes.length))}</li>
<li>macro-F1 ${t.macro.f1.toFixed(3)} (95 % CI ${t.intervals.macroF1.low.toFixed(3)}–${t.intervals.macroF1.high.toFixed(3)}); top-2 accuracy ${pct(t.top2Accuracy)}</li>
<li>training time ${trainSeconds.toFixed(0)} s (${run.metrics.length} epochs incl. validation) on ${b.engine ? escapeHtml(b.engine) : `the ${escapeHtml(String(b.backend))} backend, ${b.threads} thread(s)`}</li>
<li>per-class table: ${fs.existsSync(tableFile) ? `<a href="${escapeHtml(tableLink)}">${escapeHtml(path.basename(tableFile))}</a>` : "below"}</li>
</ul>
<table border="1" cellspacing="0" cellpadding="3"><tr><th>genre</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>
${rows}
</table>`;
}

/** Figure files in `dir` (svg, html, png), sorted; [] when the folder is absent. */
export function listFigures(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /\.(svg|png|html)$/.test(f) && !f.startsWith("."))
    .sort();
}

/**
 * The compute backend in one short line naming the engine ("backend: wasm + system BLAS, 2 threads"), and
 * its long note (why this engine, tfjs issues, fallbacks) as an HTML <details> block for notebooks and the
 * report: the note is for whoever wants it, not for every log.
 */
export function backendSummary(b: { engine: string; note: string }): { line: string; detailsHtml: string } {
  // The BLAS build string ("OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH … MAX_THREADS=64") shortened to name and version.
  const short = b.engine.replace(/\b((?:Open|Flexi)BLAS|BLIS|MKL)\s+([\d.]+)[^,]*/, "$1 $2");
  const details = [b.engine !== short ? `engine: ${b.engine}` : "", b.note].filter((x) => x).join("; ");
  return {
    line: `backend: ${short}`,
    detailsHtml: details ? `<details><summary>backend: ${escapeHtml(short)} (details)</summary><p>${escapeHtml(details)}</p></details>` : `<p>backend: ${escapeHtml(short)}</p>`,
  };
}

/** One figure of figures/ as the report shows it: its files by kind (each figure once, not per file). */
export interface FigureEntry {
  name: string;
  svg: string | null;
  png: string | null;
  /** A table (NAME.html). */
  html: string | null;
  /** The interactive plotly page (NAME-interactive.html). */
  interactive: string | null;
}

/**
 * The figures in `dir` grouped by name: NAME.svg + NAME.png (+ NAME-interactive.html) are one figure, a
 * table NAME.html is one, an interactive page without a static twin is one. Sorted by name.
 */
export function figureEntries(dir: string): FigureEntry[] {
  const files = listFigures(dir);
  const entries = new Map<string, FigureEntry>();
  const entry = (name: string) => {
    let e = entries.get(name);
    if (!e) entries.set(name, (e = { name, svg: null, png: null, html: null, interactive: null }));
    return e;
  };
  for (const f of files) {
    const m = /^(.*)\.(svg|png|html)$/.exec(f)!;
    const [, base, ext] = m;
    if (ext === "html" && base.endsWith("-interactive")) entry(base.slice(0, -"-interactive".length)).interactive = f;
    else if (ext === "html") entry(base).html = f;
    else if (ext === "svg") entry(base).svg = f;
    else entry(base).png = f;
  }
  return [...entries.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** A figure's block in the report: the image once (PNG, else SVG), links to each file, previews of pages. */
function figureHtml(e: FigureEntry, href: (file: string) => string): string {
  const links = [
    e.svg ? `<a href="${href(e.svg)}">SVG</a>` : null,
    e.png ? `<a href="${href(e.png)}">PNG</a>` : null,
    e.html ? `<a href="${href(e.html)}">table</a>` : null,
    e.interactive ? `<a href="${href(e.interactive)}">interactive</a>` : null,
  ].filter((x) => x !== null);
  const image = e.png ?? e.svg;
  // The static image previews the interactive page when there is one (the page inlines the 4.7 MB plotly bundle).
  const target = e.interactive ?? e.svg ?? image;
  const body = image
    ? `<a href="${href(target!)}"><img src="${href(image)}" alt="${escapeHtml(e.name)}" loading="lazy"></a>`
    : e.html
      ? `<iframe src="${href(e.html)}" title="${escapeHtml(e.name)}" loading="lazy"></iframe>`
      : e.interactive
        ? `<iframe src="${href(e.interactive)}" title="${escapeHtml(e.name)} (interactive)" loading="lazy" class="interactive"></iframe>`
        : "";
  return `<figure>${body}<figcaption><strong>${escapeHtml(e.name)}</strong> — ${links.join(" · ")}</figcaption></figure>`;
}

/** out/report/index.html: notebooks (HTML + executed copies), the steps' sections, and the figure index. */
export function renderReportIndex(ctx: StudyReport): string {
  const rel = (p: string) => path.relative(ctx.reportDir, p).split(path.sep).join("/");
  const notebooks = ctx.notebookRuns.map((run) => {
    const html = path.join(ctx.reportDir, run.name.replace(/\.ipynb$/, ".html"));
    const executed = path.join(ctx.outDir, "notebooks", run.name);
    const links = [
      run.ok && fs.existsSync(html) ? `<a href="${escapeHtml(rel(html))}">HTML</a>` : null,
      fs.existsSync(executed) ? `<a href="${escapeHtml(rel(executed))}">executed .ipynb</a>` : null,
    ].filter((x) => x !== null);
    const status = run.ok ? `ok, ${run.result!.seconds.toFixed(1)} s` : `<strong>failed</strong><pre>${escapeHtml(run.error ?? "")}</pre>`;
    return `<li>${escapeHtml(run.name)} — ${links.join(" · ")} (${status})</li>`;
  });
  const figures = figureEntries(ctx.figuresDir).map((e) => figureHtml(e, (f) => escapeHtml(rel(path.join(ctx.figuresDir, f)))));
  const sections = ctx.reportSections.map((s) => `<h2>${escapeHtml(s.title)}</h2>\n${s.html}`);
  const dataset = `${ctx.dataKind === "fma" ? "real FMA" : ctx.dataKind === "synthetic" ? "synthetic (FMA-shaped, generated)" : "sample"}: ${escapeHtml(ctx.dataDir)}, subset ${ctx.subset}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fma-genre-lab report</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; }
figure { display: inline-block; margin: 0.5rem; vertical-align: top; }
figure img { max-width: 34rem; border: 1px solid #ddd; }
figure iframe { width: 34rem; height: 16rem; border: 1px solid #ddd; }
figure iframe.interactive { height: 24rem; }
figcaption { font-size: 0.85rem; }
pre { white-space: pre-wrap; background: #fff4f4; padding: 0.5rem; }
</style>
</head>
<body>
<h1>fma-genre-lab report</h1>
<p>Dataset: ${dataset}. Generated ${new Date().toISOString()}.</p>
${ctx.splitNote ? `<p><strong>⚠ Splits: ${escapeHtml(ctx.splitNote)}</strong></p>` : ""}
${ctx.failures.length > 0 ? `<p><strong>Problems:</strong> ${ctx.failures.map(escapeHtml).join("; ")}</p>` : ""}
${ctx.stepSeconds.length > 0 ? `<p>Steps: ${ctx.stepSeconds.map((s) => `${escapeHtml(s.id)} ${s.seconds.toFixed(0)} s`).join(" · ")} (before the report).</p>` : ""}
<h2>Notebooks</h2>
<ul>
${notebooks.join("\n") || "<li>(not run)</li>"}
</ul>
${sections.join("\n")}
<h2>Figures (${figures.length})</h2>
${figures.join("\n") || "<p>(none in figures/)</p>"}
</body>
</html>
`;
}

