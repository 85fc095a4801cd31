// The seed's image input (matplotlib magma render → Pillow bilinear 224×224) against images made by
// matplotlib 3.6 + Pillow 9.4 from librosa's dB of the fixture clip crop, and the model input scaling.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { normalisedLogMel, renderSpectrogramRgb, resizeBilinearRgb, seedImage } from "../../src/features/image";
import { MAGMA_LUT, VIRIDIS_LUT, colormapIndex, magma, rgbToHex, viridis } from "../../src/features/colormap";
import { fixtureF32, fixtureIndex, fixtureU8 } from "../helpers/audio-reference";

function clipDb() {
  const { clip } = fixtureIndex();
  return { data: fixtureF32("clip_crop.logmel_db.f32"), nMels: 128, nFrames: clip.frames };
}

function diffStats(a: ArrayLike<number>, b: ArrayLike<number>): { mean: number; max: number; over8: number } {
  assert.equal(a.length, b.length);
  let sum = 0, max = 0, over8 = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d > max) max = d;
    if (d > 8) over8++;
  }
  return { mean: sum / a.length, max, over8: over8 / a.length };
}

test("magma/viridis tables are matplotlib's", () => {
  const ref = fixtureF32("magma.f32");
  assert.equal(MAGMA_LUT.length, 768);
  for (let i = 0; i < 768; i++) assert.ok(Math.abs(MAGMA_LUT[i] - ref[i]) < 1e-7, `magma[${i}]`);
  // matplotlib: to_hex(magma(0.5)) = #b73779, to_hex(viridis(0.25)) = #3b528b; ends of the maps.
  assert.equal(rgbToHex(magma(0.5)), "#b73779");
  assert.equal(rgbToHex(viridis(0.25)), "#3b528b");
  assert.equal(rgbToHex(viridis(0)), "#440154");
  assert.equal(rgbToHex(viridis(1)), "#fde725");
  assert.equal(VIRIDIS_LUT.length, 768);
  assert.deepEqual([colormapIndex(-1), colormapIndex(0), colormapIndex(0.999), colormapIndex(1), colormapIndex(NaN)], [0, 0, 255, 255, 0]);
});

test("775×308 magma render matches matplotlib's pcolormesh PNG", (t) => {
  const full = renderSpectrogramRgb(clipDb(), 775, 308);
  const s = diffStats(full, fixtureU8("clip_crop.seed_full.u8"));
  t.diagnostic(`render: mean |Δ| ${s.mean.toFixed(3)}, max ${s.max}, share > 8: ${(100 * s.over8).toFixed(2)}%`);
  assert.ok(s.mean < 1.5, `mean |Δ| ${s.mean}`);
  assert.ok(s.over8 < 0.02, `share of channels off by > 8: ${s.over8}`);
});

test("Pillow-compatible bilinear resize of the matplotlib PNG", (t) => {
  const small = resizeBilinearRgb(fixtureU8("clip_crop.seed_full.u8"), 775, 308, 224, 224);
  const s = diffStats(small, fixtureU8("clip_crop.seed_image.u8"));
  t.diagnostic(`resize: mean |Δ| ${s.mean.toFixed(3)}, max ${s.max}`);
  assert.ok(s.max <= 1, `max |Δ| ${s.max} (only ±1 rounding allowed)`);
});

test("seedImage: 224×224×3 in 0…255 close to the matplotlib + Pillow pipeline", (t) => {
  const img = seedImage(clipDb());
  assert.equal(img.data.length, 224 * 224 * 3);
  assert.equal(img.height, 224);
  let lo = Infinity, hi = -Infinity;
  for (const v of img.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  assert.ok(lo >= 0 && hi <= 255 && hi > 200, `range ${lo}…${hi}`);
  const s = diffStats(img.data, fixtureU8("clip_crop.seed_image.u8"));
  t.diagnostic(`seedImage: mean |Δ| ${s.mean.toFixed(3)}, max ${s.max}`);
  assert.ok(s.mean < 1.5, `mean |Δ| ${s.mean}`);
  // Low frequencies at the bottom: the bottom rows of a music clip are brighter than the top rows.
  const rowMean = (y: number) => { let a = 0; for (let i = y * 672; i < (y + 1) * 672; i++) a += img.data[i]; return a / 672; };
  assert.ok(rowMean(220) > rowMean(3), "bottom (low mels) should be brighter than top");
});

test("normalisedLogMel: (dB + 80) / 80 in [0, 1], optional band resampling", () => {
  const db = { data: new Float32Array([-80, -40, 0, -100, -20, -60]), nMels: 2, nFrames: 3 };
  const n = normalisedLogMel(db, { height: 2 });
  assert.deepEqual(Array.from(n.data), [0, 0.5, 1, 0, 0.75, 0.25]);
  assert.equal(n.width, 3);
  const real = normalisedLogMel(clipDb(), { height: 64 });
  assert.equal(real.height, 64);
  assert.equal(real.data.length, 64 * real.width);
  for (const v of real.data) assert.ok(v >= 0 && v <= 1 + 1e-6);
  // Shrinking 128 → 64 bands averages pairs of neighbours (triangle filter over 2 rows each side).
  const full = normalisedLogMel(clipDb());
  let rowA = 0, rowB = 0;
  for (let t = 0; t < full.width; t++) { rowA += full.data[t] + full.data[full.width + t]; rowB += real.data[t]; }
  assert.ok(Math.abs(rowA / 2 - rowB) / full.width < 0.05);
  assert.throws(() => normalisedLogMel(db, { height: 0 }), /height/);
});
