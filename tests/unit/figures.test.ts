// Figure snapshot tests (like Observable Plot's own): every report figure is rendered from small fixed data
// (tests/fixtures/figures/data.ts) and compared with the committed tests/snapshots/NAME.svg|html.
// Update after an intended change:  UPDATE_SNAPSHOTS=1 node scripts/run-tests.mjs figures
// Embedded PNGs are compared by their decoded pixels (zlib's compressed bytes may differ between zlib
// builds; the pixels may not). Plus structural checks that do not depend on snapshots.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { inflateSync } from "node:zlib";
import { createHash } from "node:crypto";
import { buildReportFigures, confusionMatrixSvg, saliencyMethodsFigure, composeSvgs, legendSvg, REPORT_FIGURE_NAMES, sweepComparisonFigure, sweepTableHtml } from "../../src/plots/figures";
import { crc32, encodePng } from "../../src/plots/png";
import { melAxisTicksHz, spectrogramFigure } from "../../src/plots/spectrogram";
import { MAGMA_LUT } from "../../src/features/colormap";
import { hzToMel } from "../../src/features/melspec";
import { figureFixtures, fakeSpectrogram } from "../fixtures/figures/data";
import { sweepGridFixture, sweepLineFixture } from "../fixtures/figures/sweep";

const SNAPSHOT_DIR = path.join(__dirname, "..", "snapshots");
const UPDATE = process.env.UPDATE_SNAPSHOTS === "1";

/** Decode one of our PNGs (8-bit, filter 0 on every row) back to its raw bytes and header. */
function decodePng(png: Uint8Array): { width: number; height: number; colourType: number; pixels: Uint8Array } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  assert.deepEqual(Array.from(png.slice(0, 8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
  let offset = 8;
  let width = 0;
  let height = 0;
  let colourType = 0;
  const idat: Uint8Array[] = [];
  while (offset < png.length) {
    const len = view.getUint32(offset);
    const type = String.fromCharCode(...png.slice(offset + 4, offset + 8));
    const crc = view.getUint32(offset + 8 + len);
    assert.equal(crc, crc32(png, offset + 4, offset + 8 + len), `CRC of ${type}`);
    if (type === "IHDR") {
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
      colourType = png[offset + 17];
    } else if (type === "IDAT") {
      idat.push(png.slice(offset + 8, offset + 8 + len));
    }
    offset += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const channels = { 0: 1, 4: 2, 2: 3, 6: 4 }[colourType as 0 | 2 | 4 | 6];
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (stride + 1)], 0, "filter byte");
    pixels.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, colourType, pixels };
}

/** Replace every embedded PNG by a hash of its decoded pixels (see the header comment). */
function normaliseImages(markup: string): string {
  return markup.replace(/data:image\/png;base64,([A-Za-z0-9+/=]+)/g, (_, b64: string) => {
    const { width, height, colourType, pixels } = decodePng(new Uint8Array(Buffer.from(b64, "base64")));
    return `png:${width}x${height}:${colourType}:${createHash("sha1").update(pixels).digest("hex")}`;
  });
}

/** Line, column and a little context of the first difference. */
function firstDifference(actual: string, expected: string): string {
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  const before = actual.slice(0, i);
  const line = before.split("\n").length;
  const column = i - before.lastIndexOf("\n");
  const show = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 40), i + 60));
  return `first difference at character ${i} (line ${line}, column ${column}):\n  actual:   ${show(actual)}\n  expected: ${show(expected)}`;
}

function checkSnapshot(name: string, content: string): void {
  const file = path.join(SNAPSHOT_DIR, name);
  if (UPDATE) {
    fs.mkdirSync(SNAPSHOT_DIR, { recursive: true });
    fs.writeFileSync(file, content);
    return;
  }
  if (!fs.existsSync(file)) {
    assert.fail(`missing snapshot tests/snapshots/${name}: create it with UPDATE_SNAPSHOTS=1 node scripts/run-tests.mjs figures`);
  }
  const expected = normaliseImages(fs.readFileSync(file, "utf8"));
  const actual = normaliseImages(content);
  if (actual !== expected) {
    assert.fail(`${name} differs from its snapshot — ${firstDifference(actual, expected)}\n(if intended: UPDATE_SNAPSHOTS=1 node scripts/run-tests.mjs figures)`);
  }
}

const { figures, problems } = buildReportFigures(figureFixtures());

test("every catalogue figure renders from the fixtures", () => {
  assert.deepEqual(problems, []);
  const expected = Object.values(REPORT_FIGURE_NAMES).flat().sort();
  assert.deepEqual(figures.map((f) => f.name).sort(), expected);
});

for (const figure of figures) {
  test(`snapshot: ${figure.name}`, () => {
    const ext = figure.kind === "svg" ? "svg" : "html";
    if (figure.kind === "svg") assert.match(figure.content, /^<svg /);
    checkSnapshot(`${figure.name}.${ext}`, figure.content.endsWith("\n") ? figure.content : figure.content + "\n");
  });
}

test("snapshot: saliency-methods (one clip, four overlays)", () => {
  const spec = fakeSpectrogram(5, 32, 40);
  const maps = ["gradient", "SmoothGrad", "Grad-CAM", "Integrated Gradients"].map((method, i) => ({
    method,
    map: Float32Array.from({ length: 32 * 40 }, (_, j) => Math.exp(-(((j % 40) - 10 * i - 5) ** 2) / 30) * (Math.floor(j / 40) < 16 ? 1 : -0.5)),
  }));
  const svg = saliencyMethodsFigure(spec, maps, { sr: 22050, hopLength: 512 });
  assert.equal(svg.match(/<image /g)?.length, 5, "the input spectrogram + the 4 maps side by side");
  assert.match(svg, />relative saliency</);
  assert.match(svg, />dB</);
  assert.equal(svg.match(/>time \(s\)</g)?.length, 5, "a time axis (s) under every panel");
  checkSnapshot("saliency-methods.svg", svg + "\n");
});

test("snapshot: sweep figures (2 options: heat maps; 1 option: dot plot) and the sweep table", () => {
  checkSnapshot("sweep-grid.svg", sweepComparisonFigure(sweepGridFixture()) + "\n");
  checkSnapshot("sweep-line.svg", sweepComparisonFigure(sweepLineFixture()) + "\n");
  checkSnapshot("sweep-grid-table.html", sweepTableHtml(sweepGridFixture()) + "\n");
});

test("rendering is deterministic (same data → same bytes)", () => {
  const again = buildReportFigures(figureFixtures()).figures;
  assert.equal(again.length, figures.length);
  again.forEach((f, i) => assert.equal(f.content, figures[i].content, f.name));
});

test("encodePng: standard CRC-32 check value; pixels survive a decode", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  const rgba = Uint8Array.from({ length: 5 * 3 * 4 }, (_, i) => (i * 37) % 256);
  const decoded = decodePng(encodePng(rgba, 5, 3, 4));
  assert.equal(decoded.width, 5);
  assert.equal(decoded.height, 3);
  assert.equal(decoded.colourType, 6);
  assert.deepEqual(Array.from(decoded.pixels), Array.from(rgba));
  assert.throws(() => encodePng(new Uint8Array(10), 2, 2, 3), /expected 12/);
});

test("spectrogramFigure: highest band in the top image row, magma colours over the domain, mel ticks in Hz", () => {
  const nMels = 4;
  const nFrames = 3;
  // Band m holds value m: the top image row must be the highest band (brightest).
  const data = Float32Array.from({ length: nMels * nFrames }, (_, i) => Math.floor(i / nFrames));
  const svg = spectrogramFigure({ data, nMels, nFrames }, { sr: 22050, hopLength: 512, domain: [0, 3] });
  const uri = svg.match(/href="data:image\/png;base64,([^"]+)"/);
  assert.ok(uri, "embedded PNG");
  const png = decodePng(new Uint8Array(Buffer.from(uri[1], "base64")));
  assert.equal(png.width, nFrames);
  assert.equal(png.height, nMels);
  const lut = (t: number) => {
    const i = Math.min(255, Math.floor(t * 256));
    return [0, 1, 2].map((c) => Math.round(MAGMA_LUT[3 * i + c] * 255));
  };
  assert.deepEqual(Array.from(png.pixels.slice(0, 3)), lut(1), "top-left pixel = highest band = top of the domain");
  assert.deepEqual(Array.from(png.pixels.slice(3 * nFrames * (nMels - 1), 3 * nFrames * (nMels - 1) + 3)), lut(0), "bottom row = lowest band");
  // y ticks: labelled in Hz, placed in mel order (higher Hz higher up = smaller y).
  const ticks = melAxisTicksHz(0, 11025);
  assert.deepEqual(ticks, [0, 512, 1024, 2048, 4096, 8192]);
  const group = svg.match(/<g aria-label="y-axis tick label"[^>]*>([\s\S]*?)<\/g>/);
  assert.ok(group, "y tick labels");
  const placed = [...group[1].matchAll(/translate\([\d.]+,([\d.]+)\)">(\d+)<\/text>/g)].map((m) => ({ y: Number(m[1]), hz: Number(m[2]) }));
  assert.deepEqual(placed.map((p) => p.hz), ticks);
  // Positions are linear in mel (not Hz): pixels per mel is the same for every tick.
  const y0 = placed[0].y;
  const perMel = placed.slice(1).map((p) => (y0 - p.y) / hzToMel(p.hz));
  for (const r of perMel) assert.ok(Math.abs(r - perMel[0]) < 1e-6 * perMel[0], `pixels per mel ${perMel.join(", ")}`);
  assert.ok(perMel[0] > 0, "higher frequencies higher up");
  assert.match(svg, /time \(s\)/);
  assert.match(svg, /frequency \(Hz, mel scale\)/);
});

test("spectrogramFigure rejects mismatched shapes; overlays are drawn as a second image", () => {
  const spec = fakeSpectrogram(1, 8, 10);
  assert.throws(() => spectrogramFigure({ ...spec, nFrames: 11 }, { sr: 22050, hopLength: 512 }), /data has 80 values/);
  assert.throws(
    () => spectrogramFigure(spec, { sr: 22050, hopLength: 512, overlay: fakeSpectrogram(2, 8, 5) }),
    /overlay is 8×5, spectrogram 8×10/,
  );
  const svg = spectrogramFigure(spec, { sr: 22050, hopLength: 512, overlay: fakeSpectrogram(2, 8, 10) });
  assert.equal(svg.match(/<image /g)?.length, 3, "spectrogram, overlay and colour bar");
});

test("confusion matrix: one cell and one count per pair; non-square input names the problem", () => {
  const svg = confusionMatrixSvg(["a", "b", "c"], [[5, 1, 0], [2, 7, 1], [0, 0, 9]]);
  const cells = svg.match(/<g aria-label="cell"[^>]*>([\s\S]*?)<\/g>/);
  assert.ok(cells);
  assert.equal(cells[1].match(/<rect /g)?.length, 9);
  for (const n of ["5", "7", "9"]) assert.match(svg, new RegExp(`>${n}</text>`));
  assert.throws(() => confusionMatrixSvg(["a", "b"], [[1, 2]]), /1 rows for 2 labels/);
});

test("a bad input skips only its own figure and says why", () => {
  const inputs = figureFixtures();
  inputs.evaluation!.confusion = [[1]];
  inputs.metrics = [];
  const { figures: drawn, problems: why } = buildReportFigures(inputs);
  assert.ok(why.some((p) => p.startsWith("confusion-matrix:") && /rows for 8 labels/.test(p)), why.join("\n"));
  assert.ok(why.some((p) => p.startsWith("training-curves:") && /no epochs/.test(p)), why.join("\n"));
  assert.ok(drawn.some((f) => f.name === "umap"));
  assert.ok(!drawn.some((f) => f.name === "confusion-matrix"));
});

test("legend rows wrap and compose keeps panel sizes", () => {
  const legend = legendSvg(Array.from({ length: 12 }, (_, i) => ({ label: `genre ${i}`, colour: "#000" })), 200);
  assert.ok(Number(legend.match(/height="(\d+)"/)![1]) > 18, "wrapped onto several lines");
  const a = `<svg width="100" height="50" viewBox="0 0 100 50"></svg>`;
  const both = composeSvgs([a, a], { direction: "row", gap: 10 });
  assert.match(both, /^<svg [^>]*width="210" height="50"/);
});
