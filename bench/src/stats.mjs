// Medians and spreads: timing distributions on a shared machine are skewed by GC pauses and neighbours, so the
// median (not the mean) is the headline and min/max show how far repetitions wandered.

export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** { median, min, max, reps }: `reps` keeps every repetition's value so the JSON can be re-analysed. */
export function spreadOf(values) {
  const round = (value) => Number(value.toPrecision(5));
  return {
    median: round(median(values)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
    reps: values.map(round),
  };
}

/**
 * A distribution-free confidence interval for the median of `values` (order statistics: the median lies between the
 * k-th smallest and the k-th largest value with probability ≥ `level`, whatever the distribution, since each value
 * falls below it with probability ½). `undefined` with fewer than 6 values, where no such interval reaches 95 %.
 */
export function medianConfidenceInterval(values, level = 0.95) {
  const sorted = [...values].sort((left, right) => left - right);
  const count = sorted.length;
  // Grows P(Binomial(count, ½) ≤ index) while twice it stays within 1 − level: the last such index k gives the
  // interval [sorted[k], sorted[count − k − 1]] (0-based).
  let below = 0;
  let probability = 0.5 ** count;
  let k = -1;
  for (let index = 0; index < count; index++) {
    if (2 * (below + probability) > 1 - level) break;
    below += probability;
    probability = (probability * (count - index)) / (index + 1);
    k = index;
  }
  if (k < 0) return undefined;
  const round = (value) => Number(value.toPrecision(5));
  return { level, low: round(sorted[k]), high: round(sorted[count - k - 1]) };
}
