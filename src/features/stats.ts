// The seven per-dimension summary statistics of FMA's features.py (`feature_stats`): every frame-level
// feature (an nDims × nFrames matrix) becomes 7·nDims numbers per clip. Definitions follow numpy/scipy
// defaults exactly, as FMA computed them:
//   mean, std (population: ddof 0, numpy's default), skew (scipy.stats.skew, bias=True:
//   m3 / m2^1.5), kurtosis (scipy.stats.kurtosis: Fisher (−3), bias=True: m4 / m2² − 3),
//   median (average of the two middle values for an even count), min, max.
// For (near-)constant input scipy returns NaN for skew and kurtosis (m2 ≤ (ε·mean)²); so do we.
// Everything is accumulated in float64.

export const STATISTICS = ["mean", "std", "skew", "kurtosis", "median", "min", "max"] as const;
export type StatisticName = (typeof STATISTICS)[number];

export type SummaryStatistics = Record<StatisticName, number>;

const FLOAT64_EPS = 2.220446049250313e-16;

/**
 * The 7 statistics of `length` values read from `values` at `offset`, `offset + stride`, …
 * (stride 1: a contiguous run; stride nFrames: a column of a row-major matrix). `scratch`, if given
 * (length ≥ `length`), avoids an allocation for the median's sort.
 */
export function summaryStatistics(
  values: ArrayLike<number>,
  offset = 0,
  length = values.length - offset,
  stride = 1,
  scratch?: Float64Array,
): SummaryStatistics {
  if (length <= 0) {
    return { mean: NaN, std: NaN, skew: NaN, kurtosis: NaN, median: NaN, min: NaN, max: NaN };
  }
  const sorted = scratch && scratch.length >= length ? scratch.subarray(0, length) : new Float64Array(length);
  let sum = 0;
  for (let i = 0, j = offset; i < length; i++, j += stride) {
    const v = values[j];
    sorted[i] = v;
    sum += v;
  }
  const mean = sum / length;
  // Central moments about the mean (two-pass, as numpy does, for accuracy).
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < length; i++) {
    const d = sorted[i] - mean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= length;
  m3 /= length;
  m4 /= length;
  const constant = m2 <= (FLOAT64_EPS * mean) * (FLOAT64_EPS * mean);
  sorted.sort();
  const mid = length >> 1;
  const median = length % 2 === 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
  return {
    mean,
    std: Math.sqrt(m2),
    skew: constant ? NaN : m3 / Math.pow(m2, 1.5),
    kurtosis: constant ? NaN : m4 / (m2 * m2) - 3,
    median,
    min: sorted[0],
    max: sorted[length - 1],
  };
}

/**
 * Statistics of each row of a row-major nRows × nCols matrix (one row = one feature dimension over
 * frames). Result: Float64Array of 7 × nRows laid out statistic-major, [stat][row], in STATISTICS
 * order — the column order of FMA's features.csv within one feature.
 */
export function summariseRows(matrix: ArrayLike<number>, nRows: number, nCols: number): Float64Array {
  if (matrix.length < nRows * nCols) {
    throw new RangeError(`summariseRows: matrix has ${matrix.length} values, need ${nRows}×${nCols}`);
  }
  const out = new Float64Array(STATISTICS.length * nRows);
  const scratch = new Float64Array(nCols);
  for (let r = 0; r < nRows; r++) {
    const s = summaryStatistics(matrix, r * nCols, nCols, 1, scratch);
    for (let k = 0; k < STATISTICS.length; k++) out[k * nRows + r] = s[STATISTICS[k]];
  }
  return out;
}

/** FMA's features.csv column name: feature/statistic/NN (NN = 1-based dimension, 2 digits). */
export function featureColumnName(feature: string, statistic: StatisticName, dimension: number): string {
  return `${feature}/${statistic}/${String(dimension + 1).padStart(2, "0")}`;
}
