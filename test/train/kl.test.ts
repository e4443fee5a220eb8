import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTfjsBackend } from '../helpers/tfjs.js';
import { gaussianKl, priorTensors, disposePrior } from '../../activities/train/kl.js';
import { dirichletAlpha, laplaceDirichlet, standardNormal, type GaussianPrior } from '../../activities/train/prior.js';
import { Rng } from '../../activities/lib/rng.js';

// On the backend the trainings compute on (native or wasm), not tfjs's plain JavaScript default.
beforeAll(() => useTfjsBackend());

function kl(mu: number[][], logVar: number[][], prior: GaussianPrior): number[] {
  const p = priorTensors(prior);
  try {
    return Array.from(tf.tidy(() => gaussianKl(tf.tensor2d(mu), tf.tensor2d(logVar), p)).dataSync());
  } finally {
    disposePrior(p);
  }
}

/** Textbook KL(N(m1, s1^2) || N(m2, s2^2)) in one dimension. */
function klUnivariate(m1: number, s1: number, m2: number, s2: number): number {
  return Math.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - 0.5;
}

describe('Laplace approximation of the Dirichlet prior', () => {
  it('gives mean (0, 0) and variance (0.5556, 0.5556) for alpha = (0.9, 0.9)', () => {
    const { mean, variance } = laplaceDirichlet([0.9, 0.9]);
    expect(Array.from(mean)).toEqual([0, 0]);
    expect(variance[0]).toBeCloseTo(0.5556, 4);
    expect(variance[1]).toBeCloseTo(0.5556, 4);
  });

  it('matches hand-evaluated published formulas for other alphas', () => {
    // alpha = (1, 1, 1): mu = 0, var = 1 * (1 - 2/3) + 3 / 9 = 2/3.
    const flat = laplaceDirichlet([1, 1, 1]);
    flat.mean.forEach((m) => expect(m).toBeCloseTo(0, 7));
    flat.variance.forEach((v) => expect(v).toBeCloseTo(2 / 3, 6));
    // The thesis prior for K = 3: alpha = (0.9, 0.9, 0.1).
    // mean log alpha = (2 ln 0.9 + ln 0.1) / 3 = -0.8377687; sum 1/alpha = 12.2222222.
    const thesis = laplaceDirichlet(dirichletAlpha(3, { others: 0.9, last: 0.1 }));
    expect(Array.from(thesis.mean).map((v) => +v.toFixed(5))).toEqual([0.73241, 0.73241, -1.46482]);
    expect(Array.from(thesis.variance).map((v) => +v.toFixed(5))).toEqual([1.7284, 1.7284, 4.69136]);
  });

  it('puts the rare category last (Eq. 5.13)', () => {
    expect(dirichletAlpha(4, { others: 0.9, last: 0.1 })).toEqual([0.9, 0.9, 0.9, 0.1]);
  });
});

describe('KL of the encoder Gaussian to the prior', () => {
  const mu = [
    [0.3, -1.2],
    [0, 0],
    [2, 0.5],
  ];
  const logVar = [
    [-0.5, 0.4],
    [0, 0],
    [1.3, -2],
  ];

  it('equals the VAE closed form -1/2 sum(1 + log s^2 - mu^2 - s^2) for N(0, 1)', () => {
    const expected = mu.map((row, i) => -0.5 * row.reduce((s, m, k) => s + 1 + logVar[i]![k]! - m * m - Math.exp(logVar[i]![k]!), 0));
    kl(mu, logVar, standardNormal(2)).forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 5));
    expect(kl([[0, 0]], [[0, 0]], standardNormal(2))[0]).toBeCloseTo(0, 7);
  });

  it('equals the textbook Gaussian KL for the DVAE prior', () => {
    const prior = laplaceDirichlet([0.9, 0.1]);
    const expected = mu.map((row, i) =>
      row.reduce((s, m, k) => s + klUnivariate(m, Math.exp(logVar[i]![k]! / 2), prior.mean[k]!, Math.sqrt(prior.variance[k]!)), 0),
    );
    kl(mu, logVar, prior).forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 4));
  });

  it('agrees with a Monte Carlo estimate of E_q[log q - log p]', () => {
    const prior = laplaceDirichlet([0.9, 0.9, 0.1]);
    const m = [0.5, -0.3, 1.0];
    const lv = [-0.7, 0.2, 0.9];
    const rng = Rng.fromSeed(11);
    const samples = 200_000;
    const eps = rng.fillNormal(new Float32Array(samples * 3));
    const logNormal = (z: number, mean: number, variance: number) => -0.5 * (Math.log(2 * Math.PI * variance) + (z - mean) ** 2 / variance);
    let total = 0;
    for (let s = 0; s < samples; s++) {
      for (let k = 0; k < 3; k++) {
        const z = m[k]! + Math.exp(lv[k]! / 2) * eps[s * 3 + k]!;
        total += logNormal(z, m[k]!, Math.exp(lv[k]!)) - logNormal(z, prior.mean[k]!, prior.variance[k]!);
      }
    }
    const estimate = total / samples;
    const [exact] = kl([m], [lv], prior);
    expect(Math.abs(estimate - exact!)).toBeLessThan(0.01 * exact!);
  });
});
