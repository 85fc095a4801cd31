// The report's figure catalogue. Each figure is a function from plain, typed data (never file paths) to an
// SVG string (static; written as .svg + .png by `fmalab figures`) or an HTML string (tables), so notebooks,
// the CLI and the snapshot tests all feed them directly. Output is deterministic: fixed fonts, colours
// assigned from sorted names, content-derived ids (renderPlot), fixed-decimal numbers in our own markup.
import { renderPlot, Plot } from "./observable";
import { dataFrameHtml, escapeHtml } from "./html";
import { spectrogramGrid, relativeSaliency, type SpectrogramMatrix } from "./spectrogram";
import { colourBarSvg, niceTicks } from "./colourbar";

export { colourBarSvg, type ColourBarOptions } from "./colourbar";

/** Font used by every figure: DejaVu Sans is what resvg finds on Debian, so SVG and PNG agree. */
export const FIGURE_FONT = "DejaVu Sans, sans-serif";
const STYLE = { fontFamily: FIGURE_FONT, fontSize: "10px", background: "white", color: "black", overflow: "visible" };

/** Tableau 10: categorical colours assigned in sorted-name order. */
export const CATEGORY_COLOURS = ["#4e79a7", "#f28e2c", "#e15759", "#76b7b2", "#59a14f", "#edc949", "#af7aa1", "#ff9da7", "#9c755f", "#bab0ab"];

/** Colour for each name (sorted, cycling through CATEGORY_COLOURS). */
export function categoryColours(names: readonly string[]): { domain: string[]; range: string[] } {
  const domain = [...new Set(names)].sort();
  return { domain, range: domain.map((_, i) => CATEGORY_COLOURS[i % CATEGORY_COLOURS.length]) };
}

export { GENRE_PALETTE, genreColours } from "./palette";
import { genreColours } from "./palette";

function fixed(x: number, digits = 2): string {
  const s = x.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

// ------------------------------------------------------------------ composition helpers

function svgSize(svg: string): { width: number; height: number } {
  const open = svg.match(/^<svg[^>]*>/);
  const w = open?.[0].match(/\swidth="([\d.]+)"/);
  const h = open?.[0].match(/\sheight="([\d.]+)"/);
  if (!w || !h) throw new Error("figure: an <svg> without width/height");
  return { width: Number(w[1]), height: Number(h[1]) };
}

/**
 * Several SVGs in one: side by side (`direction` "row") or stacked ("column"), with an optional bold
 * title on top. Panels keep their own coordinates (nested <svg x y>).
 */
export function composeSvgs(panels: string[], opts: { direction?: "row" | "column"; gap?: number; title?: string; subtitle?: string } = {}): string {
  const direction = opts.direction ?? "row";
  const gap = opts.gap ?? 16;
  const top = (opts.title ? 22 : 0) + (opts.subtitle ? 16 : 0);
  const sizes = panels.map(svgSize);
  const panelsWidth = direction === "row" ? sizes.reduce((s, p) => s + p.width, 0) + gap * Math.max(0, panels.length - 1) : Math.max(0, ...sizes.map((p) => p.width));
  // Widen the canvas for a title or subtitle longer than the panels (13 px bold / 11 px text), so it is not cut off.
  const titleWidth = Math.max(opts.title ? Math.ceil(textWidth(opts.title) * 1.45) : 0, opts.subtitle ? Math.ceil(textWidth(opts.subtitle) * 1.1) : 0);
  const width = Math.max(panelsWidth, titleWidth);
  const height =
    top + (direction === "column" ? sizes.reduce((s, p) => s + p.height, 0) + gap * Math.max(0, panels.length - 1) : Math.max(0, ...sizes.map((p) => p.height)));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FIGURE_FONT}" font-size="10">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (opts.title) out.push(`<text x="0" y="15" font-size="13" font-weight="bold">${escapeHtml(opts.title)}</text>`);
  if (opts.subtitle) out.push(`<text x="0" y="${opts.title ? 32 : 12}" font-size="11" fill="#555">${escapeHtml(opts.subtitle)}</text>`);
  let offset = 0;
  panels.forEach((svg, i) => {
    const x = direction === "row" ? offset : 0;
    const y = top + (direction === "column" ? offset : 0);
    out.push(svg.trim().replace(/^<svg/, `<svg x="${x}" y="${y}"`));
    offset += (direction === "row" ? sizes[i].width : sizes[i].height) + gap;
  });
  out.push("</svg>");
  return out.join("\n");
}

/** A Plot colour scale as a function (for colourBarSvg). */
export function plotColourScale(options: Record<string, unknown>): (v: number) => string {
  const scale = Plot.scale({ color: options as Plot.ScaleOptions });
  return (v: number) => String(scale.apply(v));
}

/** A figure with a title line (and optional subtitle) above it. */
export function withTitle(svg: string, title: string | undefined, subtitle?: string): string {
  return title || subtitle ? composeSvgs([svg], { title, subtitle }) : svg;
}

export interface LegendEntry {
  label: string;
  colour: string;
  symbol?: "square" | "cross" | "diamond";
}

/** Approximate width of `text` at 10 px DejaVu Sans (for laying out legends; no font metrics in Node). */
function textWidth(text: string): number {
  return 6.1 * text.length;
}

/**
 * A swatch legend as its own SVG row (Plot's legends are HTML, which the PNG export cannot take), wrapped
 * onto several lines within `width`.
 */
export function legendSvg(entries: readonly LegendEntry[], width: number): string {
  const items: string[] = [];
  let x = 0;
  let y = 0;
  for (const e of entries) {
    const w = 14 + textWidth(e.label) + 16;
    if (x > 0 && x + w > width) {
      x = 0;
      y += 16;
    }
    if (e.symbol === "cross") {
      items.push(`<path d="M${x + 1},${y + 4}L${x + 9},${y + 12}M${x + 9},${y + 4}L${x + 1},${y + 12}" stroke="${e.colour}" stroke-width="1.5"/>`);
    } else if (e.symbol === "diamond") {
      items.push(`<path d="M${x + 5},${y + 3}L${x + 10},${y + 8}L${x + 5},${y + 13}L${x},${y + 8}Z" fill="none" stroke="${e.colour}" stroke-width="1.5"/>`);
    } else {
      items.push(`<rect x="${x}" y="${y + 3}" width="10" height="10" fill="${e.colour}"/>`);
    }
    items.push(`<text x="${x + 14}" y="${y + 12}" text-anchor="start">${escapeHtml(e.label)}</text>`);
    x += w;
  }
  const height = y + 18;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FIGURE_FONT}" font-size="10" fill="black">${items.join("")}</svg>`;
}

/** A Plot SVG with a legend row above it (indented to the plot's left margin). */
function withLegend(svg: string, entries: readonly LegendEntry[], indent = 40): string {
  const { width } = svgSize(svg);
  const legend = legendSvg(entries, width - indent).replace(/^<svg/, `<svg x="${indent}" y="0"`);
  const lh = svgSize(legendSvg(entries, width - indent)).height;
  return composeSvgs([`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${lh}" viewBox="0 0 ${width} ${lh}">${legend}</svg>`, svg], { direction: "column", gap: 2 });
}

// ------------------------------------------------------------------ 1. genre distribution and split

export interface GenreSplitCount {
  genre: string;
  split: string;
  count: number;
}

const SPLIT_ORDER = ["training", "validation", "test"];

/** Horizontal stacked bars: tracks per genre, coloured by split (training/validation/test). */
export function genreDistributionFigure(rows: readonly GenreSplitCount[], opts: { title?: string; width?: number } = {}): string {
  const rank = (split: string) => (SPLIT_ORDER.includes(split) ? SPLIT_ORDER.indexOf(split) : SPLIT_ORDER.length);
  const splits = [...new Set(rows.map((r) => r.split))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const colours = splits.map((_, i) => ["#4e79a7", "#f28e2c", "#59a14f", "#af7aa1"][i % 4]);
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.genre, (totals.get(r.genre) ?? 0) + r.count);
  const genres = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || a.localeCompare(b));
  const data = [...rows].sort((a, b) => genres.indexOf(a.genre) - genres.indexOf(b.genre) || splits.indexOf(a.split) - splits.indexOf(b.split));
  const svg = renderPlot({
    width: opts.width ?? 640,
    height: 40 + 22 * genres.length + 30,
    marginLeft: 110,
    marginTop: 12,
    style: STYLE,
    x: { label: "tracks", grid: true, labelArrow: "none" },
    y: { domain: genres, label: null },
    color: { domain: splits, range: colours },
    marks: [
      Plot.barX(data, Plot.stackX({ y: "genre", x: "count", fill: "split", order: splits })),
      Plot.text(genres.map((g) => ({ genre: g, total: totals.get(g)! })), { y: "genre", x: "total", text: (d: { total: number }) => String(d.total), dx: 4, textAnchor: "start" }),
      Plot.ruleX([0]),
    ],
  });
  return withTitle(withLegend(svg, splits.map((s, i) => ({ label: s, colour: colours[i] })), 110), opts.title ?? "Tracks per genre and split");
}

// ------------------------------------------------------------------ 2. genre tree

export interface GenreNode {
  id: number;
  parent: number | null;
  title: string;
  /** #tracks (optional, shown after the title). */
  tracks?: number;
}

/**
 * The genre hierarchy as a tree (Plot.tree, roots at the left). `rootIds` restricts to some branches,
 * `maxDepth` cuts deep levels. Throws naming the genre whose parent is missing.
 */
export function genreTreeFigure(nodes: readonly GenreNode[], opts: { title?: string; rootIds?: number[]; maxDepth?: number; width?: number } = {}): string {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const pathOf = (n: GenreNode): string[] => {
    const parts: string[] = [];
    let cur: GenreNode | undefined = n;
    const seen = new Set<number>();
    while (cur) {
      if (seen.has(cur.id)) throw new Error(`genre tree: cycle through genre ${cur.id}`);
      seen.add(cur.id);
      parts.unshift(`${cur.title}${cur.tracks !== undefined ? ` (${cur.tracks})` : ""}`.replace(/\|/g, "¦"));
      if (cur.parent === null || cur.parent === 0) break;
      const parent = byId.get(cur.parent);
      if (!parent) throw new Error(`genre tree: genre ${cur.id} (${cur.title}) has parent ${cur.parent}, which is missing from the genre list`);
      cur = parent;
    }
    return parts;
  };
  const rootOf = (n: GenreNode): number => {
    let cur = n;
    while (cur.parent !== null && cur.parent !== 0 && byId.has(cur.parent)) cur = byId.get(cur.parent)!;
    return cur.id;
  };
  const keep = nodes.filter((n) => !opts.rootIds || opts.rootIds.includes(rootOf(n)));
  const paths = keep
    .map(pathOf)
    .filter((p) => opts.maxDepth === undefined || p.length <= opts.maxDepth)
    .map((p) => "all genres|" + p.join("|"))
    .sort();
  // Plot.tree lays out leaves (and inner nodes); only inner paths listed as leaves would duplicate.
  const leaves = paths.filter((p) => !paths.some((q) => q.startsWith(p + "|")));
  const depth = Math.max(1, ...paths.map((p) => p.split("|").length - 1));
  const svg = renderPlot({
    width: opts.width ?? Math.max(640, 170 * depth + 60),
    height: Math.max(120, 14 * leaves.length + 24),
    marginLeft: 60,
    marginTop: 12,
    marginBottom: 12,
    marginRight: 160,
    axis: null,
    style: STYLE,
    marks: [Plot.tree(leaves, { path: (d: string) => d, delimiter: "|", fontSize: 10, dot: true, textStroke: "white" })],
  });
  return withTitle(svg, opts.title ?? "FMA genre hierarchy");
}

// ------------------------------------------------------------------ 3. example spectrogram per genre

export interface GenreSpectrogramPanel {
  genre: string;
  trackId: number;
  spec: SpectrogramMatrix;
}

/** One log-mel spectrogram per genre in a grid (shared dB range), captioned "genre — track id". */
export function exampleSpectrogramsFigure(
  panels: readonly GenreSpectrogramPanel[],
  opts: { sr: number; hopLength: number; fmin?: number; fmax?: number; columns?: number; title?: string },
): string {
  const sorted = [...panels].sort((a, b) => a.genre.localeCompare(b.genre) || a.trackId - b.trackId);
  return spectrogramGrid(
    sorted.map((p) => ({ caption: `${p.genre} — ${p.trackId}`, spec: p.spec })),
    {
      sr: opts.sr,
      hopLength: opts.hopLength,
      fmin: opts.fmin,
      fmax: opts.fmax,
      columns: opts.columns ?? 4,
      colormap: "magma",
      title: opts.title ?? "Example log-mel spectrogram per genre (dB)",
    },
  );
}

// ------------------------------------------------------------------ 4. confusion matrix

/** One confusion-matrix panel: cells coloured by `value`, `text` in each cell, its colour bar beside it. */
function confusionPanel(
  labels: readonly string[],
  cells: ReadonlyArray<{ truth: string; predicted: string; value: number; text: string }>,
  opts: { cell: number; domain: [number, number]; scheme: string; barLabel: string; subtitle: string; showY: boolean; format?: (v: number) => string },
): string {
  const n = labels.length;
  const marginLeft = opts.showY ? 110 : 44; // room for the first rotated x label
  const marginTop = 22;
  const colour = { type: "linear", domain: opts.domain, scheme: opts.scheme } as Plot.ScaleOptions;
  const scale = plotColourScale(colour as Record<string, unknown>);
  const svg = renderPlot({
    width: marginLeft + opts.cell * n + 10,
    height: marginTop + opts.cell * n + 80,
    marginLeft,
    marginRight: 10,
    marginTop,
    marginBottom: 80,
    style: STYLE,
    x: { domain: [...labels], label: "predicted genre", tickRotate: -40, labelAnchor: "center", labelArrow: "none" },
    y: { domain: [...labels], label: opts.showY ? "true genre" : null, labelAnchor: "center", labelArrow: "none", axis: opts.showY ? "left" : null },
    color: colour,
    marks: [
      Plot.cell(cells, { x: "predicted", y: "truth", fill: "value", inset: 0.5 }),
      Plot.text(cells, {
        x: "predicted",
        y: "truth",
        text: "text",
        // Dark cells get white text (the upper 55% of both schemes is dark).
        fill: (d: { value: number }) => ((d.value - opts.domain[0]) / (opts.domain[1] - opts.domain[0] || 1) > 0.55 ? "white" : "black"),
      }),
      Plot.text([opts.subtitle], { frameAnchor: "top-left", dy: -marginTop + 4, lineAnchor: "top", fontWeight: "bold" }),
    ],
  });
  const { height } = svgSize(svg);
  const bar = colourBarSvg({ colour: scale, domain: opts.domain, label: opts.barLabel, top: marginTop, barHeight: opts.cell * n, height, format: opts.format });
  return composeSvgs([svg, bar], { gap: 0 });
}

/**
 * Static confusion matrix, rows true, columns predicted, in two views side by side: raw counts (colour =
 * tracks) and row-normalised (colour and text = share of the true genre, i.e. recall on the diagonal),
 * each with its colour bar.
 */
export function confusionMatrixSvg(labels: readonly string[], counts: readonly number[][], opts: { title?: string; size?: number } = {}): string {
  if (counts.length !== labels.length || counts.some((r) => r.length !== labels.length)) {
    throw new RangeError(`confusion matrix: ${counts.length} rows for ${labels.length} labels (must be square, one per label)`);
  }
  const cell = opts.size ?? 36;
  const maxCount = Math.max(1, ...counts.flat());
  const countCells = counts.flatMap((row, i) => row.map((c, j) => ({ truth: labels[i], predicted: labels[j], value: c, text: String(c) })));
  const shareCells = counts.flatMap((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((c, j) => {
      const share = total > 0 ? c / total : 0;
      return { truth: labels[i], predicted: labels[j], value: share, text: fixed(share, 2) };
    });
  });
  const total = counts.flat().reduce((a, b) => a + b, 0);
  const left = confusionPanel(labels, countCells, { cell, domain: [0, maxCount], scheme: "blues", barLabel: "tracks", subtitle: "counts", showY: true, format: (v) => String(Math.round(v)) });
  const right = confusionPanel(labels, shareCells, { cell, domain: [0, 1], scheme: "blues", barLabel: "share of the true genre", subtitle: "row-normalised (diagonal = recall)", showY: false });
  return composeSvgs([left, right], { gap: 12, title: opts.title ?? "Confusion matrix (test set)", subtitle: `${total} tracks; rows: true genre, columns: predicted genre` });
}

// ------------------------------------------------------------------ 5. per-class precision / recall / F1

export interface ClassScoreRow {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
  /** 95% bootstrap intervals (eval/metrics perClassIntervals), when the predictions were at hand. */
  ci?: { precision: [number, number]; recall: [number, number]; f1: [number, number] };
}

function interval(ci: [number, number] | undefined): string {
  return ci ? `${fixed(ci[0], 3)}–${fixed(ci[1], 3)}` : "";
}

/** HTML table of per-class scores (3 decimals, 95% bootstrap intervals when given) with a macro-average row. */
export function perClassScoresHtml(scores: readonly ClassScoreRow[]): string {
  const mean = (f: (s: ClassScoreRow) => number) => (scores.length ? scores.reduce((a, s) => a + f(s), 0) / scores.length : NaN);
  const withCi = scores.some((s) => s.ci);
  const row = (s: ClassScoreRow): unknown[] =>
    withCi ? [s.label, s.precision, interval(s.ci?.precision), s.recall, interval(s.ci?.recall), s.f1, interval(s.ci?.f1), s.support] : [s.label, s.precision, s.recall, s.f1, s.support];
  const rows = scores.map(row);
  const macro = ["macro average", mean((s) => s.precision), mean((s) => s.recall), mean((s) => s.f1), scores.reduce((a, s) => a + s.support, 0)];
  rows.push(withCi ? [macro[0], macro[1], "", macro[2], "", macro[3], "", macro[4]] : macro);
  const columns = withCi ? ["genre", "precision", "95% CI", "recall", "95% CI", "F1", "95% CI", "support"] : ["genre", "precision", "recall", "F1", "support"];
  return dataFrameHtml({ columns, values: rows, index: rows.map((_, i) => (i < scores.length ? i : "")) }, { maxRows: rows.length, digits: 3 });
}

/** Grouped bars: precision, recall and F1 for each class, 95% bootstrap intervals as whiskers, support in the labels. */
export function perClassScoresFigure(scores: readonly ClassScoreRow[], opts: { title?: string; width?: number } = {}): string {
  const metrics = ["precision", "recall", "F1"];
  const colours = ["#4e79a7", "#f28e2c", "#59a14f"];
  const labels = scores.map((s) => s.label);
  const support = new Map(scores.map((s) => [s.label, s.support]));
  const data = scores.flatMap((s) => [
    { label: s.label, metric: "precision", value: s.precision, ci: s.ci?.precision },
    { label: s.label, metric: "recall", value: s.recall, ci: s.ci?.recall },
    { label: s.label, metric: "F1", value: s.f1, ci: s.ci?.f1 },
  ]);
  const whiskers = data.filter((d) => d.ci).map((d) => ({ label: d.label, metric: d.metric, low: d.ci![0], high: d.ci![1] }));
  const svg = renderPlot({
    width: opts.width ?? Math.max(480, 76 * labels.length + 80),
    height: 320,
    marginTop: 24,
    marginLeft: 70,
    marginBottom: 70,
    style: STYLE,
    fx: { domain: labels, label: null, tickRotate: -30, padding: 0.15, tickFormat: (l: string) => `${l} (n=${support.get(l)})` },
    x: { domain: metrics, axis: null },
    y: { domain: [0, 1], label: "score (test set)", grid: true, labelArrow: "none" },
    color: { domain: metrics, range: colours },
    marks: [
      Plot.barY(data, { fx: "label", x: "metric", y: "value", fill: "metric" }),
      Plot.ruleX(whiskers, { fx: "label", x: "metric", y1: "low", y2: "high", stroke: "black", strokeWidth: 1.2 }),
      Plot.tickY(whiskers, { fx: "label", x: "metric", y: "low", stroke: "black", inset: 3 }),
      Plot.tickY(whiskers, { fx: "label", x: "metric", y: "high", stroke: "black", inset: 3 }),
      Plot.ruleY([0]),
    ],
  });
  const legend: LegendEntry[] = metrics.map((m, i) => ({ label: m, colour: colours[i] }));
  const subtitle = whiskers.length ? "whiskers: 95% bootstrap interval (1000 resamples of the test tracks); n = test tracks of the genre" : "n = test tracks of the genre";
  return withTitle(withLegend(svg, legend, 70), opts.title ?? "Per-genre precision, recall and F1 (test set)", subtitle);
}

// ------------------------------------------------------------------ 6. training curves

/** The fields of one metrics.jsonl line the curves use. */
export interface EpochCurvePoint {
  epoch: number;
  train_loss: number;
  train_acc: number;
  val_loss: number;
  val_acc: number;
}

function curvePanel(points: Array<{ epoch: number; series: string; value: number }>, yLabel: string, colours: { domain: string[]; range: string[] }, yDomain?: [number, number]): string {
  return renderPlot({
    width: 360,
    height: 260,
    marginTop: 12,
    style: STYLE,
    x: { label: "epoch", labelArrow: "none", tickFormat: "d" },
    y: { label: yLabel, grid: true, labelArrow: "none", ...(yDomain ? { domain: yDomain } : {}) },
    color: colours,
    marks: [
      Plot.line(points, { x: "epoch", y: "value", stroke: "series", strokeWidth: 1.8 }),
      Plot.dot(points, { x: "epoch", y: "value", fill: "series", r: 2.5 }),
    ],
  });
}

/** Loss and accuracy per epoch, training vs validation (two panels). */
export function trainingCurvesFigure(metrics: readonly EpochCurvePoint[], opts: { title?: string } = {}): string {
  if (metrics.length === 0) throw new Error("training curves: no epochs in metrics (has the run trained yet?)");
  const colours = { domain: ["training", "validation"], range: ["#4e79a7", "#e15759"] };
  const loss = metrics.flatMap((m) => [
    { epoch: m.epoch, series: "training", value: m.train_loss },
    { epoch: m.epoch, series: "validation", value: m.val_loss },
  ]);
  const acc = metrics.flatMap((m) => [
    { epoch: m.epoch, series: "training", value: m.train_acc },
    { epoch: m.epoch, series: "validation", value: m.val_acc },
  ]);
  const panels = composeSvgs([curvePanel(loss, "cross-entropy loss", colours), curvePanel(acc, "accuracy", colours, [0, 1])]);
  return withTitle(withLegend(panels, colours.domain.map((d, i) => ({ label: d, colour: colours.range[i] }))), opts.title ?? "Training and validation curves");
}

/** Whether class weights are all equal (then a class-weighted loss is the plain loss). */
export function uniformWeights(weights: readonly number[]): boolean {
  return weights.length > 0 && weights.every((w) => Math.abs(w - weights[0]) <= 1e-6 * Math.max(1, Math.abs(weights[0])));
}

/**
 * Validation accuracy per epoch of several runs (e.g. class-weighted loss vs the plain run). When a weighted
 * run's weights (`weights`) are uniform, the figure says so: the two losses are then the same objective.
 */
export function validationAccuracyComparisonFigure(
  runs: ReadonlyArray<{ name: string; metrics: readonly EpochCurvePoint[]; weights?: readonly number[] | null }>,
  opts: { title?: string } = {},
): string {
  if (runs.length === 0) throw new Error("validation accuracy comparison: no runs given");
  const colours = categoryColours(runs.map((r) => r.name));
  const points = runs.flatMap((r) => r.metrics.map((m) => ({ epoch: m.epoch, series: r.name, value: m.val_acc })));
  const panel = renderPlot({
    width: 560,
    height: 300,
    marginTop: 12,
    style: STYLE,
    x: { label: "epoch", labelArrow: "none", tickFormat: "d" },
    y: { label: "validation accuracy", grid: true, labelArrow: "none", domain: [0, 1] },
    color: colours,
    marks: [
      Plot.line(points, { x: "epoch", y: "value", stroke: "series", strokeWidth: 1.8 }),
      Plot.dot(points, { x: "epoch", y: "value", fill: "series", r: 2.5 }),
    ],
  });
  const weighted = runs.filter((r) => r.weights && r.weights.length > 0);
  const uniform = weighted.length > 0 && weighted.every((r) => uniformWeights(r.weights!));
  const subtitle = uniform
    ? `⚠ uniform class weights (all ${fixed(weighted[0].weights![0], 3)}: balanced training split): weighted loss = plain loss, differences are noise`
    : weighted.length > 0
      ? `class weights ${weighted[0].weights!.map((w) => fixed(w, 2)).join(", ")} (min ${fixed(Math.min(...weighted[0].weights!), 2)}, max ${fixed(Math.max(...weighted[0].weights!), 2)})`
      : undefined;
  return withTitle(withLegend(panel, colours.domain.map((d, i) => ({ label: d, colour: colours.range[i] }))), opts.title ?? "Validation accuracy: class-weighted loss vs plain", subtitle);
}

// ------------------------------------------------------------------ 7. saliency grid per genre

export interface GenreSaliencyPanel {
  genre: string;
  /** Clips averaged. */
  count: number;
  /** height × width, row 0 = lowest mel band. */
  map: ArrayLike<number>;
  height: number;
  width: number;
}

/** The colour bar label of relative-saliency panels (see relativeSaliency). */
export const RELATIVE_SALIENCY_LABEL = "relative saliency (|map| / its 99th percentile)";

/**
 * Mean saliency map per genre, each panel as relative saliency (|map| over the panel's 99th percentile,
 * clipped to 1; viridis), with time (s) and mel-frequency (Hz) axes and one relative-saliency colour bar.
 */
export function saliencyGridFigure(
  panels: readonly GenreSaliencyPanel[],
  opts: { sr: number; hopLength: number; fmin?: number; fmax?: number; method?: string; grouping?: string; columns?: number; title?: string },
): string {
  const sorted = [...panels].sort((a, b) => a.genre.localeCompare(b.genre));
  const normalised = sorted.map((p) => ({
    caption: `${p.genre} (n=${p.count})`,
    spec: { data: relativeSaliency(p.map), nMels: p.height, nFrames: p.width },
  }));
  return spectrogramGrid(normalised, {
    sr: opts.sr,
    hopLength: opts.hopLength,
    fmin: opts.fmin,
    fmax: opts.fmax,
    columns: opts.columns ?? 4,
    colormap: "viridis",
    domain: [0, 1],
    label: RELATIVE_SALIENCY_LABEL,
    title: opts.title ?? `Mean ${opts.method ?? "saliency"} per ${opts.grouping ?? "true"} genre`,
  });
}

/**
 * One clip's log-mel crop (dB colour bar) and, side by side, each saliency method's map on the same axes as
 * relative saliency (|map| over its 99th percentile, clipped to 1, so spiky maps such as plain gradients and
 * Integrated Gradients stay visible; relative-saliency colour bar): how the methods agree on what the model used.
 */
export function saliencyMethodsFigure(
  spec: SpectrogramMatrix,
  maps: ReadonlyArray<{ method: string; map: ArrayLike<number> }>,
  opts: { sr: number; hopLength: number; fmin?: number; fmax?: number; columns?: number; title?: string },
): string {
  const common = { sr: opts.sr, hopLength: opts.hopLength, fmin: opts.fmin, fmax: opts.fmax };
  const input = spectrogramGrid([{ caption: "log-mel input", spec }], { ...common, columns: 1, colormap: "magma", label: "dB" });
  const methods = spectrogramGrid(
    maps.map((m) => ({ caption: m.method, spec: { data: relativeSaliency(m.map), nMels: spec.nMels, nFrames: spec.nFrames } })),
    { ...common, columns: opts.columns ?? Math.min(4, maps.length), colormap: "viridis", domain: [0, 1], label: "relative saliency" },
  );
  return composeSvgs([input, methods], {
    gap: 16,
    title: opts.title ?? "Saliency methods on one clip",
    subtitle: "left: the model's input; right: each method's map (|map| / its 99th percentile, clipped at 1)",
  });
}

// ------------------------------------------------------------------ 8. co-occurrence heatmap

/**
 * Static heatmap of a square genre × genre matrix (Jaccard, PMI...), blank where null (e.g. the diagonal),
 * values printed in the cells up to 20 labels, and a colour bar in `valueName` units on the right.
 */
export function cooccurrenceHeatmapSvg(
  labels: readonly string[],
  values: ReadonlyArray<ReadonlyArray<number | null>>,
  opts: { valueName: string; title?: string; subtitle?: string; digits?: number } = { valueName: "value" },
): string {
  if (values.length !== labels.length) throw new RangeError(`co-occurrence heatmap: ${values.length} rows for ${labels.length} labels`);
  const cells = values.flatMap((row, i) => row.map((v, j) => ({ a: labels[i], b: labels[j], value: v })).filter((c) => c.value !== null));
  const cell = labels.length > 20 ? 14 : labels.length > 12 ? 28 : 40;
  const finite = cells.map((c) => c.value as number);
  const lo = Math.min(0, ...finite);
  const hi = Math.max(0, ...finite);
  const marginLeft = Math.min(240, 20 + Math.ceil(6.1 * Math.max(4, ...labels.map((l) => l.length))));
  const marginBottom = Math.min(200, 16 + Math.ceil(4.3 * Math.max(4, ...labels.map((l) => l.length))));
  const colour = (lo < 0 ? { type: "diverging", domain: [lo, hi], scheme: "rdbu", pivot: 0 } : { type: "linear", domain: [0, hi || 1], scheme: "magma", reverse: true }) as Plot.ScaleOptions;
  const darkText = (v: number) => (lo < 0 ? Math.abs(v) / (Math.max(-lo, hi) || 1) > 0.6 : v / (hi || 1) > 0.55);
  const svg = renderPlot({
    width: marginLeft + cell * labels.length + 10,
    height: 20 + cell * labels.length + marginBottom,
    marginLeft,
    marginRight: 10,
    marginTop: 20,
    marginBottom,
    style: STYLE,
    x: { domain: [...labels], label: null, tickRotate: -45 },
    y: { domain: [...labels], label: null },
    color: colour,
    marks: [
      Plot.cell(cells, { x: "b", y: "a", fill: "value", inset: 0.5 }),
      Plot.frame({ stroke: "#ccc" }),
      ...(labels.length <= 20
        ? [Plot.text(cells.filter((c) => c.value !== 0), { x: "b", y: "a", text: (d: { value: number }) => fixed(d.value, opts.digits ?? 2), fontSize: 8, fill: (d: { value: number }) => (darkText(d.value) ? "white" : "black") })]
        : []),
    ],
  });
  const { height } = svgSize(svg);
  const bar = colourBarSvg({ colour: plotColourScale(colour as Record<string, unknown>), domain: lo < 0 ? [lo, hi] : [0, hi || 1], label: opts.valueName, top: 20, barHeight: cell * labels.length, height });
  return withTitle(composeSvgs([svg, bar], { gap: 4 }), opts.title ?? `Genre co-occurrence (${opts.valueName})`, opts.subtitle);
}

// ------------------------------------------------------------------ 9. UMAP scatter

export interface ScatterPoint2d {
  x: number;
  y: number;
  group: string;
  /** Drawn as a cross (e.g. misclassified). */
  marked?: boolean;
}

/** The trustworthiness of a 2-D layout (analysis/embeddings trustworthiness) as a title suffix. */
export function trustworthinessText(t: { k: number; value: number } | undefined): string {
  return t ? `; trustworthiness ${fixed(t.value, 3)} (k = ${t.k})` : "";
}

/**
 * Static UMAP scatter: dots coloured by genre with the fixed genre palette, marked points (misclassified) as
 * crosses in their true genre's colour, labelled axes; the layout's trustworthiness in the title when given.
 */
export function umapScatterSvg(points: readonly ScatterPoint2d[], opts: { title?: string; markedName?: string; width?: number; trustworthiness?: { k: number; value: number } } = {}): string {
  const colours = genreColours(points.map((p) => p.group));
  const plain = points.filter((p) => !p.marked);
  const marked = points.filter((p) => p.marked);
  const svg = renderPlot({
    width: opts.width ?? 640,
    height: 480,
    marginTop: 20,
    marginLeft: 56,
    marginBottom: 40,
    style: STYLE,
    x: { label: "UMAP 1", labelArrow: "none", labelAnchor: "center" },
    y: { label: "UMAP 2", labelArrow: "none", labelAnchor: "center" },
    color: colours,
    marks: [
      Plot.dot(plain, { x: "x", y: "y", fill: "group", r: 2.5, fillOpacity: 0.75 }),
      Plot.dot(marked, { x: "x", y: "y", stroke: "group", symbol: "times", r: 3.5, strokeWidth: 1.5 }),
    ],
  });
  const legend: LegendEntry[] = [
    ...colours.domain.map((d, i) => ({ label: d, colour: colours.range[i] })),
    ...(marked.length ? [{ label: opts.markedName ?? "misclassified", colour: "#333", symbol: "cross" as const }] : []),
  ];
  const title = (opts.title ?? "UMAP of the penultimate-layer embeddings (test set)") + trustworthinessText(opts.trustworthiness);
  return withTitle(withLegend(svg, legend, 56), title, `${points.length} tracks, ${marked.length} ${opts.markedName ?? "misclassified"} (crosses, in their true genre's colour)`);
}

// ------------------------------------------------------------------ 10. run comparison

/** The fields of compareRuns' rows the comparison uses. */
export interface RunComparisonPoint {
  run: string;
  model: string;
  test_acc: number | null;
  test_acc_low: number | null;
  test_acc_high: number | null;
  test_macro_f1: number | null;
  best_val_acc: number | null;
  /** Shown after the model (e.g. "class-weighted"). */
  variant?: string;
}

/**
 * Test accuracy with its bootstrap interval, one row per run (rule = interval, dot = accuracy, ◇ = macro F1),
 * the model (and variant, e.g. class-weighted) beside each row, and the chance level as a dashed line.
 */
export function runComparisonFigure(rows: readonly RunComparisonPoint[], opts: { title?: string; chance?: number } = {}): string {
  const withTest = rows.filter((r) => r.test_acc !== null);
  if (withTest.length === 0) throw new Error("run comparison: no run has test metrics (run `fmalab evaluate --run ID` first)");
  const runs = withTest.map((r) => r.run);
  if (new Set(runs).size !== runs.length) throw new Error(`run comparison: a run appears twice (${runs.filter((r, i) => runs.indexOf(r) !== i).join(", ")})`);
  const describe = (r: RunComparisonPoint) => `${r.model}${r.variant ? `, ${r.variant}` : ""}`;
  const marginRight = Math.min(220, 16 + Math.ceil(5.6 * Math.max(...withTest.map((r) => describe(r).length))));
  const marks: Plot.Markish[] = [
    Plot.ruleY(withTest.filter((r) => r.test_acc_low !== null && r.test_acc_high !== null), { y: "run", x1: "test_acc_low", x2: "test_acc_high", stroke: "#4e79a7", strokeWidth: 2 }),
    Plot.dot(withTest, { y: "run", x: "test_acc", fill: "#4e79a7", r: 4 }),
    Plot.dot(withTest.filter((r) => r.test_macro_f1 !== null), { y: "run", x: "test_macro_f1", stroke: "#e15759", symbol: "diamond", r: 4 }),
    Plot.text(withTest, { y: "run", x: "test_acc", text: (d: RunComparisonPoint) => fixed(d.test_acc!, 3), dy: -9, fontSize: 9 }),
    Plot.text(withTest, { y: "run", frameAnchor: "right", text: describe, dx: 8, textAnchor: "start", fill: "#555" }),
  ];
  if (opts.chance !== undefined) {
    marks.push(Plot.ruleX([opts.chance], { stroke: "#888", strokeDasharray: "4 3" }));
    marks.push(Plot.text([opts.chance], { x: (d: number) => d, frameAnchor: "top", text: (d: number) => `chance ${(d * 100).toFixed(1)} %`, dy: -8, dx: 4, textAnchor: "start", fill: "#555", fontSize: 9 }));
  }
  const svg = renderPlot({
    width: 640 + marginRight,
    height: 62 + 28 * runs.length + 30,
    marginLeft: Math.min(260, 20 + 6 * Math.max(...runs.map((r) => r.length))),
    marginRight,
    marginTop: 24,
    style: STYLE,
    x: { domain: [0, 1], label: "test accuracy (95% bootstrap interval)", grid: true, labelArrow: "none" },
    y: { domain: runs, label: null },
    marks,
  });
  const legend: LegendEntry[] = [
    { label: "test accuracy", colour: "#4e79a7" },
    { label: "macro F1", colour: "#e15759", symbol: "diamond" },
  ];
  return withTitle(withLegend(svg, legend, 40), opts.title ?? `Run comparison (${runs.length} run${runs.length === 1 ? "" : "s"})`);
}

/** The comparison rows as an HTML table. */
export function runComparisonHtml(rows: ReadonlyArray<Record<string, unknown>>): string {
  if (rows.length === 0) return "<p>no runs</p>";
  const columns = Object.keys(rows[0]);
  return dataFrameHtml({ columns, values: rows.map((r) => columns.map((c) => r[c])) }, { maxRows: rows.length, digits: 3 });
}

// ------------------------------------------------------------------ 11. sweep comparison

export type SweepGridValue = string | number | boolean;

/** One grid point of a sweep as the figure draws it (src/study/sweeps.ts sweepFigureInput makes these). */
export interface SweepFigurePoint {
  /** The point's grid values (option → value). */
  values: Readonly<Record<string, SweepGridValue>>;
  /** "evaluated", or why not ("not started", "incomplete"): only evaluated points are drawn with values. */
  status: string;
  run?: string;
  val_acc: number | null;
  val_acc_low: number | null;
  val_acc_high: number | null;
  test_acc: number | null;
  test_acc_low: number | null;
  test_acc_high: number | null;
  test_macro_f1?: number | null;
  epochs?: number;
  train_seconds?: number;
}

export interface SweepFigureInput {
  name: string;
  /** The grid as the spec gives it: option → values, in the spec's order (axes and rows follow it). */
  grid: Readonly<Record<string, readonly SweepGridValue[]>>;
  /** One per grid point (any order); a grid point without one is drawn as "not started". */
  points: readonly SweepFigurePoint[];
  /** Chance accuracy (1 / classes). */
  chance?: number;
  /** Axis label of an option, with its unit ("lr" → "learning rate (Adam)"); default the option name. */
  axisLabels?: Readonly<Record<string, string>>;
  /** What the evaluation accuracy is (default "test accuracy"; a smoke run's is not a test score). */
  testName?: string;
  /** One line under the title (data, base options). */
  note?: string;
}

const SWEEP_VAL_COLOUR = "#f28e2c";
const SWEEP_TEST_COLOUR = "#4e79a7";
const SWEEP_BEST_COLOUR = "#e15759";
const SWEEP_MISSING_FILL = "#e8e8e8";

/** Accuracy in percent with one decimal ("–" when absent). */
function pct1(v: number | null | undefined): string {
  return typeof v === "number" && Number.isFinite(v) ? (100 * v).toFixed(1) : "–";
}

interface SweepCellDatum {
  key: string;
  row: string;
  col: string;
  label: string;
  point: SweepFigurePoint;
  evaluated: boolean;
  best: boolean;
}

/** The grid points in grid order (last option fastest), each with its drawn point (or "not started"). */
function sweepCells(input: SweepFigureInput): SweepCellDatum[] {
  const keys = Object.keys(input.grid);
  if (keys.length === 0) throw new Error(`sweep ${input.name}: the grid has no options`);
  const keyOf = (values: Readonly<Record<string, SweepGridValue>>) => keys.map((k) => JSON.stringify(values[k])).join("\u0000");
  const byKey = new Map<string, SweepFigurePoint>();
  for (const p of input.points) {
    const missing = keys.filter((k) => !(k in p.values));
    if (missing.length) throw new Error(`sweep ${input.name}: a point lacks grid value(s) ${missing.join(", ")} (${JSON.stringify(p.values)})`);
    byKey.set(keyOf(p.values), p);
  }
  let combos: Array<Record<string, SweepGridValue>> = [{}];
  for (const k of keys) combos = combos.flatMap((c) => input.grid[k].map((v) => ({ ...c, [k]: v })));
  const empty = { status: "not started", val_acc: null, val_acc_low: null, val_acc_high: null, test_acc: null, test_acc_low: null, test_acc_high: null };
  const cells = combos.map((values) => {
    const point = byKey.get(keyOf(values)) ?? { ...empty, values };
    const evaluated = point.status === "evaluated" && typeof point.test_acc === "number";
    const label = keys.length === 1 ? String(values[keys[0]]) : keys.map((k) => `${k}=${values[k]}`).join(" ");
    return { key: keyOf(values), row: String(values[keys[0]]), col: keys.length > 1 ? String(values[keys[1]]) : "", label, point, evaluated, best: false };
  });
  // The point a sweep would pick: the best validation accuracy among the evaluated ones (first on ties).
  let best: SweepCellDatum | null = null;
  for (const c of cells) if (c.evaluated && typeof c.point.val_acc === "number" && (!best || c.point.val_acc > best.point.val_acc!)) best = c;
  if (best) best.best = true;
  return cells;
}

/** The colour domain of the heat maps: every drawn accuracy and chance, at least 2 points wide. */
function sweepColourDomain(cells: readonly SweepCellDatum[], chance: number | undefined): [number, number] {
  const values = cells.filter((c) => c.evaluated).flatMap((c) => [c.point.val_acc, c.point.test_acc]).filter((v): v is number => typeof v === "number");
  let lo = Math.min(...values, chance ?? Infinity);
  let hi = Math.max(...values);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi - lo < 0.02) [lo, hi] = [Math.max(0, lo - 0.01), Math.min(1, hi + 0.01)];
  return [lo, hi];
}

/** One grey line of text as its own SVG row (a figure's footnote). */
function noteSvg(text: string): string {
  const width = Math.ceil(textWidth(text)) + 8;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="16" viewBox="0 0 ${width} 16" font-family="${FIGURE_FONT}" font-size="10" fill="#555"><text x="0" y="12">${escapeHtml(text)}</text></svg>`;
}

/** One heat-map panel (validation or test): rows the first option, columns the second, the 95% interval under each value. */
function sweepHeatPanel(
  cells: readonly SweepCellDatum[],
  opts: { rows: string[]; cols: string[]; rowLabel: string; colLabel: string; which: "val" | "test"; title: string; colour: Plot.ScaleOptions; domain: [number, number]; showY: boolean },
): string {
  // Wide enough for the column values and for the panel's bold title.
  const cellW = Math.max(84, ...opts.cols.map((c) => Math.ceil(textWidth(c)) + 12), Math.ceil((textWidth(opts.title) * 1.15) / opts.cols.length));
  const cellH = 40;
  const marginLeft = opts.showY ? Math.min(200, 36 + Math.ceil(textWidth(opts.rows.reduce((a, b) => (b.length > a.length ? b : a), "")))) : 12;
  const marginTop = 22;
  const marginBottom = 40;
  const acc = (c: SweepCellDatum) => (opts.which === "val" ? c.point.val_acc : c.point.test_acc);
  const drawn = cells.filter((c) => c.evaluated && typeof acc(c) === "number");
  const missing = cells.filter((c) => !drawn.includes(c));
  const [lo, hi] = opts.domain;
  const dark = (c: SweepCellDatum) => (acc(c)! - lo) / (hi - lo || 1) < 0.6; // viridis: the lower 60% is dark
  const text = (c: SweepCellDatum) => {
    const p = c.point;
    const [l, h] = opts.which === "val" ? [p.val_acc_low, p.val_acc_high] : [p.test_acc_low, p.test_acc_high];
    return `${pct1(acc(c))} %\n${pct1(l)}–${pct1(h)}`;
  };
  return renderPlot({
    width: marginLeft + cellW * opts.cols.length + 10,
    height: marginTop + cellH * opts.rows.length + marginBottom,
    marginLeft,
    marginRight: 10,
    marginTop,
    marginBottom,
    style: STYLE,
    x: { domain: opts.cols, label: opts.colLabel, labelAnchor: "center", labelArrow: "none", axis: "bottom" },
    y: { domain: opts.rows, label: opts.showY ? opts.rowLabel : null, labelAnchor: "center", labelArrow: "none", axis: opts.showY ? "left" : null },
    color: opts.colour,
    marks: [
      Plot.cell(drawn, { x: "col", y: "row", fill: (c: SweepCellDatum) => acc(c), inset: 1 }),
      Plot.cell(missing, { x: "col", y: "row", fill: SWEEP_MISSING_FILL, inset: 1 }),
      Plot.text(drawn, { x: "col", y: "row", text, fill: (c: SweepCellDatum) => (dark(c) ? "white" : "black"), lineHeight: 1.2 }),
      Plot.text(missing, { x: "col", y: "row", text: (c: SweepCellDatum) => `–\n${c.point.status}`, fill: "#666", fontStyle: "italic", lineHeight: 1.2 }),
      Plot.cell(cells.filter((c) => c.best), { x: "col", y: "row", fill: "none", stroke: SWEEP_BEST_COLOUR, strokeWidth: 3, inset: 1.5 }),
      Plot.text([opts.title], { frameAnchor: "top-left", dy: -marginTop + 4, lineAnchor: "top", fontWeight: "bold" }),
    ],
  });
}

/**
 * A two-option sweep as two heat maps side by side, validation and test accuracy (rows: the first option,
 * columns: the second, in the spec's order), each cell the accuracy with its 95% interval under it, a
 * shared colour bar with chance marked, the best point by validation accuracy outlined, points that are
 * not evaluated grey with their status (never drawn as 0).
 */
function sweepHeatmapFigure(input: SweepFigureInput, cells: SweepCellDatum[], title: string): string {
  const [rowKey, colKey] = Object.keys(input.grid);
  const label = (k: string) => input.axisLabels?.[k] ?? k;
  const rows = input.grid[rowKey].map(String);
  const cols = input.grid[colKey].map(String);
  const domain = sweepColourDomain(cells, input.chance);
  const colour = { type: "linear", domain, scheme: "viridis" } as Plot.ScaleOptions;
  const testName = input.testName ?? "test accuracy";
  const common = { rows, cols, rowLabel: label(rowKey), colLabel: label(colKey), colour, domain };
  const val = sweepHeatPanel(cells, { ...common, which: "val", title: "validation accuracy", showY: true });
  const test = sweepHeatPanel(cells, { ...common, which: "test", title: testName, showY: false });
  const height = svgSize(val).height;
  const chance = input.chance;
  const span = domain[1] - domain[0];
  const ticks = niceTicks(domain[0], domain[1], 4).filter((t) => chance === undefined || Math.abs(t - chance) > 0.08 * span);
  const bar = colourBarSvg({
    colour: plotColourScale(colour as Record<string, unknown>),
    domain,
    label: "accuracy (%)",
    top: 22,
    barHeight: 40 * rows.length,
    height,
    ticks: chance === undefined ? ticks : [...ticks, chance].sort((a, b) => a - b),
    format: (v) => (v === chance ? `${pct1(v)} chance` : pct1(v)),
  });
  const panels = composeSvgs([val, test, bar], { gap: 8 });
  const legend = legendSvg(
    [
      { label: "best validation accuracy (the point a sweep picks)", colour: SWEEP_BEST_COLOUR, symbol: "diamond" },
      { label: "not evaluated (its status in the cell, not a 0)", colour: SWEEP_MISSING_FILL },
    ],
    Math.max(svgSize(panels).width, 560),
  );
  const evaluated = cells.filter((c) => c.evaluated).length;
  const subtitle = `${cells.length} grid points, ${evaluated} evaluated; each cell: accuracy % and its 95% interval (validation: Wilson, test: bootstrap)`;
  const parts = [panels, legend, ...(input.note ? [noteSvg(input.note)] : [])];
  return composeSvgs(parts, { direction: "column", gap: 4, title, subtitle });
}

/**
 * A sweep as a dot plot, one row per grid point in grid order: validation (hollow) and test (filled)
 * accuracy with their 95% intervals, chance dashed, the values at the right, the best point by
 * validation accuracy marked, points that are not evaluated named by their status (no dot, not a 0).
 */
function sweepDotFigure(input: SweepFigureInput, cells: SweepCellDatum[], title: string): string {
  const keys = Object.keys(input.grid);
  const labels = cells.map((c) => c.label);
  const drawn = cells.filter((c) => c.evaluated);
  const val = drawn.filter((c) => typeof c.point.val_acc === "number");
  const withCi = (lo: "val_acc_low" | "test_acc_low", hi: "val_acc_high" | "test_acc_high") => drawn.filter((c) => typeof c.point[lo] === "number" && typeof c.point[hi] === "number");
  const testName = input.testName ?? "test accuracy";
  const right = (c: SweepCellDatum) => (c.evaluated ? `val ${pct1(c.point.val_acc)} · test ${pct1(c.point.test_acc)}${c.best ? "  ◀ best val" : ""}` : "");
  const marks: Plot.Markish[] = [
    Plot.ruleY(withCi("val_acc_low", "val_acc_high"), { y: "label", x1: (c: SweepCellDatum) => c.point.val_acc_low, x2: (c: SweepCellDatum) => c.point.val_acc_high, stroke: SWEEP_VAL_COLOUR, strokeWidth: 2, dy: -5 }),
    Plot.dot(val, { y: "label", x: (c: SweepCellDatum) => c.point.val_acc, stroke: SWEEP_VAL_COLOUR, fill: "white", strokeWidth: 1.5, r: 4, dy: -5 }),
    Plot.ruleY(withCi("test_acc_low", "test_acc_high"), { y: "label", x1: (c: SweepCellDatum) => c.point.test_acc_low, x2: (c: SweepCellDatum) => c.point.test_acc_high, stroke: SWEEP_TEST_COLOUR, strokeWidth: 2, dy: 5 }),
    Plot.dot(drawn, { y: "label", x: (c: SweepCellDatum) => c.point.test_acc, fill: SWEEP_TEST_COLOUR, r: 4, dy: 5 }),
    Plot.text(cells.filter((c) => !c.evaluated), { y: "label", x: 0, text: (c: SweepCellDatum) => `– ${c.point.status}`, dx: 4, textAnchor: "start", fill: "#666", fontStyle: "italic" }),
    Plot.text(cells, { y: "label", frameAnchor: "right", text: right, dx: 8, textAnchor: "start", fill: (c: SweepCellDatum) => (c.best ? SWEEP_BEST_COLOUR : "#555") }),
  ];
  if (input.chance !== undefined) {
    marks.push(Plot.ruleX([input.chance], { stroke: "#888", strokeDasharray: "4 3" }));
    marks.push(Plot.text([input.chance], { x: (d: number) => d, frameAnchor: "top", text: (d: number) => `chance ${pct1(d)} %`, dy: -8, dx: 4, textAnchor: "start", fill: "#555", fontSize: 9 }));
  }
  const marginLeft = Math.min(320, 30 + Math.ceil(textWidth(labels.reduce((a, b) => (b.length > a.length ? b : a), ""))));
  const svg = renderPlot({
    width: 560 + marginLeft + 190,
    height: 62 + 30 * labels.length + 30,
    marginLeft,
    marginRight: 190,
    marginTop: 24,
    style: STYLE,
    x: { domain: [0, 1], label: "accuracy (%), 95% interval", grid: true, labelArrow: "none", labelAnchor: "center", tickFormat: (v: number) => String(Math.round(100 * v)) },
    y: { domain: labels, label: keys.length === 1 ? input.axisLabels?.[keys[0]] ?? keys[0] : null, labelAnchor: "top", labelArrow: "none" },
    marks,
  });
  const legend: LegendEntry[] = [
    { label: "validation accuracy (Wilson 95% interval)", colour: SWEEP_VAL_COLOUR },
    { label: `${testName} (bootstrap 95% interval)`, colour: SWEEP_TEST_COLOUR },
  ];
  const subtitle = `${cells.length} grid points, ${drawn.length} evaluated, in grid order`;
  const body = withLegend(svg, legend, marginLeft);
  return withTitle(input.note ? composeSvgs([body, noteSvg(input.note)], { direction: "column", gap: 2 }) : body, title, subtitle);
}

/**
 * A hyperparameter sweep at a glance: with two grid options, heat maps of validation and test accuracy
 * over the grid (one cell per point, its 95% interval in the cell, a colour bar with chance marked); with
 * one option (or three and more), a dot plot with interval bars, one row per point in grid order. The
 * best point by validation accuracy is marked; points not evaluated (not started, unfinished, failed) are
 * shown as missing with their status, never as 0.
 */
export function sweepComparisonFigure(input: SweepFigureInput, opts: { title?: string } = {}): string {
  const cells = sweepCells(input);
  const keys = Object.keys(input.grid);
  const title = opts.title ?? `Sweep ${input.name}: ${keys.map((k) => input.axisLabels?.[k] ?? k).join(" × ")}`;
  return keys.length === 2 ? sweepHeatmapFigure(input, cells, title) : sweepDotFigure(input, cells, title);
}

/** The sweep's table: grid values as written (not rounded), status, accuracies in % with their intervals, run. */
export function sweepTableHtml(input: SweepFigureInput): string {
  const keys = Object.keys(input.grid);
  const cells = sweepCells(input);
  const ci = (v: number | null, l: number | null, h: number | null) => (typeof v === "number" ? `${pct1(v)} [${pct1(l)}–${pct1(h)}]` : "–");
  const columns = [...keys, "status", "val acc % [95% CI]", `${input.testName ?? "test accuracy"} % [95% CI]`, "macro-F1", "epochs", "time s", "run"];
  const values = cells.map((c) => {
    const p = c.point;
    return [
      ...keys.map((k) => String(p.values[k])),
      c.best ? `${p.status} (best val)` : p.status,
      ci(p.val_acc, p.val_acc_low, p.val_acc_high),
      ci(p.test_acc, p.test_acc_low, p.test_acc_high),
      typeof p.test_macro_f1 === "number" ? p.test_macro_f1.toFixed(3) : "–",
      p.epochs ?? 0,
      typeof p.train_seconds === "number" ? p.train_seconds.toFixed(1) : "–",
      p.run ?? "",
    ];
  });
  return dataFrameHtml({ columns, values }, { maxRows: values.length, digits: 3 });
}

// ------------------------------------------------------------------ the whole report

/** Everything the report figures are drawn from; each piece optional (a missing one skips its figures). */
export interface ReportFigureInputs {
  /** Run the run-specific figures come from (for captions). */
  runId?: string;
  /**
   * Set when the run's test tracks are not held out (a smoke run, unrecorded splits) or the splits are not
   * the official ones: said in every figure's title, and "(test set)" is not claimed.
   */
  splitNote?: string;
  genreSplitCounts?: GenreSplitCount[];
  genres?: GenreNode[];
  exampleSpectrograms?: { panels: GenreSpectrogramPanel[]; sr: number; hopLength: number };
  evaluation?: { classes: string[]; confusion: number[][]; perClass: ClassScoreRow[] };
  metrics?: EpochCurvePoint[];
  classWeightComparison?: Array<{ name: string; metrics: EpochCurvePoint[]; weights?: number[] | null }>;
  saliency?: { panels: GenreSaliencyPanel[]; sr: number; hopLength: number; method: string };
  cooccurrence?: { labels: string[]; values: (number | null)[][]; valueName: string; title?: string; subtitle?: string };
  umap?: Array<ScatterPoint2d & { hover?: string }>;
  runComparison?: RunComparisonPoint[];
  /** Chance accuracy (1 / classes) drawn in the run comparison. */
  chance?: number;
  /** Trustworthiness of the UMAP layout (k nearest neighbours), shown in its title. */
  umapTrustworthiness?: { k: number; value: number };
}

/** One rendered figure: `svg` (static, also rasterised to PNG) or `html` (tables). */
export interface RenderedFigure {
  name: string;
  kind: "svg" | "html";
  content: string;
  /** What the figure shows, one line. */
  caption: string;
}

/** What each input feeds, for "missing" messages. */
export const REPORT_FIGURE_NAMES: Record<keyof Omit<ReportFigureInputs, "runId" | "splitNote" | "chance" | "umapTrustworthiness">, string[]> = {
  genreSplitCounts: ["genre-distribution"],
  genres: ["genre-tree"],
  exampleSpectrograms: ["example-spectrograms"],
  evaluation: ["confusion-matrix", "per-class-scores", "per-class-scores-table"],
  metrics: ["training-curves"],
  classWeightComparison: ["class-weights-validation"],
  saliency: ["saliency-per-genre"],
  cooccurrence: ["genre-cooccurrence"],
  umap: ["umap"],
  runComparison: ["run-comparison", "run-comparison-table"],
};

/** A figure's text with no claim of a held-out test (for runs whose test tracks are not held out). */
function withoutTestClaims(content: string): string {
  return content
    .replace(/test accuracy/g, "accuracy (not a test score)")
    .replace(/test set/g, "evaluation tracks")
    .replace(/test tracks/g, "evaluation tracks")
    .replace(/\(test\)/g, "(evaluation)");
}

/**
 * Render every report figure whose input is present. A figure whose input is bad is reported in
 * `problems` (with the figure name) and the others are still rendered.
 */
export function buildReportFigures(inputs: ReportFigureInputs): { figures: RenderedFigure[]; problems: string[] } {
  const figures: RenderedFigure[] = [];
  const problems: string[] = [];
  const run = inputs.runId ? ` — run ${inputs.runId}` : "";
  const note = inputs.splitNote;
  // With a split note, no figure says "test set"; every SVG title carries the note (a line above the figure).
  const testSet = note ? "evaluation tracks" : "test set";
  const add = (name: string, kind: "svg" | "html", caption: string, render: () => string) => {
    try {
      const content = note ? withoutTestClaims(render()) : render();
      figures.push({ name, kind, caption, content: note && kind === "svg" ? withTitle(content, `⚠ ${note}`) : note ? `<p><strong>⚠ ${escapeHtml(note)}</strong></p>\n${content}` : content });
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  };
  if (inputs.genreSplitCounts) add("genre-distribution", "svg", "tracks per genre and split", () => genreDistributionFigure(inputs.genreSplitCounts!));
  if (inputs.genres) add("genre-tree", "svg", "the genre hierarchy", () => genreTreeFigure(inputs.genres!));
  if (inputs.exampleSpectrograms) {
    const e = inputs.exampleSpectrograms;
    add("example-spectrograms", "svg", "one log-mel spectrogram per genre", () => exampleSpectrogramsFigure(e.panels, { sr: e.sr, hopLength: e.hopLength }));
  }
  if (inputs.evaluation) {
    const ev = inputs.evaluation;
    add("confusion-matrix", "svg", "test-set confusion matrix", () => confusionMatrixSvg(ev.classes, ev.confusion, { title: `Confusion matrix (${testSet}${run})` }));
    add("per-class-scores", "svg", "per-genre precision/recall/F1", () => perClassScoresFigure(ev.perClass, { title: `Per-genre precision, recall and F1 (${testSet}${run})` }));
    add("per-class-scores-table", "html", "per-genre scores table", () => perClassScoresHtml(ev.perClass));
  }
  if (inputs.metrics) add("training-curves", "svg", "loss and accuracy per epoch", () => trainingCurvesFigure(inputs.metrics!, { title: `Training and validation curves${run}` }));
  if (inputs.classWeightComparison) add("class-weights-validation", "svg", "validation accuracy, class-weighted vs plain", () => validationAccuracyComparisonFigure(inputs.classWeightComparison!));
  if (inputs.saliency) {
    const s = inputs.saliency;
    add("saliency-per-genre", "svg", `mean ${s.method} map per genre`, () => saliencyGridFigure(s.panels, { sr: s.sr, hopLength: s.hopLength, method: s.method }));
  }
  if (inputs.cooccurrence) {
    const c = inputs.cooccurrence;
    add("genre-cooccurrence", "svg", `genres_all subgenre co-occurrence (${c.valueName})`, () => cooccurrenceHeatmapSvg(c.labels, c.values, { valueName: c.valueName, title: c.title, subtitle: c.subtitle }));
  }
  if (inputs.umap) add("umap", "svg", "UMAP of the test embeddings", () => umapScatterSvg(inputs.umap!, { title: `UMAP of the penultimate-layer embeddings (${testSet}${run})`, trustworthiness: inputs.umapTrustworthiness }));
  if (inputs.runComparison) {
    add("run-comparison", "svg", "test accuracy per run of the study", () => runComparisonFigure(inputs.runComparison!, { chance: inputs.chance }));
    add("run-comparison-table", "html", "run comparison table", () => runComparisonHtml(inputs.runComparison! as unknown as Array<Record<string, unknown>>));
  }
  return { figures, problems };
}
