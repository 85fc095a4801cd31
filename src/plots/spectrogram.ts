// Spectrogram (and saliency) figures: the matrix is drawn as an embedded PNG (data URI) inside an
// Observable Plot SVG, because Plot's raster mark needs a canvas, which jsdom lacks. Plot supplies the
// frame and axes: time in seconds on x, the mel axis labelled in Hz on y (low frequencies at the bottom),
// and we draw a dB colour bar on the right. Output is deterministic (same data → same bytes).
import { hzToMel } from "../features/melspec";
import { MAGMA_LUT, VIRIDIS_LUT } from "../features/colormap";
import { renderPlot, Plot } from "./observable";
import { encodePng, pngDataUri } from "./png";
import { escapeHtml } from "../util/html";
import { colourBarSvg, niceTicks } from "./colourbar";

export { niceTicks } from "./colourbar";

/** The matrix to draw: row-major `nMels × nFrames`, row 0 = lowest mel band (librosa layout). */
export interface SpectrogramMatrix {
  data: ArrayLike<number>;
  nMels: number;
  nFrames: number;
}

export type ColormapName = "magma" | "viridis";

export interface SpectrogramFigureOptions {
  /** Sample rate of the audio (Hz); with hopLength it sets the time axis. */
  sr: number;
  hopLength: number;
  /** Index of the first frame in the clip (a crop's start), so the time axis shows clip time (default 0). */
  startFrame?: number;
  /** Mel filterbank range the bands span (default 0 … sr/2). */
  fmin?: number;
  fmax?: number;
  /** Mel scale flavour of the filterbank (default Slaney, like librosa). */
  htk?: boolean;
  colormap?: ColormapName;
  /** Colour range (default [min, max] of the data). */
  domain?: [number, number];
  /** Colour bar label (default "dB"). */
  label?: string;
  title?: string;
  /** A map of the same shape drawn on top: colour `overlayColor`, opacity alpha · (value scaled to [0, 1]). */
  overlay?: SpectrogramMatrix;
  overlayAlpha?: number;
  /** Overlay colour as [r, g, b] 0…255 (default cyan). */
  overlayColor?: [number, number, number];
  width?: number;
  height?: number;
  /** Draw axes and the colour bar (default true); false for a bare image. */
  axes?: boolean;
  /** Draw the colour bar on the right (default: when axes are drawn). A grid draws one shared bar instead. */
  colourBar?: boolean;
  /**
   * The rows' frequency axis: "mel" (default; mel-spaced bands between fmin and fmax, ticks in Hz as
   * librosa's specshow y_axis="mel") or "linear" (STFT bins 0 … sr/2, as specshow y_axis="linear").
   */
  frequencyScale?: "mel" | "linear";
  /** Axis labels (null: none). Defaults "time (s)" and "frequency (Hz, mel scale)" / "frequency (Hz)". */
  xLabel?: string | null;
  yLabel?: string | null;
  /** Override the margins (pixels) around the image. */
  margins?: { left?: number; right?: number; top?: number; bottom?: number };
  /**
   * At most this many image columns: longer spectrograms are averaged over groups of frames first
   * (default 2 × the figure width; more columns than screen pixels only add bytes).
   */
  maxColumns?: number;
}

const LUTS: Record<ColormapName, Float32Array> = { magma: MAGMA_LUT, viridis: VIRIDIS_LUT };

function checkMatrix(m: SpectrogramMatrix, what: string): void {
  if (!Number.isInteger(m.nMels) || !Number.isInteger(m.nFrames) || m.nMels < 1 || m.nFrames < 1) {
    throw new RangeError(`${what}: nMels and nFrames must be positive integers, got ${m.nMels}×${m.nFrames}`);
  }
  if (m.data.length !== m.nMels * m.nFrames) {
    throw new RangeError(`${what}: data has ${m.data.length} values, expected nMels·nFrames = ${m.nMels}·${m.nFrames}`);
  }
}

/** [min, max] of the finite values (NaN/±Inf ignored); [0, 1] when there are none. */
export function finiteExtent(data: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

function lutRgb(lut: Float32Array, t: number): [number, number, number] {
  const n = lut.length / 3;
  const i = Math.min(n - 1, Math.max(0, Math.floor(t * n)));
  return [Math.round(lut[3 * i] * 255), Math.round(lut[3 * i + 1] * 255), Math.round(lut[3 * i + 2] * 255)];
}

/** The matrix as RGB pixels, top row = highest band (image order), colours from `lut` over `domain`. */
export function spectrogramRgb(m: SpectrogramMatrix, domain: [number, number], colormap: ColormapName = "magma"): Uint8Array {
  checkMatrix(m, "spectrogramRgb");
  const lut = LUTS[colormap];
  const [lo, hi] = domain;
  const span = hi > lo ? hi - lo : 1;
  const out = new Uint8Array(m.nMels * m.nFrames * 3);
  for (let row = 0; row < m.nMels; row++) {
    const band = m.nMels - 1 - row;
    for (let t = 0; t < m.nFrames; t++) {
      const v = m.data[band * m.nFrames + t];
      const x = Number.isFinite(v) ? (v - lo) / span : 0;
      const rgb = lutRgb(lut, x < 0 ? 0 : x > 1 ? 1 : x);
      const o = (row * m.nFrames + t) * 3;
      out[o] = rgb[0];
      out[o + 1] = rgb[1];
      out[o + 2] = rgb[2];
    }
  }
  return out;
}

/**
 * |map| scaled to [0, 1] by its 99th percentile (values above it clipped to 1). A saliency map's peak is often
 * a few pixels (plain gradients, Integrated Gradients), so scaling by the peak leaves the rest near 0 and an
 * overlay invisible; the 99th percentile keeps the map's structure visible (librosa/matplotlib users clip the
 * same way with robust=True / vmax = a percentile).
 */
export function relativeSaliency(map: ArrayLike<number>, percentile = 0.99): Float32Array {
  const abs = Float32Array.from(map, (v) => (Number.isFinite(v) ? Math.abs(v) : 0));
  const sorted = Float32Array.from(abs).sort();
  let scale = sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(percentile * (sorted.length - 1)))] : 0;
  if (!(scale > 0)) scale = sorted.length ? sorted[sorted.length - 1] : 0;
  if (!(scale > 0)) return new Float32Array(abs.length);
  return abs.map((v) => Math.min(1, v / scale));
}

/**
 * A saliency map as RGBA pixels of one colour, alpha = maxAlpha · relativeSaliency (|value| over its 99th
 * percentile, clipped to 1): the salient regions are close to opaque whatever the map's peak.
 */
export function overlayRgba(m: SpectrogramMatrix, color: [number, number, number], maxAlpha: number): Uint8Array {
  checkMatrix(m, "overlay");
  const rel = relativeSaliency(m.data);
  const out = new Uint8Array(m.nMels * m.nFrames * 4);
  for (let row = 0; row < m.nMels; row++) {
    const band = m.nMels - 1 - row;
    for (let t = 0; t < m.nFrames; t++) {
      const x = rel[band * m.nFrames + t];
      const o = (row * m.nFrames + t) * 4;
      out[o] = color[0];
      out[o + 1] = color[1];
      out[o + 2] = color[2];
      out[o + 3] = Math.round(255 * maxAlpha * Math.min(1, Math.max(0, x)));
    }
  }
  return out;
}

/** Average groups of `factor` consecutive frames (the last group may be shorter): fewer image columns. */
export function binFrames(m: SpectrogramMatrix, factor: number): SpectrogramMatrix {
  if (factor <= 1) return m;
  const nFrames = Math.ceil(m.nFrames / factor);
  const data = new Float32Array(m.nMels * nFrames);
  for (let band = 0; band < m.nMels; band++) {
    for (let c = 0; c < nFrames; c++) {
      let sum = 0;
      let n = 0;
      for (let t = c * factor; t < Math.min(m.nFrames, (c + 1) * factor); t++) {
        const v = m.data[band * m.nFrames + t];
        if (Number.isFinite(v)) {
          sum += v;
          n++;
        }
      }
      data[band * nFrames + c] = n ? sum / n : NaN;
    }
  }
  return { data, nMels: m.nMels, nFrames };
}

/** Fixed-decimal number for SVG attributes (stable text across platforms). */
function num(x: number): string {
  const s = x.toFixed(2);
  return s === "-0.00" ? "0.00" : s;
}

/** librosa's mel-axis tick frequencies (0 and octaves of 512 Hz, plus 128/256 Hz) inside [fmin, fmax]. */
export function melAxisTicksHz(fmin: number, fmax: number): number[] {
  const candidates = fmax < 2048 ? [0, 128, 256, 512, 1024] : [0, 512, 1024, 2048, 4096, 8192, 16384];
  return candidates.filter((f) => f >= fmin && f <= fmax);
}


function svgImage(doc: Document, x: number, y: number, w: number, h: number, href: string): SVGElement {
  const image = doc.createElementNS("http://www.w3.org/2000/svg", "image") as SVGElement;
  image.setAttribute("x", num(x));
  image.setAttribute("y", num(y));
  image.setAttribute("width", num(w));
  image.setAttribute("height", num(h));
  image.setAttribute("preserveAspectRatio", "none");
  image.setAttribute("image-rendering", "optimizeSpeed");
  image.setAttribute("href", href);
  return image;
}

/** A colormap as a 1×128 PNG data URI, high values at the top (stretched into a colour bar). */
function colourBarPng(colormap: ColormapName): string {
  const n = 128;
  const px = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) px.set(lutRgb(LUTS[colormap], (n - 1 - i) / (n - 1)), i * 3);
  return pngDataUri(encodePng(px, 1, n, 3));
}

/** The colour bar right of the frame, into `g`: the stretched PNG, ticks over `domain`, `label` above it. */
function appendColourBar(
  g: SVGElement,
  doc: Document,
  dims: { width: number; height: number; marginTop: number; marginRight: number; marginBottom: number },
  domain: [number, number],
  label: string,
  barHref: string,
): void {
  const svgText = (x: number, y: number, content: string, dy?: string): SVGElement => {
    const text = doc.createElementNS("http://www.w3.org/2000/svg", "text") as SVGElement;
    text.setAttribute("x", num(x));
    text.setAttribute("y", num(y));
    if (dy) text.setAttribute("dy", dy);
    text.setAttribute("text-anchor", "start");
    text.setAttribute("font-size", "10");
    text.setAttribute("fill", "currentColor");
    text.textContent = content;
    return text;
  };
  const barX = dims.width - dims.marginRight + 14;
  const barW = 12;
  const barTop = dims.marginTop;
  const barBottom = dims.height - dims.marginBottom;
  g.appendChild(svgImage(doc, barX, barTop, barW, barBottom - barTop, barHref));
  const [lo, hi] = domain;
  const span = hi > lo ? hi - lo : 1;
  for (const tick of niceTicks(lo, hi, 5)) {
    const ty = barBottom - ((tick - lo) / span) * (barBottom - barTop);
    const line = doc.createElementNS("http://www.w3.org/2000/svg", "line");
    line.setAttribute("x1", num(barX + barW));
    line.setAttribute("x2", num(barX + barW + 4));
    line.setAttribute("y1", num(ty));
    line.setAttribute("y2", num(ty));
    line.setAttribute("stroke", "currentColor");
    g.appendChild(line);
    g.appendChild(svgText(barX + barW + 6, ty, String(Math.round(tick * 1000) / 1000), "0.32em"));
  }
  g.appendChild(svgText(barX, barTop - 2, label));
}

/** spectrogramFigure's inputs are well formed (the overlay the spectrogram's shape), or a RangeError says how not. */
function checkFigureInputs(spec: SpectrogramMatrix, options: SpectrogramFigureOptions): void {
  checkMatrix(spec, "spectrogramFigure");
  if (options.overlay) {
    checkMatrix(options.overlay, "spectrogramFigure overlay");
    if (options.overlay.nMels !== spec.nMels || options.overlay.nFrames !== spec.nFrames) {
      throw new RangeError(
        `spectrogramFigure: overlay is ${options.overlay.nMels}×${options.overlay.nFrames}, spectrogram ${spec.nMels}×${spec.nFrames}`,
      );
    }
  }
  if (!(options.sr > 0) || !(options.hopLength > 0)) throw new RangeError("spectrogramFigure: sr and hopLength must be > 0");
}

/** The data extents of a spectrogram's cells (time in s; y in mel, or Hz for a linear axis). */
function plotDomain(spec: SpectrogramMatrix, options: SpectrogramFigureOptions, linear: boolean, fmin: number, fmax: number, htk: boolean) {
  // Frame t is centred at t·hop/sr; band m is centred at the (m+1)-th of nMels+2 mel-spaced edges.
  const frameSeconds = options.hopLength / options.sr;
  const first = options.startFrame ?? 0;
  const x0 = (first - 0.5) * frameSeconds;
  const x1 = (first + spec.nFrames - 0.5) * frameSeconds;
  // Linear: bin k is centred at k · (sr/2) / (nBins − 1); its cell spans half a bin either side.
  const toY = (hz: number) => (linear ? hz : hzToMel(hz, htk));
  const melLo = toY(fmin);
  const melHi = toY(fmax);
  const melStep = (melHi - melLo) / (spec.nMels + 1);
  const binHz = spec.nMels > 1 ? fmax / (spec.nMels - 1) : fmax;
  const y0 = linear ? -0.5 * binHz : melLo + 0.5 * melStep;
  const y1 = linear ? fmax + 0.5 * binHz : melHi - 0.5 * melStep;
  return { x0, x1, y0, y1, melLo, melHi, toY };
}

/**
 * The spectrogram as an SVG string: PNG raster in a Plot frame, x = time (s), y = mel axis with Hz
 * labels, colour bar in `label` units on the right. `overlay` (same shape) draws a saliency map on top.
 */
export function spectrogramFigure(spec: SpectrogramMatrix, options: SpectrogramFigureOptions): string {
  checkFigureInputs(spec, options);
  const axes = options.axes ?? true;
  const bar = options.colourBar ?? axes;
  const linear = options.frequencyScale === "linear";
  const fmin = linear ? 0 : options.fmin ?? 0;
  const fmax = linear ? options.sr / 2 : options.fmax ?? options.sr / 2;
  const htk = options.htk ?? false;
  const colormap = options.colormap ?? "magma";
  const domain = options.domain ?? finiteExtent(spec.data);
  const label = options.label ?? "dB";
  const width = options.width ?? (axes ? 640 : 200);
  const height = options.height ?? (axes ? 320 : 140);
  const m = options.margins ?? {};
  const marginLeft = m.left ?? (axes ? 60 : 2);
  const marginRight = m.right ?? (bar ? 78 : axes ? 12 : 2);
  const marginTop = m.top ?? (options.title ? 26 : axes ? 12 : 2);
  const marginBottom = m.bottom ?? (axes ? 36 : 2);

  const { x0, x1, y0, y1, melLo, melHi, toY } = plotDomain(spec, options, linear, fmin, fmax, htk);

  const factor = Math.ceil(spec.nFrames / Math.max(1, options.maxColumns ?? 2 * width));
  const shown = binFrames(spec, factor);
  const specHref = pngDataUri(encodePng(spectrogramRgb(shown, domain, colormap), shown.nFrames, shown.nMels, 3));
  const overlayHref = options.overlay
    ? pngDataUri(encodePng(overlayRgba(binFrames(options.overlay, factor), options.overlayColor ?? [0, 229, 255], options.overlayAlpha ?? 0.7), shown.nFrames, shown.nMels, 4))
    : null;
  const barHref = colourBarPng(colormap);

  const rasterMark = (
    _index: number[],
    scales: { x?: (v: number) => number; y?: (v: number) => number },
    _values: unknown,
    dims: { width: number; height: number; marginTop: number; marginRight: number; marginBottom: number; marginLeft: number },
    context: { document: Document },
  ): SVGElement => {
    const doc = context.document;
    const g = doc.createElementNS("http://www.w3.org/2000/svg", "g") as SVGElement;
    g.setAttribute("aria-label", "spectrogram");
    const sx = scales.x!;
    const sy = scales.y!;
    const left = sx(x0);
    const right = sx(x1);
    const top = sy(y1);
    const bottom = sy(y0);
    g.appendChild(svgImage(doc, left, top, right - left, bottom - top, specHref));
    if (overlayHref) g.appendChild(svgImage(doc, left, top, right - left, bottom - top, overlayHref));
    if (bar) appendColourBar(g, doc, dims, domain, label, barHref);
    return g;
  };

  const ticksHz = linear ? niceTicks(0, fmax, 5) : melAxisTicksHz(fmin, fmax);
  const xLabel = options.xLabel === undefined ? "time (s)" : options.xLabel;
  const yLabel = options.yLabel === undefined ? (linear ? "frequency (Hz)" : "frequency (Hz, mel scale)") : options.yLabel;
  const marks: Plot.Markish[] = [rasterMark as unknown as Plot.Markish, Plot.frame({ stroke: "#888" })];
  if (options.title) {
    marks.push(Plot.text([options.title], { frameAnchor: "top-left", dy: -marginTop + 4, lineAnchor: "top", fontWeight: "bold", fontSize: 12 }));
  }
  return renderPlot({
    width,
    height,
    marginLeft,
    marginRight,
    marginTop,
    marginBottom,
    style: { fontFamily: "DejaVu Sans, sans-serif", fontSize: "10px", background: "white", color: "black" },
    x: { domain: [x0, x1], label: axes ? xLabel : null, axis: axes ? "bottom" : null, labelAnchor: "center", labelArrow: "none" },
    y: {
      domain: linear ? [y0, y1] : [melLo, melHi],
      axis: axes ? "left" : null,
      ticks: ticksHz.map(toY),
      tickFormat: (mel: number) => String(ticksHz.find((hz) => Math.abs(toY(hz) - mel) < 1e-9) ?? ""),
      label: axes ? yLabel : null,
      labelAnchor: "center",
      labelArrow: "none",
    },
    marks,
  });
}

/** A colormap as a function of a value over `domain` (for colourBarSvg). */
export function colormapScale(colormap: ColormapName, domain: [number, number]): (v: number) => string {
  const [lo, hi] = domain;
  const span = hi > lo ? hi - lo : 1;
  return (v: number) => {
    const [r, g, b] = lutRgb(LUTS[colormap], Math.min(1, Math.max(0, (v - lo) / span)));
    return `rgb(${r},${g},${b})`;
  };
}

/** Spectrogram grid panel margins: tick labels in Hz on the left, in seconds below, axis labels on the edges. */
const GRID_MARGINS = { left: 46, right: 8, top: 4, bottom: 30 };

/**
 * A grid of small spectrograms with a caption each (e.g. one example per genre), drawn like librosa's
 * specshow small multiples: every panel has its time (s) and frequency (Hz) ticks, the axis labels sit on the
 * outer panels, and one colour bar in `label` units (default dB) on the right covers the shared colour range.
 */
export function spectrogramGrid(
  panels: Array<{ caption: string; spec: SpectrogramMatrix; overlay?: SpectrogramMatrix }>,
  options: Omit<SpectrogramFigureOptions, "axes" | "overlay" | "title" | "colourBar" | "xLabel" | "yLabel" | "margins"> & {
    columns?: number;
    panelWidth?: number;
    panelHeight?: number;
    title?: string;
    /** The shared colour bar (default true). */
    colourBar?: boolean;
  },
): string {
  const columns = Math.max(1, Math.min(options.columns ?? 4, panels.length || 1));
  const iw = options.panelWidth ?? 180;
  const ih = options.panelHeight ?? 120;
  const pw = GRID_MARGINS.left + iw + GRID_MARGINS.right;
  const ph = GRID_MARGINS.top + ih + GRID_MARGINS.bottom;
  const captionH = 16;
  const gap = 8;
  const top = options.title ? 24 : 0;
  const rows = Math.ceil(panels.length / columns);
  const gridWidth = columns * pw + (columns - 1) * gap;
  const height = top + rows * (ph + captionH) + (rows - 1) * gap;
  // A shared colour range so panels compare (default: over every panel).
  let domain = options.domain;
  if (!domain) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of panels) {
      const [a, b] = finiteExtent(p.spec.data);
      lo = Math.min(lo, a);
      hi = Math.max(hi, b);
    }
    domain = lo <= hi ? [lo, hi] : [0, 1];
  }
  const colormap = options.colormap ?? "magma";
  const barTop = top + captionH + GRID_MARGINS.top;
  const barHeight = height - barTop - GRID_MARGINS.bottom;
  const barSvg =
    options.colourBar === false
      ? null
      : colourBarSvg({ colour: colormapScale(colormap, domain), domain, label: options.label ?? "dB", top: barTop, barHeight, height });
  const barWidth = barSvg ? Number(/width="([\d.]+)"/.exec(barSvg)![1]) + 6 : 0;
  const width = gridWidth + barWidth;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="DejaVu Sans, sans-serif" font-size="11">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  if (options.title) parts.push(`<text x="0" y="16" font-weight="bold" font-size="13">${escapeHtml(options.title)}</text>`);
  panels.forEach((p, i) => {
    const col = i % columns;
    const row = Math.floor(i / columns);
    const x = col * (pw + gap);
    const y = top + row * (ph + captionH + gap);
    const lastRow = row === rows - 1 || i + columns >= panels.length;
    const inner = spectrogramFigure(p.spec, {
      ...options,
      title: undefined,
      axes: true,
      colourBar: false,
      overlay: p.overlay,
      domain,
      width: pw,
      height: ph,
      margins: GRID_MARGINS,
      xLabel: lastRow ? "time (s)" : null,
      yLabel: col === 0 ? "Hz" : null,
    });
    parts.push(`<text x="${x + GRID_MARGINS.left}" y="${y + 12}">${escapeHtml(p.caption)}</text>`);
    parts.push(`<g transform="translate(${x},${y + captionH})">${inner.replace(/^<svg/, `<svg x="0" y="0"`)}</g>`);
  });
  if (barSvg) parts.push(barSvg.replace(/^<svg/, `<svg x="${gridWidth + 6}" y="0"`));
  parts.push(`</svg>`);
  return parts.join("\n");
}

/** Frames `start … start+frames` of a row-major nMels × nFrames spectrogram (for smaller pictures). */
export function cropSpectrogram(
  spec: { data: ArrayLike<number>; nMels: number; nFrames: number },
  start: number,
  frames: number,
): { data: Float32Array; nMels: number; nFrames: number } {
  const s = Math.max(0, Math.min(spec.nFrames - 1, Math.floor(start)));
  const n = Math.max(1, Math.min(spec.nFrames - s, Math.floor(frames)));
  const data = new Float32Array(spec.nMels * n);
  for (let m = 0; m < spec.nMels; m++) {
    for (let t = 0; t < n; t++) data[m * n + t] = spec.data[m * spec.nFrames + s + t];
  }
  return { data, nMels: spec.nMels, nFrames: n };
}
