// Binning of score distributions for the report's histograms (thesis Fig. 7.1, 7.2).

/** Values pooled for choosing the range; a thinned pool sorts fast and finds the same bulk. */
const POOL_SIZE = 20_000;

/** Edges of `bins` bins over the bulk of the pooled values (0.1% .. 99.9%); log-spaced when the values span decades. */
export function histogramEdges(samples: ArrayLike<number>[], bins: number): { edges: number[]; log: boolean } {
  const total = samples.reduce((n, values) => n + values.length, 0);
  const stride = Math.max(1, Math.ceil(total / POOL_SIZE));
  const kept: number[] = [];
  for (const values of samples) for (let i = 0; i < values.length; i += stride) kept.push(values[i]);
  const pooled = Float64Array.from(kept).sort();
  if (pooled.length === 0) return { edges: [0, 1], log: false };
  const at = (q: number) => pooled[Math.min(pooled.length - 1, Math.floor(q * pooled.length))];
  let lo = at(0.001);
  let hi = at(0.999);
  const log = lo > 0 && hi / lo > 100;
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = Array.from({ length: bins + 1 }, (_, i) => (log ? lo * Math.pow(hi / lo, i / bins) : lo + ((hi - lo) * i) / bins));
  return { edges, log };
}

/** Weighted counts per bin; values outside the edges go to the first or last bin so no weight is lost. */
export function histogram(edges: number[], log: boolean, values: ArrayLike<number>, weights: ArrayLike<number>): number[] {
  const bins = edges.length - 1;
  const lo = log ? Math.log(edges[0]) : edges[0];
  const perBin = bins / ((log ? Math.log(edges[bins]) : edges[bins]) - lo);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const x = log ? (values[i] > 0 ? Math.log(values[i]) : -Infinity) : values[i];
    let bin = Math.floor((x - lo) * perBin);
    if (!(bin >= 0)) bin = 0;
    else if (bin >= bins) bin = bins - 1;
    counts[bin] += weights[i];
  }
  return counts;
}
