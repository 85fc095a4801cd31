// The 7 FMA statistics against values worked out by hand from their definitions (numpy/scipy defaults).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { STATISTICS, featureColumnName, summariseRows, summaryStatistics } from "../../src/features/stats";

function close(actual: number, expected: number, tol = 1e-12, what = ""): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);
}

test("statistics of [1, 2, 3, 10] match the hand computation", () => {
  // mean 4; deviations −3 −2 −1 6; m2 = (9+4+1+36)/4 = 12.5; m3 = (−27−8−1+216)/4 = 45;
  // m4 = (81+16+1+1296)/4 = 348.5.
  const s = summaryStatistics([1, 2, 3, 10]);
  close(s.mean, 4, 1e-15, "mean");
  close(s.std, Math.sqrt(12.5), 1e-15, "std (ddof 0)");
  close(s.skew, 45 / Math.pow(12.5, 1.5), 1e-14, "skew (biased)"); // 1.01823376490863…
  close(s.skew, 1.0182337649086284, 1e-12, "skew literal");
  close(s.kurtosis, 348.5 / (12.5 * 12.5) - 3, 1e-14, "kurtosis (Fisher, biased)"); // −0.7696
  close(s.kurtosis, -0.7696, 1e-12, "kurtosis literal");
  assert.equal(s.median, 2.5);
  assert.equal(s.min, 1);
  assert.equal(s.max, 10);
});

test("odd count median, negative skew, strided column access", () => {
  // [5, 4, 4, 0, 2]: mean 3; deviations 2 1 1 −3 −1; m2 = 16/5; m3 = (8+1+1−27−1)/5 = −18/5;
  // m4 = (16+1+1+81+1)/5 = 20.
  const s = summaryStatistics([5, 4, 4, 0, 2]);
  close(s.skew, (-18 / 5) / Math.pow(16 / 5, 1.5), 1e-14, "skew");
  close(s.kurtosis, 20 / ((16 / 5) * (16 / 5)) - 3, 1e-14, "kurtosis");
  assert.equal(s.median, 4);
  // The same values as column 1 of a 5 × 3 row-major matrix.
  const m = [9, 5, 9, 9, 4, 9, 9, 4, 9, 9, 0, 9, 9, 2, 9];
  const col = summaryStatistics(m, 1, 5, 3);
  for (const k of STATISTICS) close(col[k], s[k], 1e-15, k);
});

test("constant input: std 0, skew and kurtosis NaN like scipy", () => {
  const s = summaryStatistics([0.25, 0.25, 0.25]);
  assert.equal(s.std, 0);
  assert.ok(Number.isNaN(s.skew));
  assert.ok(Number.isNaN(s.kurtosis));
  assert.equal(s.median, 0.25);
});

test("summariseRows lays out [statistic][row] and names columns like features.csv", () => {
  const rows = new Float32Array([1, 2, 3, 10, 5, 4, 4, 0]); // 2 rows × 4 frames
  const out = summariseRows(rows, 2, 4);
  assert.equal(out.length, 14);
  assert.equal(out[0], 4); // mean row 0
  assert.equal(out[1], 13 / 4); // mean row 1
  assert.equal(out[2 * 4 + 1], 4); // median row 1: (4 + 4) / 2
  assert.equal(out[2 * 5 + 0], 1); // min row 0
  assert.equal(out[2 * 6 + 1], 5); // max row 1
  assert.equal(featureColumnName("mfcc", "mean", 0), "mfcc/mean/01");
  assert.equal(featureColumnName("chroma", "kurtosis", 11), "chroma/kurtosis/12");
});
