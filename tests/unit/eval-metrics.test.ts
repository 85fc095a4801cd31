// Classification metrics against numbers computed by hand (in the comments), and bootstrap intervals.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  accuracy,
  argmax,
  bootstrapInterval,
  classificationReport,
  confusionMatrix,
  macroAverage,
  normaliseConfusionRows,
  perClassScores,
  quantileSorted,
  topKAccuracy,
} from "../../src/eval/metrics";
import { Rng } from "../../src/util/random";

// 10 examples, 3 classes (A=0, B=1, C=2).
//   i:     0 1 2 3 4 5 6 7 8 9
//   true:  0 0 0 0 1 1 1 2 2 2
//   pred:  0 0 1 2 1 1 0 2 2 1
const TRUE = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
const PRED = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1];
const LABELS = ["A", "B", "C"];
const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test("confusion matrix and its row normalisation, counted by hand", () => {
  // Row A: true A predicted A twice (0, 1), B once (2), C once (3) → [2, 1, 1]
  // Row B: 4, 5 → B; 6 → A → [1, 2, 0]
  // Row C: 7, 8 → C; 9 → B → [0, 1, 2]
  const m = confusionMatrix(TRUE, PRED, 3);
  assert.deepEqual(m, [
    [2, 1, 1],
    [1, 2, 0],
    [0, 1, 2],
  ]);
  assert.deepEqual(normaliseConfusionRows(m), [
    [0.5, 0.25, 0.25],
    [1 / 3, 2 / 3, 0],
    [0, 1 / 3, 2 / 3],
  ]);
  assert.throws(() => confusionMatrix([0, 3], [0, 0], 3), /out of range/);
});

test("accuracy, per-class precision/recall/F1 and macro averages, computed by hand", () => {
  // Correct: 0, 1, 4, 5, 7, 8 → 6 / 10.
  assert.equal(accuracy(TRUE, PRED), 0.6);
  const s = perClassScores(confusionMatrix(TRUE, PRED, 3), LABELS);
  // A: TP 2, predicted A = 2 + 1 + 0 = 3 → P = 2/3; support 4 → R = 1/2; F1 = 2·(2/3)(1/2)/(2/3 + 1/2) = (2/3)/(7/6) = 4/7
  close(s[0].precision, 2 / 3);
  close(s[0].recall, 1 / 2);
  close(s[0].f1, 4 / 7);
  assert.equal(s[0].support, 4);
  assert.equal(s[0].predicted, 3);
  // B: TP 2, predicted B = 1 + 2 + 1 = 4 → P = 1/2; support 3 → R = 2/3; F1 = 2·(1/2)(2/3)/(1/2 + 2/3) = (2/3)/(7/6) = 4/7
  close(s[1].precision, 1 / 2);
  close(s[1].recall, 2 / 3);
  close(s[1].f1, 4 / 7);
  // C: TP 2, predicted C = 1 + 0 + 2 = 3 → P = 2/3; support 3 → R = 2/3; F1 = 2/3
  close(s[2].precision, 2 / 3);
  close(s[2].recall, 2 / 3);
  close(s[2].f1, 2 / 3);
  const macro = macroAverage(s);
  // P: (2/3 + 1/2 + 2/3) / 3 = (11/6)/3 = 11/18; R: (1/2 + 2/3 + 2/3)/3 = (11/6)/3 = 11/18
  // F1: (4/7 + 4/7 + 2/3)/3 = (24/21 + 14/21)/3 = (38/21)/3 = 38/63
  close(macro.precision, 11 / 18);
  close(macro.recall, 11 / 18);
  close(macro.f1, 38 / 63);
});

test("a class never predicted has precision 0 and F1 0 (sklearn zero_division=0)", () => {
  // true [0, 1, 1], pred [0, 0, 0]: class 1 never predicted → P 0, R 0, F1 0.
  // class 0: TP 1, predicted 3 → P 1/3, R 1, F1 = 2·(1/3)/(4/3) = 1/2.
  const s = perClassScores(confusionMatrix([0, 1, 1], [0, 0, 0], 2), ["x", "y"]);
  assert.deepEqual([s[1].precision, s[1].recall, s[1].f1], [0, 0, 0]);
  close(s[0].precision, 1 / 3);
  close(s[0].f1, 1 / 2);
});

test("top-k accuracy and argmax ties", () => {
  const probs = [
    [0.5, 0.3, 0.2], // true 1: second → top-1 miss, top-2 hit
    [0.1, 0.2, 0.7], // true 0: third → miss both
    [0.2, 0.6, 0.2], // true 1: first → hit both
    [0.4, 0.4, 0.2], // true 1: tie with class 0 (smaller index ranks first) → top-1 miss, top-2 hit
  ];
  const truth = [1, 0, 1, 1];
  assert.equal(topKAccuracy(truth, probs, 1), 1 / 4);
  assert.equal(topKAccuracy(truth, probs, 2), 3 / 4);
  assert.equal(topKAccuracy(truth, probs, 3), 1);
  assert.equal(argmax([0.4, 0.4, 0.2]), 0);
  // top-1 agrees with argmax accuracy.
  assert.equal(topKAccuracy(truth, probs, 1), accuracy(truth, probs.map(argmax)));
});

test("classificationReport: log loss by hand, intervals contain the estimate", () => {
  // probs of the true class: 0.5, 0.25 → log loss = −(ln 0.5 + ln 0.25)/2 = (ln 2 + 2 ln 2)/2 = 1.5 ln 2
  const r = classificationReport([0, 1], [[0.5, 0.5], [0.75, 0.25]], ["a", "b"], { resamples: 200, seed: 1 });
  close(r.logLoss, 1.5 * Math.log(2), 1e-12);
  assert.equal(r.accuracy, 0.5); // argmax of [0.5, 0.5] is 0 (correct), of [0.75, 0.25] is 0 (wrong)
  assert.equal(r.n, 2);
  for (const ci of [r.intervals.accuracy, r.intervals.macroF1]) assert.ok(ci.low <= ci.estimate && ci.estimate <= ci.high);
});

test("quantiles interpolate like numpy", () => {
  // numpy.quantile([1, 2, 3, 4], 0.25) = 1.75; 0.5 → 2.5
  assert.equal(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
});

test("bootstrap: seeded, contains the point estimate, narrows with n", () => {
  const rng = new Rng(11);
  const make = (n: number) => {
    const truth: number[] = [];
    const pred: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = rng.int(0, 3);
      truth.push(t);
      pred.push(rng.next() < 0.7 ? t : (t + 1) % 4);
    }
    return { truth, pred };
  };
  const widths: number[] = [];
  for (const n of [50, 200, 2000]) {
    const { truth, pred } = make(n);
    const stat = (idx: Int32Array) => {
      let right = 0;
      for (const i of idx) if (truth[i] === pred[i]) right++;
      return right / idx.length;
    };
    const ci = bootstrapInterval(n, stat, { resamples: 1000, seed: 5 });
    assert.equal(ci.estimate, accuracy(truth, pred));
    assert.ok(ci.low < ci.estimate && ci.estimate < ci.high, `n=${n}: ${ci.low} ${ci.estimate} ${ci.high}`);
    // Roughly the normal-approximation width 2·1.96·sqrt(p(1−p)/n) (within a factor of 1.5).
    const p = ci.estimate;
    const normalWidth = 2 * 1.96 * Math.sqrt((p * (1 - p)) / n);
    assert.ok(ci.high - ci.low > normalWidth / 1.5 && ci.high - ci.low < normalWidth * 1.5, `n=${n}: width ${ci.high - ci.low} vs ${normalWidth}`);
    assert.deepEqual(bootstrapInterval(n, stat, { resamples: 1000, seed: 5 }), ci, "same seed, same interval");
    widths.push(ci.high - ci.low);
  }
  assert.ok(widths[0] > widths[1] && widths[1] > widths[2], `widths ${widths}`);
});
