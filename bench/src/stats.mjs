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

/** A seeded generator of uniform numbers in [0, 1) (mulberry32): the same draws on every run. */
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * How many repetitions an A/A comparison needs: the fewest R (6 to `maxReps`) for which the median of R
 * per-repetition ratios, drawn with replacement from the ones observed (`ratios`), lies within ±`tolerance` of 1 in
 * at least `confidence` of `draws` draws (a bootstrap; seeded, so the answer repeats; found by bisection, as more
 * repetitions only narrow the median). `undefined` when even `maxReps` is not enough, or with fewer than 6 observed
 * repetitions. The draws keep whatever offset the observed ratios have, so a method that favours one of two
 * identical processes needs more repetitions, or none suffices.
 */
export function repetitionsForTolerance(ratios, { tolerance = 0.02, confidence = 0.95, maxReps = 100, draws = 1000, seed = 1 } = {}) {
  if (ratios.length < 6) return undefined;
  const passes = (reps) => {
    const random = seededRandom(seed + reps);
    const drawn = new Array(reps);
    let within = 0;
    for (let draw = 0; draw < draws; draw++) {
      for (let index = 0; index < reps; index++) drawn[index] = ratios[Math.floor(random() * ratios.length)];
      if (Math.abs(median(drawn) - 1) <= tolerance) within++;
    }
    return within >= confidence * draws;
  };
  if (!passes(maxReps)) return undefined;
  let low = 6;
  let high = maxReps;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (passes(middle)) high = middle;
    else low = middle + 1;
  }
  return low;
}
