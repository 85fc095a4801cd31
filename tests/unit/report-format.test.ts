// Small formatting helpers of the report and notebooks: the one-line backend, differences in a parity table.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { backendSummary } from "../../src/study/report";
import { formatDifference } from "../../src/util/format";

test("backendSummary: one short line naming the engine; the BLAS build string and the note only in the details", () => {
  const b = backendSummary({ engine: "wasm + OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64, 2 BLAS threads", note: "wasm runs single-threaded in Node: tfjs issue #3830 …" });
  assert.equal(b.line, "backend: wasm + OpenBLAS 0.3.21, 2 BLAS threads");
  assert.doesNotMatch(b.line, /issue/);
  assert.match(b.detailsHtml, /^<details><summary>backend: wasm \+ OpenBLAS 0\.3\.21, 2 BLAS threads \(details\)<\/summary>/);
  assert.match(b.detailsHtml, /MAX_THREADS=64.*tfjs issue #3830/);
  assert.equal(backendSummary({ engine: "cpu (pure JS, 1 thread)", note: "" }).line, "backend: cpu (pure JS, 1 thread)");
});

test("formatDifference: exponent notation, 'exact' for 0, '—' for not compared (never 0.000 or NaN)", () => {
  assert.equal(formatDifference(1.94e-7), "1.9e-7");
  assert.equal(formatDifference(7.63e-6, 2), "7.63e-6");
  assert.equal(formatDifference(0), "exact");
  assert.equal(formatDifference(NaN), "—");
  assert.equal(formatDifference(0.25), "2.5e-1");
});
