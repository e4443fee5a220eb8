// Assembles one model's scan artifact from its scored samples: the PFOM curves and maxima of
// every signal plus what the report plots (histograms, a thinned latent sample). Pure.
import type { ScanParams } from '../../core/dag.js';
import { backgroundCurve, signalCurve, thresholdAt, type BackgroundCurve } from './pfom.js';
import type { LatentSample, ScanFile, ScanSignal } from './format.js';
import { histogram, histogramEdges } from '../lib/histogram.js';
import type { SampleInfo } from '../score/format.js';
import { concatArrays } from '../lib/typed-arrays.js';

/** The events of one sample as the scan needs them; background holds its test split only. */
export interface ScoredSample {
  info: SampleInfo;
  /** The chosen anomaly score per event (MSE or one latent coordinate). */
  scores: Float64Array;
  weights: Float64Array;
  /** Latent coordinates, one array per dimension. */
  latent: Float64Array[];
}

const HISTOGRAM_BINS = 60;
/** Events kept per sample for the latent pair plots. */
const LATENT_BACKGROUND_EVENTS = 3000;
const LATENT_SIGNAL_EVENTS = 300;
/** Significant digits of the stored curves: plots need no more, and 29 x 31 curves stay small. */
const CURVE_DIGITS = 6;
/** Significant digits of the latent sample (scatter plots). */
const LATENT_DIGITS = 4;

export function buildScan(params: ScanParams, samples: ScoredSample[]): ScanFile {
  const background = samples.filter((s) => s.info.kind === 'background');
  const signals = samples
    .filter((s) => s.info.kind === 'signal')
    .sort((x, y) => (x.info.mChi1 ?? 0) - (y.info.mChi1 ?? 0) || (x.info.mHprime ?? 0) - (y.info.mHprime ?? 0));
  const pooled = {
    scores: concatArrays(
      background.map((s) => s.scores),
      Float64Array,
    ),
    weights: concatArrays(
      background.map((s) => s.weights),
      Float64Array,
    ),
  };
  const bg = backgroundCurve(pooled, { quantiles: params.quantiles, steps: params.steps });
  const thresholds = Array.from({ length: bg.grid.count }, (_, k) => thresholdAt(bg.grid, k));
  return {
    model: params.model,
    architecture: params.architecture,
    latentDim: params.latentDim,
    background: params.background,
    axes: params.axes,
    settings: params.settings,
    ...(params.ensembleOf && { ensembleOf: params.ensembleOf }),
    ...(params.trainedOn && { trainedOn: params.trainedOn }),
    score: params.score,
    punziA: params.punziA,
    grid: { quantiles: params.quantiles, steps: params.steps, ...bg.grid },
    thresholds: Array.from(thresholds, roundSignificant),
    backgroundAbove: Array.from(bg.weighted, roundSignificant),
    backgroundEventsAbove: Array.from(bg.events),
    backgroundTotal: bg.total,
    backgroundEvents: pooled.scores.length,
    signals: signals.map((s) => scanSignal(bg, thresholds, s, params.punziA)),
    histogram: scoreHistogram(background, signals),
    latent: latentSample(background[0]?.latent.length ?? 0, background, signals),
  };
}

function scanSignal(bg: BackgroundCurve, thresholds: number[], signal: ScoredSample, a: number): ScanSignal {
  const { info } = signal;
  const curve = signalCurve(bg, signal, a);
  const k = curve.best;
  // eff_generated = eff_selected x preselection efficiency, both weighted as the PFOM is.
  const preselected = info.generatedWeighted > 0 ? info.selectedWeighted / info.generatedWeighted : 0;
  return {
    sample: info.name,
    process: info.process,
    mChi1: info.mChi1,
    mHprime: info.mHprime,
    generated: info.generated,
    selected: info.selected,
    selectedWeighted: info.selectedWeighted,
    efficiency: Array.from(curve.efficiency, roundingToPeak(curve.efficiency, CURVE_DIGITS)),
    pfom: Array.from(curve.pfom, roundingToPeak(curve.pfom, CURVE_DIGITS)),
    maximum: {
      pfom: curve.pfom[k],
      effSelected: curve.efficiency[k],
      effGenerated: curve.efficiency[k] * preselected,
      threshold: thresholds[k],
      nBackgroundAbove: bg.weighted[k],
      backgroundEventsAbove: bg.events[k],
    },
    noCut: { pfom: curve.pfomNoCut, effGenerated: signal.scores.length > 0 ? preselected : 0, nBackground: bg.total },
  };
}

function scoreHistogram(background: ScoredSample[], signals: ScoredSample[]) {
  const { edges, log } = histogramEdges(
    [...background, ...signals].map((s) => s.scores),
    HISTOGRAM_BINS,
  );
  const byProcess: Record<string, number[]> = {};
  for (const s of background) {
    const counts = histogram(edges, log, s.scores, s.weights);
    const sum = byProcess[s.info.process];
    byProcess[s.info.process] = sum ? sum.map((c, i) => c + counts[i]) : counts;
  }
  const bySignal = Object.fromEntries(signals.map((s) => [s.info.name, histogram(edges, log, s.scores, s.weights)]));
  return { edges, log, background: byProcess, signals: bySignal };
}

function latentSample(dims: number, background: ScoredSample[], signals: ScoredSample[]): LatentSample {
  const backgroundEvents = background.reduce((n, s) => n + s.scores.length, 0);
  const stride = Math.max(1, Math.ceil(backgroundEvents / LATENT_BACKGROUND_EVENTS));
  const process: string[] = [];
  const weight: number[] = [];
  const z: number[][] = [];
  for (const s of background) {
    for (const row of thinned(s, stride)) {
      process.push(s.info.process);
      z.push(row);
    }
    // Each kept event stands for the `stride` events skipped after it.
    for (let i = 0; i < s.weights.length; i += stride) weight.push(roundSignificant(s.weights[i] * stride));
  }
  const bySignal = Object.fromEntries(
    signals.map((s) => [s.info.name, thinned(s, Math.max(1, Math.ceil(s.scores.length / LATENT_SIGNAL_EVENTS)))]),
  );
  return { dims, background: { process, weight, z }, signals: bySignal };
}

/** Every `stride`-th event's latent coordinates (deterministic, so the report is reproducible). */
function thinned(sample: ScoredSample, stride: number): number[][] {
  const kept = sample.latent.map((column) => {
    const values: number[] = [];
    for (let i = 0; i < column.length; i += stride) values.push(column[i]);
    return values.map(roundingToPeak(values, LATENT_DIGITS));
  });
  return Array.from({ length: kept[0]?.length ?? 0 }, (_, row) => kept.map((values) => values[row]));
}

/** Rounds to CURVE_DIGITS significant digits (for arrays spanning decades: thresholds, B). */
function roundSignificant(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return roundingAt(CURVE_DIGITS - 1 - Math.floor(Math.log10(Math.abs(x))))(x);
}

/**
 * Rounding to `digits` significant digits of the array's largest magnitude: a plot on a linear
 * axis cannot show more, and one scale per array costs nothing next to a log10 per value.
 */
function roundingToPeak(values: ArrayLike<number>, digits: number): (x: number) => number {
  let peak = 0;
  for (let i = 0; i < values.length; i++) if (Math.abs(values[i]) > peak) peak = Math.abs(values[i]);
  if (!(peak > 0 && Number.isFinite(peak))) return (x) => x;
  return roundingAt(digits - 1 - Math.floor(Math.log10(peak)));
}

/** Rounding to `decimals` decimal places (negative: to tens, hundreds, ...); dividing by an exact power of ten keeps the JSON short. */
function roundingAt(decimals: number): (x: number) => number {
  if (decimals >= 0) {
    const scale = 10 ** decimals;
    return (x) => Math.round(x * scale) / scale;
  }
  const unit = 10 ** -decimals;
  return (x) => Math.round(x / unit) * unit;
}
