// Observable Plot rendered on the server: Plot draws into a jsdom document and we keep the markup, so the
// same figure shows in a notebook (tslab display.html), in the HTML report, and as figures/NAME.svg.
import * as Plot from "@observablehq/plot";
import { JSDOM } from "jsdom";
import { createHash } from "node:crypto";

let sharedDocument: Document | null = null;

/** One jsdom document reused for every figure (creating a JSDOM costs tens of milliseconds). */
function plotDocument(): Document {
  if (!sharedDocument) sharedDocument = new JSDOM("<!DOCTYPE html><html><body></body></html>").window.document;
  return sharedDocument;
}

/**
 * Render `Plot.plot(options)` to markup: an `<svg>` string, or a `<figure>` (HTML) when the options ask for
 * a title, subtitle, caption or legend. Deterministic: Plot numbers clip-path/marker ids with a process-wide
 * counter, so the ids are rewritten to `fig<hash>-<n>` from the figure's own content: the same figure
 * always gives the same string, and two different figures on one HTML page never share an id.
 */
export function renderPlot(options: Plot.PlotOptions): string {
  const node = Plot.plot({ ...options, document: plotDocument() }) as unknown as Element;
  return stablePlotIds(node.outerHTML);
}

/** Rewrite Plot's counter ids (`plot-clip-3`, `plot-marker-1`, ...) to content-derived ones. */
export function stablePlotIds(markup: string): string {
  const idPattern = /\bid="(plot-[a-z]+-\d+)"/g;
  const ids: string[] = [];
  for (const match of markup.matchAll(idPattern)) if (!ids.includes(match[1])) ids.push(match[1]);
  if (ids.length === 0) return markup;
  const placeholder = (i: number) => `\u0000${i}\u0000`;
  let normalised = markup;
  ids.forEach((id, i) => {
    normalised = normalised.split(`"${id}"`).join(`"${placeholder(i)}"`).split(`#${id})`).join(`#${placeholder(i)})`);
  });
  const prefix = "fig" + createHash("sha1").update(normalised).digest("hex").slice(0, 10);
  let out = normalised;
  ids.forEach((_, i) => {
    out = out.split(placeholder(i)).join(`${prefix}-${i + 1}`);
  });
  return out;
}

/**
 * The standalone-file form of Plot's `<svg>`: adds the SVG namespace (jsdom's outerHTML omits it, and
 * files, browsers opening .svg directly and resvg need it). Throws for a `<figure>` (HTML, not SVG).
 */
export function toStandaloneSvg(markup: string): string {
  const trimmed = markup.trimStart();
  if (!trimmed.startsWith("<svg")) {
    throw new Error("toStandaloneSvg: expected an <svg> (a figure with a title/legend is HTML; render it without them, or write it as .html)");
  }
  const withNs = /^<svg[^>]*\sxmlns=/.test(trimmed) ? trimmed : trimmed.replace(/^<svg/, '<svg xmlns="http://www.w3.org/2000/svg"');
  return withNs.endsWith("\n") ? withNs : withNs + "\n";
}

export { Plot };
