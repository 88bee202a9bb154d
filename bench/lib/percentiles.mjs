/**
 * Returns the median and the 99th percentile of `samples` (any unit), by the
 * nearest-rank method, or nulls when there are no samples.
 *
 * @param {ArrayLike<number>} samples
 * @returns {{ p50: number | null, p99: number | null }}
 */
export function percentiles(samples) {
  if (samples.length === 0) return { p50: null, p99: null };
  const sorted = Float64Array.from(samples).sort();
  const rank = (fraction) => sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)];
  return { p50: rank(0.5), p99: rank(0.99) };
}
