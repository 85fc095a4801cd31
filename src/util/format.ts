// Number formatting for tables of differences (parity checks against reference values): tiny differences in
// exponent notation instead of a fixed-decimal 0.000, an exact match said as "exact", a value that was not
// compared as "—" (never NaN).

/** `x` for a table of differences: "exact" (0), "—" (NaN: not compared), else e.g. "3.2e-7". */
export function formatDifference(x: number, digits = 1): string {
  if (Number.isNaN(x)) return "—";
  if (x === 0) return "exact";
  if (!Number.isFinite(x)) return x > 0 ? "∞" : "-∞";
  return x.toExponential(digits);
}
