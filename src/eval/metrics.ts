// Classification metrics on plain arrays (no tfjs): accuracy, top-k, per-class precision/recall/F1,
// confusion matrices and seeded bootstrap intervals. Conventions follow scikit-learn: rows of the
// confusion matrix are true classes, columns predicted; a class never predicted has precision 0
// (sklearn's zero_division=0), and F1 is 0 when precision + recall is 0.
import { Rng } from "../util/random";

/** Index of the largest value (first one on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** counts[t][p] = number of examples of true class t predicted as p. */
export function confusionMatrix(trueIdx: ArrayLike<number>, predIdx: ArrayLike<number>, numClasses: number): number[][] {
  if (trueIdx.length !== predIdx.length) {
    throw new Error(`confusionMatrix: ${trueIdx.length} true labels but ${predIdx.length} predictions`);
  }
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < trueIdx.length; i++) {
    const t = trueIdx[i];
    const p = predIdx[i];
    if (!(t >= 0 && t < numClasses) || !(p >= 0 && p < numClasses)) {
      throw new Error(`confusionMatrix: label out of range at ${i} (true ${t}, predicted ${p}, ${numClasses} classes)`);
    }
    m[t][p]++;
  }
  return m;
}

/** Each row divided by its sum (the recall view); rows with no examples stay all 0. */
export function normaliseConfusionRows(counts: number[][]): number[][] {
  return counts.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (total > 0 ? v / total : 0));
  });
}

export function accuracy(trueIdx: ArrayLike<number>, predIdx: ArrayLike<number>): number {
  if (trueIdx.length === 0) return NaN;
  let right = 0;
  for (let i = 0; i < trueIdx.length; i++) if (trueIdx[i] === predIdx[i]) right++;
  return right / trueIdx.length;
}

/**
 * Fraction of examples whose true class is among the k highest probabilities. Ties at the k-th
 * place count against the example (a class ranks above the true one if strictly more probable, or
 * equally probable with a smaller index), matching argmax for k = 1.
 */
export function topKAccuracy(trueIdx: ArrayLike<number>, probs: ArrayLike<number>[], k: number): number {
  if (trueIdx.length === 0) return NaN;
  let hits = 0;
  for (let i = 0; i < trueIdx.length; i++) {
    const row = probs[i];
    const t = trueIdx[i];
    let above = 0;
    for (let c = 0; c < row.length; c++) {
      if (row[c] > row[t] || (row[c] === row[t] && c < t)) above++;
    }
    if (above < k) hits++;
  }
  return hits / trueIdx.length;
}

export interface ClassScores {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Examples of this true class. */
  support: number;
  /** Examples predicted as this class. */
  predicted: number;
}

/** Per-class precision, recall, F1 and support from a confusion matrix. */
export function perClassScores(counts: number[][], labels: readonly string[]): ClassScores[] {
  const k = counts.length;
  return counts.map((row, c) => {
    const tp = row[c];
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let t = 0; t < k; t++) predicted += counts[t][c];
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label: labels[c] ?? String(c), precision, recall, f1, support, predicted };
  });
}

/** Unweighted mean over classes (sklearn's average="macro"); classes without support count too. */
export function macroAverage(scores: ClassScores[]): { precision: number; recall: number; f1: number } {
  const n = scores.length;
  const mean = (f: (s: ClassScores) => number) => (n ? scores.reduce((a, s) => a + f(s), 0) / n : NaN);
  return { precision: mean((s) => s.precision), recall: mean((s) => s.recall), f1: mean((s) => s.f1) };
}

export function macroF1(trueIdx: ArrayLike<number>, predIdx: ArrayLike<number>, numClasses: number): number {
  const labels = Array.from({ length: numClasses }, (_, i) => String(i));
  return macroAverage(perClassScores(confusionMatrix(trueIdx, predIdx, numClasses), labels)).f1;
}

export interface Interval {
  estimate: number;
  low: number;
  high: number;
  level: number;
  resamples: number;
}

export interface BootstrapOptions {
  resamples?: number;
  level?: number;
  seed?: number;
}

/**
 * Percentile bootstrap interval of `statistic` over n examples: resample n indices with replacement
 * `resamples` times (seeded), take the (1−level)/2 and (1+level)/2 quantiles of the statistic.
 */
export function bootstrapInterval(
  n: number,
  statistic: (indices: Int32Array) => number,
  opts: BootstrapOptions = {},
): Interval {
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const estimate = statistic(all);
  if (n === 0) return { estimate, low: NaN, high: NaN, level, resamples: 0 };
  const rng = new Rng(opts.seed ?? 0);
  const values = new Float64Array(resamples);
  const idx = new Int32Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rng.next() * n);
    values[r] = statistic(idx);
  }
  values.sort();
  return { estimate, low: quantileSorted(values, (1 - level) / 2), high: quantileSorted(values, (1 + level) / 2), level, resamples };
}

export interface ClassScoreIntervals {
  label: string;
  precision: [number, number];
  recall: [number, number];
  f1: [number, number];
}

/**
 * Percentile bootstrap intervals of each class's precision, recall and F1: `resamples` resamples of the n
 * examples (seeded, with replacement), the scores recomputed from each resample's confusion matrix.
 */
export function perClassIntervals(trueIdx: ArrayLike<number>, predIdx: ArrayLike<number>, classes: readonly string[], opts: BootstrapOptions = {}): ClassScoreIntervals[] {
  const n = trueIdx.length;
  if (predIdx.length !== n) throw new RangeError(`perClassIntervals: ${n} true labels but ${predIdx.length} predictions`);
  const k = classes.length;
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  const rng = new Rng(opts.seed ?? 0);
  const samples = { precision: classes.map(() => new Float64Array(resamples)), recall: classes.map(() => new Float64Array(resamples)), f1: classes.map(() => new Float64Array(resamples)) };
  const tp = new Int32Array(k);
  const support = new Int32Array(k);
  const predicted = new Int32Array(k);
  for (let r = 0; r < resamples; r++) {
    tp.fill(0);
    support.fill(0);
    predicted.fill(0);
    for (let i = 0; i < n; i++) {
      const j = Math.floor(rng.next() * n);
      const t = trueIdx[j];
      const p = predIdx[j];
      support[t]++;
      predicted[p]++;
      if (t === p) tp[t]++;
    }
    for (let c = 0; c < k; c++) {
      const precision = predicted[c] > 0 ? tp[c] / predicted[c] : 0;
      const recall = support[c] > 0 ? tp[c] / support[c] : 0;
      samples.precision[c][r] = precision;
      samples.recall[c][r] = recall;
      samples.f1[c][r] = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    }
  }
  const interval = (v: Float64Array): [number, number] => {
    if (n === 0) return [NaN, NaN];
    v.sort();
    return [quantileSorted(v, (1 - level) / 2), quantileSorted(v, (1 + level) / 2)];
  };
  return classes.map((label, c) => ({ label, precision: interval(samples.precision[c]), recall: interval(samples.recall[c]), f1: interval(samples.f1[c]) }));
}

/** Linear-interpolated quantile of sorted values (numpy's default method). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export interface ClassificationReport {
  n: number;
  classes: string[];
  accuracy: number;
  top2Accuracy: number;
  perClass: ClassScores[];
  macro: { precision: number; recall: number; f1: number };
  /** Rows true class, columns predicted class. */
  confusion: number[][];
  confusionNormalised: number[][];
  /** Mean cross-entropy −log p(true) (probabilities clipped at 1e-7). */
  logLoss: number;
  intervals: { accuracy: Interval; macroF1: Interval };
}

/** Everything above for one set of predictions: `probs[i]` are the class probabilities of example i. */
export function classificationReport(
  trueIdx: ArrayLike<number>,
  probs: ArrayLike<number>[],
  classes: readonly string[],
  bootstrap: BootstrapOptions = {},
): ClassificationReport {
  const k = classes.length;
  const n = trueIdx.length;
  const truth = Int32Array.from(trueIdx as ArrayLike<number>);
  const pred = Int32Array.from(probs.map((p) => argmax(p)));
  const confusion = confusionMatrix(truth, pred, k);
  const perClass = perClassScores(confusion, classes);
  let logLoss = 0;
  for (let i = 0; i < n; i++) logLoss -= Math.log(Math.max(1e-7, probs[i][truth[i]]));
  const pick = (src: Int32Array, idx: Int32Array) => {
    const out = new Int32Array(idx.length);
    for (let i = 0; i < idx.length; i++) out[i] = src[idx[i]];
    return out;
  };
  const accCi = bootstrapInterval(n, (idx) => accuracy(pick(truth, idx), pick(pred, idx)), bootstrap);
  const f1Ci = bootstrapInterval(n, (idx) => macroF1(pick(truth, idx), pick(pred, idx), k), bootstrap);
  return {
    n,
    classes: [...classes],
    accuracy: accuracy(truth, pred),
    top2Accuracy: topKAccuracy(truth, probs, 2),
    perClass,
    macro: macroAverage(perClass),
    confusion,
    confusionNormalised: normaliseConfusionRows(confusion),
    logLoss: n ? logLoss / n : NaN,
    intervals: { accuracy: accCi, macroF1: f1Ci },
  };
}
