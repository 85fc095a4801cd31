// Server-side Observable Plot rendering, figure files and PNG rasterisation.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Plot, dataFrameHtml, displayHtml, isTslabKernel, renderPlot, svgToPng, writeFigure } from "../../src/plots";

const counts = [
  { genre: "Rock", n: 12 },
  { genre: "Pop", n: 7 },
  { genre: "Folk", n: 3 },
  { genre: "Hip-Hop", n: 9 },
];

function barOptions(clip = false): Plot.PlotOptions {
  return { width: 320, height: 200, marks: [Plot.barY(counts, { x: "genre", y: "n", clip }), Plot.ruleY([0])] };
}

/** The `<rect>`s inside the group Plot labels "bar". */
function barRects(svg: string): string[] {
  const group = svg.match(/<g aria-label="bar"[^>]*>([\s\S]*?)<\/g>/);
  assert.ok(group, "no bar group in the SVG");
  return group[1].match(/<rect [^>]*>/g) ?? [];
}

test("renderPlot draws one bar per datum, heights proportional to the values", () => {
  const svg = renderPlot(barOptions());
  assert.match(svg, /^<svg [^>]*width="320"[^>]*height="200"/);
  const rects = barRects(svg);
  assert.equal(rects.length, counts.length);
  const heights = rects.map((r) => Number(r.match(/height="([\d.]+)"/)![1]));
  // Same y scale for every bar: height / value is constant.
  const ratios = heights.map((h, i) => h / counts[i].n);
  for (const r of ratios) assert.ok(Math.abs(r - ratios[0]) < 1e-9, `ratios ${ratios.join(", ")}`);
  assert.match(svg, />Hip-Hop</);
});

test("renderPlot is deterministic and rewrites Plot's counter ids", () => {
  const a = renderPlot(barOptions(true));
  const b = renderPlot(barOptions(true));
  assert.equal(a, b);
  assert.doesNotMatch(a, /plot-clip-\d/);
  const id = a.match(/<clipPath id="([^"]+)"/)?.[1];
  assert.ok(id && /^fig[0-9a-f]{10}-1$/.test(id), `clip id ${id}`);
  assert.ok(a.includes(`clip-path="url(#${id})"`), "the clip-path reference follows the renamed id");
  // A different figure gets a different id, so two figures on one page never collide.
  const other = renderPlot({ ...barOptions(true), height: 210 });
  assert.notEqual(other.match(/<clipPath id="([^"]+)"/)?.[1], id);
});

test("svgToPng gives a PNG of the SVG's size (or the requested width)", () => {
  const svg = renderPlot(barOptions());
  const png = svgToPng(svg);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  assert.equal(String.fromCharCode(...png.subarray(12, 16)), "IHDR");
  assert.deepEqual([view.getUint32(16), view.getUint32(20)], [320, 200]);
  const wide = svgToPng(svg, { width: 640 });
  const wideView = new DataView(wide.buffer, wide.byteOffset, wide.byteLength);
  assert.deepEqual([wideView.getUint32(16), wideView.getUint32(20)], [640, 400]);
  const double = svgToPng(svg, { scale: 2 });
  const doubleView = new DataView(double.buffer, double.byteOffset, double.byteLength);
  assert.deepEqual([doubleView.getUint32(16), doubleView.getUint32(20)], [640, 400]);
  assert.throws(() => svgToPng(svg, { scale: 0 }), /scale/);
});

test("writeFigure writes a standalone SVG (+ PNG) and HTML for titled figures", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmalab-fig-"));
  const written = writeFigure("genre-counts", renderPlot(barOptions()), { dir, png: true });
  assert.equal(written.path, path.join(dir, "genre-counts.svg"));
  const svg = fs.readFileSync(written.path, "utf8");
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const png = fs.readFileSync(written.pngPath!);
  assert.equal(png.subarray(1, 4).toString("latin1"), "PNG");
  // PNGs are written at 2× the SVG's size by default (320×200 → 640×400).
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [640, 400]);
  const titled = writeFigure("titled", renderPlot({ ...barOptions(), title: "Genres" }), { dir });
  assert.equal(path.extname(titled.path), ".html");
  assert.match(fs.readFileSync(titled.path, "utf8"), /<h2>Genres<\/h2>/);
  assert.throws(() => writeFigure("../escape", "<svg></svg>", { dir }), /bad figure name/);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp")), []);
});

test("displayHtml is a no-op outside a tslab kernel", () => {
  assert.equal(isTslabKernel(), false);
  assert.equal(displayHtml("<b>x</b>"), undefined);
});

test("dataFrameHtml escapes text, formats numbers and limits rows", () => {
  const html = dataFrameHtml(
    { columns: ["name", "x"], values: [["<Rock & Roll>", 1.23456], ["Pop", 2], ["Folk", null]] },
    { maxRows: 2, digits: 2 },
  );
  assert.match(html, /<td>&lt;Rock &amp; Roll&gt;<\/td><td style="text-align:right">1\.23<\/td>/);
  assert.match(html, /<td style="text-align:right">2<\/td>/);
  assert.doesNotMatch(html, /Folk/);
  assert.match(html, /… 1 more rows/);
  assert.equal((html.match(/<tr>/g) ?? []).length, 3); // header + 2 rows
});
