// Interactive figures with plotly.js. plotly.js cannot run in Node (it needs a browser DOM), so we emit
// HTML that draws the figure in the browser: the plotly bundle is inlined once per notebook (the first
// interactive figure of a kernel session carries it), every later figure only calls Plotly.newPlot.
import * as fs from "node:fs";
import { createHash } from "node:crypto";
import { escapeHtml } from "../util/html";
import { genreColours } from "./palette";

/** A plotly figure as plain JSON: traces, layout and config (see plotly.js's reference). */
export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

let bundleCache: string | null = null;
let bundleEmitted = false;

/** The minified plotly.js bundle (≈4.7 MB), read once. */
export function plotlyBundle(): string {
  if (bundleCache === null) {
    const file = require.resolve("plotly.js-dist-min/plotly.min.js");
    bundleCache = fs.readFileSync(file, "utf8");
  }
  return bundleCache;
}

/** Forget that the bundle was emitted (call after a notebook's outputs were cleared). */
export function resetPlotlyBundle(): void {
  bundleEmitted = false;
}

// JSON inside a <script> must not close the tag or open a comment.
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

function bundleScript(): string {
  // The bundle is UMD: with no module system on the page it sets window.Plotly.
  return `<script type="text/javascript">${plotlyBundle().replace(/<\/script/gi, "<\\/script")}</script>`;
}

export interface PlotlyHtmlOptions {
  /**
   * "once" (default): inline the bundle if this process has not emitted it yet (notebooks).
   * "always": a self-contained page fragment (files in figures/). "never": assume the page has Plotly.
   */
  bundle?: "once" | "always" | "never";
  /** Element id; default derived from the figure's content so output is deterministic. */
  id?: string;
  height?: number;
}

/** HTML that renders `figure` with plotly.js in the browser. */
export function plotlyHtml(figure: PlotlyFigure, opts: PlotlyHtmlOptions = {}): string {
  const mode = opts.bundle ?? "once";
  const payload = scriptSafeJson({ data: figure.data, layout: figure.layout ?? {}, config: { responsive: true, ...(figure.config ?? {}) } });
  const id = opts.id ?? `fmalab-plotly-${createHash("sha1").update(payload).digest("hex").slice(0, 12)}`;
  const height = opts.height ?? (typeof figure.layout?.height === "number" ? figure.layout.height : 480);
  let bundle = "";
  if (mode === "always" || (mode === "once" && !bundleEmitted)) {
    bundle = bundleScript();
    if (mode === "once") bundleEmitted = true;
  }
  const draw = `<script type="text/javascript">(function () {
  var el = document.getElementById(${JSON.stringify(id)});
  if (!window.Plotly) { el.textContent = "plotly.js is not loaded on this page: re-run the notebook's first interactive figure cell (or call resetPlotlyBundle())."; return; }
  var fig = ${payload};
  window.Plotly.newPlot(el, fig.data, fig.layout, fig.config);
})();</script>`;
  return `${bundle}<div id="${id}" class="fmalab-plotly" style="width:100%;height:${height}px"></div>\n${draw}`;
}

/** A complete standalone HTML page for one interactive figure (written to figures/NAME.html). */
export function plotlyPage(figure: PlotlyFigure, title: string): string {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body>\n${plotlyHtml(figure, { bundle: "always" })}\n</body></html>\n`;
}

/** Confusion matrix heatmap (row-normalised colour, counts in the hover text). */
export function confusionMatrixFigure(
  labels: string[],
  counts: number[][],
  opts: { title?: string } = {},
): PlotlyFigure {
  const normalised = counts.map((row) => {
    const s = row.reduce((a, b) => a + b, 0);
    return row.map((c) => (s > 0 ? c / s : 0));
  });
  const text = counts.map((row, i) => row.map((c, j) => `true ${labels[i]}<br>predicted ${labels[j]}<br>${c} tracks (${(normalised[i][j] * 100).toFixed(1)}% of row)`));
  return {
    data: [{
      type: "heatmap", z: normalised, x: labels, y: labels, text, hoverinfo: "text", colorscale: "Viridis", zmin: 0, zmax: 1,
      colorbar: { title: { text: "share of true genre" } },
    }],
    layout: {
      title: { text: opts.title ?? "Confusion matrix" },
      xaxis: { title: { text: "predicted" }, side: "bottom" },
      yaxis: { title: { text: "true" }, autorange: "reversed" },
      height: 560,
      annotations: counts.flatMap((row, i) => row.map((c, j) => ({
        x: labels[j], y: labels[i], text: String(c), showarrow: false,
        font: { color: normalised[i][j] > 0.5 ? "black" : "white" },
      }))),
    },
  };
}

/** Heatmap of a square matrix (co-occurrence: Jaccard/PMI) with hover text per cell. */
export function matrixHeatmapFigure(
  labels: string[],
  values: (number | null)[][],
  opts: { title: string; valueName: string; hover?: string[][]; colorscale?: string },
): PlotlyFigure {
  return {
    data: [{
      type: "heatmap", z: values, x: labels, y: labels,
      text: opts.hover ?? values.map((row, i) => row.map((v, j) => `${labels[i]} × ${labels[j]}<br>${opts.valueName}: ${v === null ? "—" : v.toFixed(3)}`)),
      hoverinfo: "text", colorscale: opts.colorscale ?? "Magma", colorbar: { title: { text: opts.valueName } },
    }],
    layout: { title: { text: opts.title }, yaxis: { autorange: "reversed" }, height: Math.max(420, 18 * labels.length + 160) },
  };
}

export interface ScatterPoint {
  x: number;
  y: number;
  group: string;
  /** Hover lines (track id, title, true/predicted genre, genres_all...). */
  hover: string;
  /** Drawn with a cross marker and outline (e.g. misclassified). */
  marked?: boolean;
}

/** 2-D scatter coloured by group, marked points as crosses: the UMAP view. */
export function scatterFigure(points: ScatterPoint[], opts: { title: string; markedName?: string; xTitle?: string; yTitle?: string }): PlotlyFigure {
  // One colour per genre (the fixed 8-genre palette of the static figures), dots and crosses alike: a
  // misclassified cross is drawn in its true genre's colour.
  const palette = genreColours(points.map((p) => p.group));
  const colourOf = (g: string) => palette.range[palette.domain.indexOf(g)];
  const groups = palette.domain;
  const traces: Record<string, unknown>[] = [];
  for (const g of groups) {
    for (const marked of [false, true]) {
      const pts = points.filter((p) => p.group === g && Boolean(p.marked) === marked);
      if (pts.length === 0) continue;
      traces.push({
        type: "scattergl",
        mode: "markers",
        name: marked ? `${g} — ${opts.markedName ?? "marked"}` : g,
        legendgroup: g,
        x: pts.map((p) => p.x),
        y: pts.map((p) => p.y),
        text: pts.map((p) => p.hover),
        hoverinfo: "text",
        marker: marked ? { symbol: "x", size: 9, color: colourOf(g), line: { width: 1, color: colourOf(g) } } : { size: 6, opacity: 0.75, color: colourOf(g) },
      });
    }
  }
  return {
    data: traces,
    layout: {
      title: { text: opts.title },
      height: 620,
      xaxis: { zeroline: false, title: { text: opts.xTitle ?? "UMAP 1" } },
      yaxis: { zeroline: false, scaleanchor: "x", title: { text: opts.yTitle ?? "UMAP 2" } },
      legend: { itemsizing: "constant" },
    },
  };
}
