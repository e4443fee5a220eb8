// PFOM scans of the thesis sweep (29 models x 31 signals) on synthetic data of realistic size
// (~30k background test events of 14 processes, ~12k events per signal), against the
// brute-force loop over thresholds x events. Goal: all scans of the sweep in under 2 s.
import { backgroundCurve, signalCurve, punzi, type BackgroundCurve, type WeightedScores } from '../activities/scan/pfom.js';
import { buildScan, type ScoredSample } from '../activities/scan/result.js';
import type { ScanParams } from '../core/dag.js';
import type { Architecture } from '../core/models.js';
import type { Row } from './row.js';

const MODELS: { architecture: Architecture; latentDim: number }[] = [
  ...Array.from({ length: 10 }, (_, i) => ({ architecture: 'AE' as const, latentDim: i + 1 })),
  ...Array.from({ length: 10 }, (_, i) => ({ architecture: 'VAE' as const, latentDim: i + 1 })),
  ...Array.from({ length: 9 }, (_, i) => ({ architecture: 'DVAE' as const, latentDim: i + 2 })),
];
const PROCESSES = 14;
const BACKGROUND_EVENTS = 30_000;
const SIGNALS = 31;
const SIGNAL_EVENTS = 12_000;
/** Models the brute-force baseline runs on (it takes seconds each); its total is scaled to the sweep. */
const BRUTE_FORCE_MODELS = 1;

export async function bench(): Promise<Row[]> {
  let fastCore = 0;
  let fastFull = 0;
  let jsonBytes = 0;
  let thresholds = 0;
  let brute = 0;
  for (const [m, model] of MODELS.entries()) {
    const samples = syntheticModel(m + 1, model.latentDim);
    const background = pool(samples.filter((s) => s.info.kind === 'background'));
    const signals = samples.filter((s) => s.info.kind === 'signal');
    const params: ScanParams = {
      model: `all/${model.architecture}-l${model.latentDim}`,
      ...model,
      background: 'all',
      axes: {},
      settings: {},
      score: 'mse',
      punziA: 1,
      quantiles: [0.01, 0.99],
      steps: 100,
    };

    let t0 = performance.now();
    const bg = backgroundCurve(background, params);
    const fast = signals.map((s) => signalCurve(bg, s, 1));
    fastCore += performance.now() - t0;
    thresholds += bg.grid.count;

    t0 = performance.now();
    const scan = buildScan(params, samples);
    jsonBytes += JSON.stringify(scan).length;
    fastFull += performance.now() - t0;

    if (m < BRUTE_FORCE_MODELS) {
      t0 = performance.now();
      const slow = bruteForce(bg, background, signals);
      brute += performance.now() - t0;
      const worst = Math.max(...fast.map((c, i) => Math.abs(c.pfom[c.best] - slow[i]) / slow[i]));
      if (!(worst < 1e-9)) throw new Error(`bench/scan: fast and brute-force maxima differ (relative ${worst})`);
    }
  }
  const bruteSweep = (brute / BRUTE_FORCE_MODELS) * MODELS.length;
  const scans = MODELS.length * SIGNALS;
  return [
    {
      name: 'scan: PFOM curves, thesis sweep (29 models x 31 signals)',
      value: fastCore / 1000,
      unit: 's',
      note: `${(thresholds / MODELS.length).toFixed(0)} thresholds per model on average`,
    },
    {
      name: 'scan: whole scan artifact incl. histograms, latent sample, JSON (29 models)',
      value: fastFull / 1000,
      unit: 's',
      note: `goal < 2 s; scan.json ${(jsonBytes / MODELS.length / 1e6).toFixed(2)} MB per model`,
    },
    {
      name: 'scan: brute-force loop thresholds x events (same sweep)',
      value: bruteSweep / 1000,
      unit: 's',
      note: `measured on ${BRUTE_FORCE_MODELS} model, scaled to ${MODELS.length}`,
    },
    { name: 'scan: speed-up of the cumulative scan over brute force', value: bruteSweep / fastCore, unit: 'x' },
    { name: 'scan: signal scans per second', value: scans / (fastCore / 1000), unit: '1/s' },
  ];
}

/**
 * The obvious implementation: for every threshold, sum the background above it, then for every
 * signal and threshold sum the signal above it. Returns each signal's maximal PFOM.
 */
function bruteForce(bg: BackgroundCurve, background: WeightedScores, signals: WeightedScores[]): number[] {
  const { grid } = bg;
  const B = new Float64Array(grid.count);
  for (let k = 0; k < grid.count; k++) {
    const t = grid.start + k * grid.step;
    for (let i = 0; i < background.scores.length; i++) if (background.scores[i] > t) B[k] += background.weights[i];
  }
  return signals.map((signal) => {
    let total = 0;
    for (let i = 0; i < signal.weights.length; i++) total += signal.weights[i];
    let best = 0;
    for (let k = 0; k < grid.count; k++) {
      const t = grid.start + k * grid.step;
      let above = 0;
      for (let i = 0; i < signal.scores.length; i++) if (signal.scores[i] > t) above += signal.weights[i];
      best = Math.max(best, punzi(above / total, B[k], 1));
    }
    return best;
  });
}

/** One model's scores: log-normal MSE per process with a thin tail of far outliers, as AEs give. */
function syntheticModel(seed: number, latentDim: number): ScoredSample[] {
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const sample = (
    name: string,
    kind: 'background' | 'signal',
    n: number,
    weight: number,
    median: number,
    mChi1: number | null,
    mHprime: number | null,
  ): ScoredSample => {
    const scores = Float64Array.from({ length: n }, () => median * Math.exp(0.8 * normal()) * (random() < 0.002 ? 10 + 40 * random() : 1));
    return {
      info: {
        name,
        kind,
        process: kind === 'signal' ? 'idmdh' : name,
        mChi1,
        mHprime,
        generated: 25_000,
        generatedWeighted: 25_000 * weight,
        selected: n,
        selectedWeighted: n * weight,
      },
      scores,
      weights: new Float64Array(n).fill(weight),
      latent: Array.from({ length: latentDim }, () => Float64Array.from({ length: n }, normal)),
    };
  };
  const background = Array.from({ length: PROCESSES }, (_, p) =>
    sample(`bkg${p}`, 'background', BACKGROUND_EVENTS / PROCESSES, 10 ** (random() * 3 - 1), 0.02 * (1 + p / 4), null, null),
  );
  const signals = Array.from({ length: SIGNALS }, (_, s) =>
    sample(`sig${s}`, 'signal', SIGNAL_EVENTS, 1e-3, 0.02 * (1 + s / 5), 0.25 + (s % 7) * 0.5, 0.25),
  );
  return [...background, ...signals];
}

function pool(samples: ScoredSample[]): WeightedScores {
  const n = samples.reduce((sum, s) => sum + s.scores.length, 0);
  const scores = new Float64Array(n);
  const weights = new Float64Array(n);
  let offset = 0;
  for (const s of samples) {
    scores.set(s.scores, offset);
    weights.set(s.weights, offset);
    offset += s.scores.length;
  }
  return { scores, weights };
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
