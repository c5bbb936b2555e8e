/** Medians and ranges of a scenario's figures over the bench's rounds (the machine is noisy). */

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** "median [min–max]" with `digits` decimals, or the value alone for a single round. */
export function medianWithRange(values: readonly number[], digits: number): string {
  const middle = median(values).toFixed(digits);
  if (values.length < 2) return middle;
  return `${middle} [${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}]`;
}
