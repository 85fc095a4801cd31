// The sweep figure (sweepComparisonFigure) read back from its SVG: with two grid options, one heat-map cell
// per grid point in each panel (validation, test) holding that point's accuracy and interval at the right
// row and column; with one option, one dot per evaluated point in grid order; unfinished or missing points
// shown as missing with their status, never as 0. The snapshots are in figures.test.ts.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { sweepComparisonFigure, sweepTableHtml, type SweepFigureInput } from "../../src/plots/figures";
import { sweepGridFixture, sweepLineFixture } from "../fixtures/figures/sweep";

/** Every `<g aria-label="LABEL">…</g>` group's inner markup, in document order. */
function groups(svg: string, label: string): string[] {
  return [...svg.matchAll(new RegExp(`<g aria-label="${label}"[^>]*>([\\s\\S]*?)</g>`, "g"))].map((m) => m[1]);
}

/** The (x, y, lines) of each <text> of a text group. */
function texts(group: string): Array<{ x: number; y: number; lines: string[] }> {
  return [...group.matchAll(/<text[^>]*transform="translate\(([-\d.]+),([-\d.]+)\)"[^>]*>([\s\S]*?)<\/text>/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    lines: m[3].includes("<tspan") ? [...m[3].matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((t) => t[1]) : [m[3]],
  }));
}

/** Tick label text → its position along the axis ("x" or "y"). */
function ticks(group: string, axis: "x" | "y"): Map<number, string> {
  return new Map(texts(group).map((t) => [axis === "x" ? t.x : t.y, t.lines[0]]));
}

const pct = (v: number) => `${(100 * v).toFixed(1)} %`;

test("2 grid options: each panel has one cell per grid point, holding that point's accuracy at its row and column", () => {
  const input = sweepGridFixture();
  const svg = sweepComparisonFigure(input);
  assert.match(svg, /^<svg /);
  const [valX, testX] = groups(svg, "x-axis tick label").map((g) => ticks(g, "x"));
  const rows = ticks(groups(svg, "y-axis tick label")[0], "y");
  assert.deepEqual([...rows.values()], ["0.003", "0.001", "0.0003"], "rows: the first option, in the spec's order");
  assert.deepEqual([...valX.values()], ["0", "0.0001"], "columns: the second option, in the spec's order");
  // Per panel: drawn cells, missing cells, the best outline; drawn texts, missing texts, the panel title.
  const cells = groups(svg, "cell");
  assert.equal(cells.length, 6);
  const rects = (g: string) => g.match(/<rect /g)?.length ?? 0;
  assert.deepEqual(cells.map(rects), [4, 2, 1, 4, 2, 1], "4 evaluated + 2 missing cells per panel (6 grid points), one best outline each");
  const textGroups = groups(svg, "text").filter((g) => /<tspan/.test(g));
  assert.equal(textGroups.length, 4);
  const panels = [
    { name: "validation", x: valX, drawn: textGroups[0], missing: textGroups[1], acc: (p: SweepFigureInput["points"][number]) => p.val_acc },
    { name: "test", x: testX, drawn: textGroups[2], missing: textGroups[3], acc: (p: SweepFigureInput["points"][number]) => p.test_acc },
  ];
  const evaluated = input.points.filter((p) => p.status === "evaluated");
  for (const panel of panels) {
    const seen = texts(panel.drawn).map((t) => ({ lr: rows.get(t.y), wd: panel.x.get(t.x), text: t.lines[0] }));
    const expected = evaluated.map((p) => ({ lr: String(p.values.lr), wd: String(p.values.weightDecay), text: pct(panel.acc(p)!) }));
    assert.deepEqual(seen, expected, `${panel.name} panel: accuracy text at each point's row and column`);
    const missing = texts(panel.missing).map((t) => ({ lr: rows.get(t.y), wd: panel.x.get(t.x), lines: t.lines }));
    assert.deepEqual(missing, [
      { lr: "0.001", wd: "0.0001", lines: ["–", "incomplete"] },
      { lr: "0.0003", wd: "0.0001", lines: ["–", "not started"] },
    ]);
  }
  // The incomplete point's validation accuracy so far (30 %) is not drawn, nor a 0 for the missing ones.
  assert.doesNotMatch(svg, />30\.0 %</);
  assert.doesNotMatch(svg, />0\.0 %</);
  // The best point by validation accuracy (lr 0.001, weightDecay 0) is outlined in both panels: the outline
  // has the centre of that point's drawn cell (drawn cells are in grid order, like `evaluated`).
  const centres = (g: string) => [...g.matchAll(/<rect x="([\d.]+)" width="([\d.]+)" y="([\d.]+)" height="([\d.]+)"/g)].map((r) => `${Number(r[1]) + Number(r[2]) / 2},${Number(r[3]) + Number(r[4]) / 2}`);
  const bestIndex = evaluated.findIndex((p) => p.values.lr === 0.001 && p.values.weightDecay === 0);
  for (const [drawn, outline] of [[0, 2], [3, 5]]) {
    assert.deepEqual(centres(cells[outline]), [centres(cells[drawn])[bestIndex]], "outline on the best validation point");
  }
  // Colour bar with chance marked, axes labelled with units, the counts in the subtitle.
  assert.match(svg, />12\.5 chance</);
  assert.match(svg, />accuracy \(%\)</);
  assert.match(svg, />lr \(Adam step size\)</);
  assert.equal(svg.match(/>weightDecay \(decoupled, AdamW\)</g)?.length, 2, "the column option under both panels");
  assert.match(svg, /6 grid points, 4 evaluated/);
  assert.equal(sweepComparisonFigure(sweepGridFixture()), svg, "deterministic");
});

test("1 grid option: one dot per evaluated point in grid order, a real 0 drawn at 0, unfinished points named without a dot", () => {
  const input = sweepLineFixture();
  const svg = sweepComparisonFigure(input);
  const rows = ticks(groups(svg, "y-axis tick label")[0], "y");
  assert.deepEqual([...rows.values()], ["0.01", "0.003", "0.001", "0.0003"], "rows in grid order");
  const dots = groups(svg, "dot").map((g) => [...g.matchAll(/<circle cx="([-\d.]+)" cy="([-\d.]+)"/g)].map((m) => ({ cx: Number(m[1]), row: rows.get(Number(m[2])) })));
  assert.equal(dots.length, 2, "validation dots, test dots");
  const evaluated = input.points.filter((p) => p.status === "evaluated");
  for (const [i, field] of [[0, "val_acc"], [1, "test_acc"]] as const) {
    assert.deepEqual(dots[i].map((d) => d.row), evaluated.map((p) => String(p.values.lr)), `${field}: one dot per evaluated point`);
    // x is linear in accuracy over [0, 1]: recover the scale from two dots and check every other one.
    const acc = evaluated.map((p) => p[field]!);
    const scale = (dots[i][1].cx - dots[i][0].cx) / (acc[1] - acc[0]);
    const origin = dots[i][0].cx - scale * acc[0];
    dots[i].forEach((d, j) => assert.ok(Math.abs(d.cx - (origin + scale * acc[j])) < 0.6, `${field} dot ${j} at its accuracy`));
    if (field === "test_acc") assert.ok(Math.abs(dots[i][2].cx - origin) < 0.6, "the real 0 % test accuracy sits at 0");
  }
  const status = texts(groups(svg, "text").find((g) => /–\s\w/.test(g))!);
  assert.deepEqual(status.map((t) => [rows.get(t.y), t.lines[0]]), [["0.001", "– incomplete"]]);
  assert.match(svg, /val 50\.0 · test 43\.8\s+◀ best val/);
  assert.match(svg, />chance 12\.5 %</);
  assert.match(svg, />accuracy \(%\), 95% interval</);
  assert.match(svg, />lr \(Adam step size\)</);
});

test("3 grid options are a dot plot too (one labelled row per point); a point lacking a grid value is refused", () => {
  const input: SweepFigureInput = {
    name: "three",
    grid: { lr: [0.001], seed: [0, 1], batch: [16] },
    points: [{ values: { lr: 0.001, seed: 1, batch: 16 }, status: "evaluated", val_acc: 0.5, val_acc_low: 0.4, val_acc_high: 0.6, test_acc: 0.4, test_acc_low: 0.3, test_acc_high: 0.5 }],
  };
  const svg = sweepComparisonFigure(input);
  assert.deepEqual([...ticks(groups(svg, "y-axis tick label")[0], "y").values()], ["lr=0.001 seed=0 batch=16", "lr=0.001 seed=1 batch=16"]);
  assert.match(svg, /– not started/);
  assert.throws(() => sweepComparisonFigure({ ...input, points: [{ ...input.points[0], values: { lr: 0.001 } }] }), /lacks grid value\(s\) seed, batch/);
});

test("the sweep table: grid values as written (0.0003, not 0.000), intervals, the best point, missing ones as –", () => {
  const html = sweepTableHtml(sweepGridFixture());
  assert.match(html, />0\.0003</);
  assert.match(html, />0\.0001</);
  assert.doesNotMatch(html, />0\.000</);
  assert.match(html, />evaluated \(best val\)</);
  assert.match(html, />62\.5 \[50\.0–72\.5\]</);
  assert.equal(html.match(/>not started</g)?.length, 1);
  assert.equal(html.match(/>incomplete</g)?.length, 1);
});
