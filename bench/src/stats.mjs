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
