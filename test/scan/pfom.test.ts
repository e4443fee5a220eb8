import { describe, expect, it } from 'vitest';
import {
  MAX_THRESHOLDS,
  backgroundCurve,
  signalCurve,
  thresholdGrid,
  thresholdsPassed,
  type GridSettings,
  type WeightedScores,
} from '../../activities/scan/pfom.js';
import { randomSource } from './random.js';

const THESIS: GridSettings = { quantiles: [0.01, 0.99], steps: 100 };

/** The scan spelled out the slow, obvious way: every threshold against every event. */
function bruteForce(background: WeightedScores, signal: WeightedScores, settings: GridSettings, a: number) {
  const pairs = Array.from(background.scores, (s, i) => [s, background.weights[i]] as const).sort((x, y) => x[0] - y[0]);
  const total = pairs.reduce((sum, [, w]) => sum + w, 0);
  const quantile = (q: number) => {
    let cumulative = 0;
    for (const [s, w] of pairs) {
      cumulative += w;
      if (cumulative >= q * total) return s;
    }
    return pairs[pairs.length - 1][0];
  };
  const min = pairs[0][0];
  const max = pairs[pairs.length - 1][0];
  let step = (quantile(settings.quantiles[1]) - quantile(settings.quantiles[0])) / settings.steps;
  if (!(step > 0)) step = (max - min) / settings.steps;
  if ((max - min) / step >= MAX_THRESHOLDS) step = (max - min) / (MAX_THRESHOLDS - 1);
  const signalTotal = Array.from(signal.weights).reduce((sum, w) => sum + w, 0);
  const thresholds: number[] = [];
  const B: number[] = [];
  const eff: number[] = [];
  const pfom: number[] = [];
  for (let k = 0; min + k * step <= max; k++) {
    const t = min + k * step;
    let b = 0;
    for (let i = 0; i < background.scores.length; i++) if (background.scores[i] > t) b += background.weights[i];
    let s = 0;
    for (let i = 0; i < signal.scores.length; i++) if (signal.scores[i] > t) s += signal.weights[i];
    const e = signalTotal > 0 ? s / signalTotal : 0;
    thresholds.push(t);
    B.push(b);
    eff.push(e);
    pfom.push(e / (a / 2 + Math.sqrt(b)));
  }
  let best = 0;
  for (let k = 1; k < pfom.length; k++) if (pfom[k] > pfom[best]) best = k;
  return { thresholds, B, eff, pfom, best, total };
}

function expectClose(actual: ArrayLike<number>, expected: number[]) {
  expect(actual.length).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) {
    const tolerance = 1e-9 * Math.max(1, Math.abs(expected[k]));
    if (!(Math.abs(actual[k] - expected[k]) <= tolerance)) {
      throw new Error(`index ${k}: got ${actual[k]}, brute force says ${expected[k]}`);
    }
  }
}

function compare(background: WeightedScores, signal: WeightedScores, settings = THESIS, a = 1) {
  const expected = bruteForce(background, signal, settings, a);
  const bg = backgroundCurve(background, settings);
  const curve = signalCurve(bg, signal, a);
  expectClose(
    Array.from({ length: bg.grid.count }, (_, k) => bg.grid.start + k * bg.grid.step),
    expected.thresholds,
  );
  expectClose(bg.weighted, expected.B);
  expectClose(curve.efficiency, expected.eff);
  expectClose(curve.pfom, expected.pfom);
  expect(curve.best).toBe(expected.best);
  const noCutEfficiency = signal.scores.length > 0 ? 1 : 0;
  expect(curve.pfomNoCut).toBeCloseTo(noCutEfficiency / (a / 2 + Math.sqrt(expected.total)), 12);
  return { bg, curve, expected };
}

function sample(n: number, draw: () => number, weight: () => number): WeightedScores {
  return { scores: Float64Array.from({ length: n }, draw), weights: Float64Array.from({ length: n }, weight) };
}

describe('PFOM scan agrees with a brute-force loop over thresholds', () => {
  it('on random weighted data with several processes of very different weights', () => {
    const rng = randomSource(1);
    const background = sample(
      3000,
      () => rng.exponential(0.3),
      () => rng.pick([0.02, 1.7, 35]),
    );
    const signal = sample(
      800,
      () => 0.5 + rng.exponential(0.6),
      () => 0.004,
    );
    const { bg, curve } = compare(background, signal);
    expect(bg.grid.rule).toBe('quantiles');
    expect(bg.grid.count).toBeGreaterThan(100);
    expect(curve.pfom[curve.best]).toBeGreaterThan(curve.pfomNoCut);
  });

  it('with ties, including scores lying exactly on thresholds (selection is strict)', () => {
    const rng = randomSource(2);
    // Scores on multiples of 1/8 and a grid step of 1/4: many events sit exactly on a threshold.
    const background = sample(
      2000,
      () => rng.integer(0, 64) / 8,
      () => rng.pick([1, 3]),
    );
    const signal = sample(
      500,
      () => rng.integer(16, 64) / 8,
      () => 1,
    );
    const { bg } = compare(background, signal, { quantiles: [0, 1], steps: 32 });
    expect(bg.grid.step).toBe(0.25);
    const onThreshold = Array.from(background.scores).filter((s) => s === 2).length;
    expect(onThreshold).toBeGreaterThan(0);
    expect(thresholdsPassed(bg.grid, 2)).toBe(8); // passes t_0..t_7 = 0..1.75, not t_8 = 2
  });

  it('with empty selections: no signal events, signal below the background, signal above it', () => {
    const rng = randomSource(3);
    const background = sample(
      1000,
      () => rng.normal(),
      () => rng.uniform(0.5, 2),
    );
    const none = compare(background, { scores: new Float64Array(0), weights: new Float64Array(0) });
    expect(Math.max(...none.curve.pfom)).toBe(0);
    expect(none.curve.pfomNoCut).toBe(0);
    const below = compare(
      background,
      sample(
        100,
        () => -100 - rng.uniform(0, 1),
        () => 1,
      ),
    );
    expect(Math.max(...below.curve.efficiency)).toBe(0);
    const above = compare(
      background,
      sample(
        100,
        () => 100 + rng.uniform(0, 1),
        () => 1,
      ),
    );
    // Every signal event passes every threshold, so the tightest cut (least B) wins.
    const last = above.bg.grid.count - 1;
    expect(above.curve.efficiency[0]).toBe(1);
    expect(above.curve.efficiency[last]).toBe(1);
    expect(above.bg.weighted[last]).toBeLessThan(above.bg.weighted[0]);
    expect(above.curve.best).toBe(last);
  });

  it('with a background with far outliers (fine grid well past the 99% quantile)', () => {
    const rng = randomSource(4);
    const background = sample(
      1500,
      () => (rng.uniform(0, 1) < 0.005 ? rng.uniform(50, 400) : rng.exponential(0.1)),
      () => rng.pick([0.3, 8]),
    );
    const signal = sample(
      300,
      () => rng.exponential(2),
      () => 0.01,
    );
    const { bg } = compare(background, signal);
    expect(bg.grid.rule).toBe('quantiles');
    expect(bg.grid.count).toBeGreaterThan(10_000);
  });

  it('caps the number of thresholds for absurd outliers and still ends at the background maximum', () => {
    const rng = randomSource(5);
    const background = sample(
      200,
      () => rng.exponential(1),
      () => 1,
    );
    (background.scores as Float64Array)[17] = 1e12;
    const { bg } = compare(
      background,
      sample(
        50,
        () => rng.exponential(3),
        () => 1,
      ),
    );
    expect(bg.grid.rule).toBe('capped');
    expect(bg.grid.count).toBeLessThanOrEqual(MAX_THRESHOLDS);
    expect(bg.grid.start + (bg.grid.count - 1) * bg.grid.step).toBeLessThanOrEqual(1e12);
    expect(bg.grid.start + bg.grid.count * bg.grid.step).toBeGreaterThan(1e12);
  });

  it('for latent coordinates as scores (negative values, a = 2)', () => {
    const rng = randomSource(6);
    const background = sample(
      2000,
      () => rng.normal(),
      () => rng.pick([0.1, 4]),
    );
    const signal = sample(
      400,
      () => rng.normal() * 0.5 + 1.5,
      () => 1,
    );
    compare(background, signal, THESIS, 2);
  });

  it('falls back to the full range when the quantiles coincide, and to one threshold for a constant score', () => {
    const rng = randomSource(7);
    const spiky = sample(
      1000,
      () => (rng.uniform(0, 1) < 0.995 ? 1 : rng.uniform(1, 3)),
      () => 1,
    );
    const { bg } = compare(
      spiky,
      sample(
        100,
        () => rng.uniform(0, 3),
        () => 1,
      ),
    );
    expect(bg.grid.rule).toBe('range');
    const constant = sample(
      50,
      () => 0.5,
      () => 2,
    );
    const grid = thresholdGrid(constant, THESIS);
    expect(grid).toMatchObject({ rule: 'single', count: 1, start: 0.5 });
    const curve = signalCurve(
      backgroundCurve(constant, THESIS),
      sample(
        4,
        () => 1,
        () => 1,
      ),
      1,
    );
    expect(curve.pfom[0]).toBe(2);
  });
});
