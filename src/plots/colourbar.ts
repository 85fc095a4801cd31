// A vertical colour bar like matplotlib's (used beside heatmaps, confusion matrices and spectrogram grids),
// and the tick helper the figures share. Plain SVG (no gradient ids): deterministic, and resvg renders it.
import { escapeHtml } from "../util/html";

const FONT = "DejaVu Sans, sans-serif";

/** Fixed-decimal text ("-0.00" → "0.00"). */
function fixed(x: number, digits = 2): string {
  const s = x.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** Approximate width of `text` at 10 px DejaVu Sans. */
function textWidth(text: string): number {
  return 6.1 * text.length;
}

/** Nice ticks (1, 2, 5 × 10^k steps) over [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

export interface ColourBarOptions {
  /** Maps a value in `domain` to a CSS colour (e.g. Plot.scale({color: ...}).apply). */
  colour: (v: number) => string;
  domain: [number, number];
  label: string;
  /** Height of the bar itself, and its distance from the SVG's top (to line up with a plot's cells). */
  barHeight: number;
  top?: number;
  /** Total SVG height (default top + barHeight + 10). */
  height?: number;
  format?: (v: number) => string;
  ticks?: number[];
}

/**
 * A vertical colour bar like matplotlib's: 64 stripes, ticks on the right, the label rotated beside them.
 * Drawn in plain SVG (no gradient ids) so it is deterministic and resvg renders it.
 */
export function colourBarSvg(opts: ColourBarOptions): string {
  const top = opts.top ?? 10;
  const h = opts.barHeight;
  const height = opts.height ?? top + h + 10;
  const [lo, hi] = opts.domain;
  const span = hi > lo ? hi - lo : 1;
  const n = 64;
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = lo + ((i + 0.5) / n) * span;
    const y1 = top + h - ((i + 1) / n) * h;
    parts.push(`<rect x="4" y="${fixed(y1)}" width="12" height="${fixed(h / n + 0.3)}" fill="${opts.colour(v)}"/>`);
  }
  parts.push(`<rect x="4" y="${top}" width="12" height="${h}" fill="none" stroke="#555" stroke-width="0.5"/>`);
  const format = opts.format ?? ((v: number) => String(Math.round(v * 1000) / 1000));
  const ticks = opts.ticks ?? niceTicks(lo, hi, Math.max(2, Math.min(6, Math.floor(h / 30))));
  let widest = 0;
  for (const t of ticks) {
    const y = top + h - ((t - lo) / span) * h;
    const text = format(t);
    widest = Math.max(widest, textWidth(text));
    parts.push(`<line x1="16" x2="20" y1="${fixed(y)}" y2="${fixed(y)}" stroke="black"/>`);
    parts.push(`<text x="22" y="${fixed(y)}" dy="0.32em">${escapeHtml(text)}</text>`);
  }
  const labelX = Math.ceil(28 + widest);
  parts.push(`<text transform="translate(${labelX},${fixed(top + h / 2)}) rotate(-90)" text-anchor="middle" dy="0.32em">${escapeHtml(opts.label)}</text>`);
  const width = labelX + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="10" fill="black">${parts.join("")}</svg>`;
}

