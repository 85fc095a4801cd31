// Small, dependency-free statistics for the analyses: chi-square tests (with the regularised
// incomplete gamma function for p-values), a seeded permutation test, and effect sizes.
import { Rng } from "../util/random";

/** ln Γ(x) (Lanczos, g = 7, n = 9; |error| < 1e-13 for x > 0). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a) (series below a+1, continued fraction above). */
export function gammaQ(a: number, x: number): number {
  if (x < 0 || a <= 0) throw new Error(`gammaQ(${a}, ${x}): need a > 0 and x ≥ 0`);
  if (x === 0) return 1;
  const lnPre = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(lnPre);
  }
  // Lentz's continued fraction for Γ(a, x).
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(lnPre) * h;
}

/** P(X ≥ x) for X ~ χ²(df). */
export function chiSquareSurvival(x: number, df: number): number {
  if (x <= 0) return 1;
  return gammaQ(df / 2, x / 2);
}

export interface ChiSquareResult {
  statistic: number;
  df: number;
  pValue: number;
  /** Cramér's V (φ for a 2×2 table). */
  cramersV: number;
  /** Smallest expected count: below 5 the χ² approximation is doubtful (prefer the permutation test). */
  minExpected: number;
}

/** Pearson's χ² test of independence on a contingency table (rows × columns of counts). */
export function chiSquareIndependence(table: number[][]): ChiSquareResult {
  const rows = table.length;
  const cols = rows > 0 ? table[0].length : 0;
  const rowSums = table.map((r) => r.reduce((a, b) => a + b, 0));
  const colSums = Array.from({ length: cols }, (_, j) => table.reduce((a, r) => a + r[j], 0));
  const total = rowSums.reduce((a, b) => a + b, 0);
  // Rows or columns that are all zero carry no information: drop them from the degrees of freedom.
  const liveRows = rowSums.filter((s) => s > 0).length;
  const liveCols = colSums.filter((s) => s > 0).length;
  let stat = 0;
  let minExpected = Infinity;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (rowSums[i] === 0 || colSums[j] === 0) continue;
      const e = (rowSums[i] * colSums[j]) / total;
      minExpected = Math.min(minExpected, e);
      stat += ((table[i][j] - e) ** 2) / e;
    }
  }
  const df = Math.max(0, (liveRows - 1) * (liveCols - 1));
  const k = Math.min(liveRows, liveCols);
  return {
    statistic: stat,
    df,
    pValue: df > 0 ? chiSquareSurvival(stat, df) : 1,
    cramersV: total > 0 && k > 1 ? Math.sqrt(stat / (total * (k - 1))) : 0,
    minExpected: Number.isFinite(minExpected) ? minExpected : 0,
  };
}

/**
 * Two-sided permutation test for a difference in proportions between two groups of 0/1 outcomes:
 * p = (1 + #{|Δ_perm| ≥ |Δ_obs|}) / (1 + permutations).
 */
export function permutationTestProportions(
  groupA: ArrayLike<number>,
  groupB: ArrayLike<number>,
  opts: { permutations?: number; seed?: number } = {},
): { difference: number; pValue: number; permutations: number } {
  const permutations = opts.permutations ?? 10000;
  const all = Int8Array.from([...Array.from(groupA), ...Array.from(groupB)]);
  const nA = groupA.length;
  const nB = groupB.length;
  if (nA === 0 || nB === 0) return { difference: NaN, pValue: 1, permutations: 0 };
  const total = all.reduce((a, b) => a + b, 0);
  const sumA = Array.from(groupA).reduce((a, b) => a + b, 0);
  const observed = sumA / nA - (total - sumA) / nB;
  const rng = new Rng(opts.seed ?? 12345);
  let extreme = 0;
  for (let p = 0; p < permutations; p++) {
    // Partial Fisher–Yates: only the first nA positions need drawing.
    let s = 0;
    for (let i = 0; i < nA; i++) {
      const j = i + Math.floor(rng.next() * (all.length - i));
      const t = all[i];
      all[i] = all[j];
      all[j] = t;
      s += all[i];
    }
    const diff = s / nA - (total - s) / nB;
    if (Math.abs(diff) >= Math.abs(observed) - 1e-12) extreme++;
  }
  return { difference: observed, pValue: (1 + extreme) / (1 + permutations), permutations };
}

/** Odds ratio with Haldane's +0.5 correction when a cell is zero. [[a, b], [c, d]]. */
export function oddsRatio(a: number, b: number, c: number, d: number): number {
  if (a === 0 || b === 0 || c === 0 || d === 0) {
    a += 0.5;
    b += 0.5;
    c += 0.5;
    d += 0.5;
  }
  return (a * d) / (b * c);
}
