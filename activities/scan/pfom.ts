// The Punzi figure of merit scan (thesis Eq. 4.3, Sec. 7.1) as pure array math, so it can be
// unit-tested against a brute-force loop and benchmarked without any I/O.
//
// Cost: one sort of the background per model (for its quantiles), then O(events + thresholds)
// per sample: every event is dropped into the bin of thresholds it passes and a suffix sum
// over the bins gives the weight above every threshold at once. Nothing loops over
// thresholds x events.

/** Scores and per-event weights of one sample (same length). */
export interface WeightedScores {
  scores: ArrayLike<number>;
  weights: ArrayLike<number>;
}

export interface GridSettings {
  /** Lower and upper quantile of the weighted background scores that set the step (thesis: 1%, 99%). */
  quantiles: [number, number];
  /** Number of steps between the two quantiles (thesis: 100). */
  steps: number;
}

/** How the step was chosen: from the quantiles (the thesis rule), or a fallback. */
export type StepRule = 'quantiles' | 'range' | 'capped' | 'single';

/** Thresholds t_k = start + k * step, k = 0 .. count-1, covering [background min, background max]. */
export interface ThresholdGrid {
  start: number;
  step: number;
  count: number;
  /** The background's weighted quantile values the step came from. */
  quantileValues: [number, number];
  /** Largest background score: the end of the probed range. */
  end: number;
  rule: StepRule;
}

/**
 * Most thresholds a scan probes. Far outliers in the background can make (max - min) / step
 * huge; beyond this the step is widened so the range still ends at the background maximum.
 */
export const MAX_THRESHOLDS = 100_000;

/** Threshold number k of a grid; the one expression every caller uses, so comparisons are exact. */
export function thresholdAt(grid: ThresholdGrid, k: number): number {
  return grid.start + k * grid.step;
}

/**
 * Weighted quantile as the inverse of the weighted cumulative distribution: the smallest score
 * whose cumulative weight reaches q of the total. Weighted, because the background the scan
 * fights is the luminosity-weighted one; the number of simulated events a process happened to
 * get must not move the grid. `order` sorts `scores` ascending.
 */
function weightedQuantile(sample: WeightedScores, order: Uint32Array, q: number): number {
  let total = 0;
  for (let i = 0; i < order.length; i++) total += sample.weights[order[i]];
  const target = q * total;
  let cumulative = 0;
  for (let i = 0; i < order.length; i++) {
    cumulative += sample.weights[order[i]];
    if (cumulative >= target) return sample.scores[order[i]];
  }
  return sample.scores[order[order.length - 1]];
}

/** Indices that sort the scores ascending (the one sort per model). */
function ascendingOrder(scores: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => scores[a] - scores[b]);
}

/**
 * The thesis grid: step = (q_high - q_low) / steps of the weighted background scores, probed
 * from the background minimum up to its maximum. When the quantiles coincide (a spike holding
 * most of the weight) the step falls back to (max - min) / steps.
 */
export function thresholdGrid(background: WeightedScores, settings: GridSettings): ThresholdGrid {
  if (background.scores.length === 0) throw new Error('thresholdGrid: the background has no events');
  const order = ascendingOrder(background.scores);
  const min = background.scores[order[0]];
  const max = background.scores[order[order.length - 1]];
  const quantileValues: [number, number] = [
    weightedQuantile(background, order, settings.quantiles[0]),
    weightedQuantile(background, order, settings.quantiles[1]),
  ];
  let step = (quantileValues[1] - quantileValues[0]) / settings.steps;
  let rule: StepRule = 'quantiles';
  if (!(step > 0)) {
    step = (max - min) / settings.steps;
    rule = 'range';
  }
  if (!(step > 0)) return { start: min, step: 0, count: 1, quantileValues, end: max, rule: 'single' };
  if ((max - min) / step >= MAX_THRESHOLDS) {
    step = (max - min) / (MAX_THRESHOLDS - 1);
    rule = 'capped';
  }
  const grid: ThresholdGrid = { start: min, step, count: 0, quantileValues, end: max, rule };
  // Last k with t_k <= max, found with the same expression the scan compares against.
  let last = Math.floor((max - min) / step);
  while (last > 0 && thresholdAt(grid, last) > max) last--;
  while (thresholdAt(grid, last + 1) <= max) last++;
  grid.count = last + 1;
  return grid;
}

/** How many thresholds of the grid a score passes (score > t_k), i.e. the first k with t_k >= score. */
export function thresholdsPassed(grid: ThresholdGrid, score: number): number {
  if (grid.step === 0) return score > grid.start ? 1 : 0;
  let k = Math.min(grid.count, Math.max(0, Math.ceil((score - grid.start) / grid.step)));
  // The division may be off by one ulp either way; settle it with the exact comparison.
  while (k > 0 && thresholdAt(grid, k - 1) >= score) k--;
  while (k < grid.count && thresholdAt(grid, k) < score) k++;
  return k;
}

/**
 * Weight of the sample strictly above every threshold of the grid: out[k] = sum of w_i with
 * s_i > t_k. With `weights` null each event counts 1 (raw simulated events above).
 */
function weightAbove(grid: ThresholdGrid, scores: ArrayLike<number>, weights: ArrayLike<number> | null): Float64Array {
  // byPassed[c] = weight of the events that pass exactly the first c thresholds.
  const byPassed = new Float64Array(grid.count + 1);
  for (let i = 0; i < scores.length; i++) {
    byPassed[thresholdsPassed(grid, scores[i])] += weights === null ? 1 : weights[i];
  }
  const out = new Float64Array(grid.count);
  let above = 0;
  for (let k = grid.count - 1; k >= 0; k--) {
    above += byPassed[k + 1];
    out[k] = above;
  }
  return out;
}

/** Sum of the weights (a sample's total before any autoencoder cut). */
function totalWeight(weights: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += weights[i];
  return sum;
}

/** PFOM = eff / (a/2 + sqrt(B)) (thesis Eq. 4.3); B below zero (negative weights) counts as zero. */
export function punzi(efficiency: number, background: number, a: number): number {
  return efficiency / (a / 2 + Math.sqrt(Math.max(background, 0)));
}

/** Index of the largest value; ties go to the lowest threshold (the loosest cut). */
function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k] > values[best]) best = k;
  return best;
}

/** One model's background, prepared once and shared by the scans of all signals. */
export interface BackgroundCurve {
  grid: ThresholdGrid;
  /** Weighted background above each threshold (B). */
  weighted: Float64Array;
  /** Simulated background events above each threshold (for the statistical reliability of B). */
  events: Float64Array;
  total: number;
}

export function backgroundCurve(background: WeightedScores, settings: GridSettings): BackgroundCurve {
  const grid = thresholdGrid(background, settings);
  return {
    grid,
    weighted: weightAbove(grid, background.scores, background.weights),
    events: weightAbove(grid, background.scores, null),
    total: totalWeight(background.weights),
  };
}

export interface SignalCurve {
  /** Signal efficiency relative to the signal events after preselection, per threshold. */
  efficiency: Float64Array;
  pfom: Float64Array;
  best: number;
  /** PFOM with no autoencoder cut: every preselected event passes (efficiency 1, all of B). */
  pfomNoCut: number;
}

/** The PFOM curve of one signal against a prepared background (a = Punzi's significance). */
export function signalCurve(background: BackgroundCurve, signal: WeightedScores, a: number): SignalCurve {
  const total = totalWeight(signal.weights);
  const efficiency = weightAbove(background.grid, signal.scores, signal.weights);
  const pfom = new Float64Array(efficiency.length);
  for (let k = 0; k < efficiency.length; k++) {
    // A sample with no events after preselection has nothing to find: efficiency 0, not 0/0.
    efficiency[k] = total > 0 ? efficiency[k] / total : 0;
    pfom[k] = punzi(efficiency[k], background.weighted[k], a);
  }
  return { efficiency, pfom, best: argMax(pfom), pfomNoCut: punzi(total > 0 ? 1 : 0, background.total, a) };
}
