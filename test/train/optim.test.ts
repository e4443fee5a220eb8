import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTfjsBackend } from '../helpers/tfjs.js';
import { FlatAdam } from '../../activities/train/adam.js';
import { clipByGlobalNorm } from '../../activities/train/clip.js';
import { foldBounds, foldSplit } from '../../activities/train/folds.js';
import { Rng } from '../../activities/lib/rng.js';
import { WeightAverage } from '../../activities/train/swa.js';

// On the backend the trainings compute on (native or wasm), not tfjs's plain JavaScript default.
beforeAll(() => useTfjsBackend());

describe('clipping by global norm', () => {
  it('scales all gradients by maxNorm / (norm + 1e-6) when the joint norm is larger', () => {
    const grads = [tf.tensor1d([3, 4]), tf.tensor1d([12])]; // joint norm 13
    const { clipped, norm } = clipByGlobalNorm(grads, 1);
    expect(norm.dataSync()[0]).toBeCloseTo(13, 5);
    const scale = 1 / (13 + 1e-6);
    expect(Array.from(clipped[0]!.dataSync())).toEqual([3, 4].map((g) => Math.fround(Math.fround(g) * Math.fround(scale))));
    expect(clipped[1]!.dataSync()[0]).toBeCloseTo(12 * scale, 6);
    const total = Math.hypot(...clipped.flatMap((c) => Array.from(c.dataSync())));
    expect(total).toBeCloseTo(1, 5);
  });

  it('leaves gradients below the limit alone', () => {
    const { clipped } = clipByGlobalNorm([tf.tensor1d([0.3, -0.4])], 1);
    expect(Array.from(clipped[0]!.dataSync())).toEqual([Math.fround(0.3), Math.fround(-0.4)]);
  });
});

describe('stochastic weight averaging', () => {
  it('averages the weights added since the last reset', () => {
    const average = new WeightAverage(3);
    for (const w of [
      [1, 2, 3],
      [3, 2, 1],
      [2, 5, 8],
    ])
      average.add(tf.tensor1d(w));
    expect(Array.from(average.mean().dataSync())).toEqual([2, 3, 4]);
    average.reset();
    average.add(tf.tensor1d([7, 8, 9]));
    expect(Array.from(average.mean().dataSync())).toEqual([7, 8, 9]);
  });

  it('continues from a snapshot', async () => {
    const a = new WeightAverage(2);
    a.add(tf.tensor1d([1, 1]));
    const b = new WeightAverage(2, await a.snapshot());
    b.add(tf.tensor1d([3, 5]));
    expect(Array.from(b.mean().dataSync())).toEqual([2, 3]);
  });
});

describe('Adam on a flat vector', () => {
  it('follows the PyTorch update rule', () => {
    const params = tf.variable(tf.tensor1d([1, -2]));
    const adam = new FlatAdam(2);
    const grads = [
      [0.5, -1],
      [0.1, 2],
    ];
    const lr = 0.01;
    const expected = [1, -2];
    const m = [0, 0];
    const v = [0, 0];
    grads.forEach((g, t) => {
      adam.apply(params, tf.tensor1d(g), lr);
      for (let i = 0; i < 2; i++) {
        m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
        v[i] = 0.999 * v[i]! + 0.001 * g[i]! ** 2;
        const mHat = m[i]! / (1 - 0.9 ** (t + 1));
        const vHat = v[i]! / (1 - 0.999 ** (t + 1));
        expected[i]! -= (lr * mHat) / (Math.sqrt(vHat) + 1e-8);
      }
      const got = params.dataSync();
      expected.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 6));
    });
  });
});

describe('seeded randomness and folds', () => {
  it('continues the same sequence from a saved state', () => {
    const a = Rng.fromSeed(42);
    a.uniform();
    a.normal(); // leaves the second value of the Box-Muller pair pending, which the state must keep
    const b = Rng.fromState(JSON.parse(JSON.stringify(a.state())));
    expect([a.normal(), a.normal(), a.uniform()]).toEqual([b.normal(), b.normal(), b.uniform()]);
    expect(Rng.fromSeed(42).permutation(50)).toEqual(Rng.fromSeed(42).permutation(50));
    expect(Rng.fromSeed(42).permutation(50)).not.toEqual(Rng.fromSeed(43).permutation(50));
  });

  it('draws standard normal numbers', () => {
    const z = Rng.fromSeed(3).fillNormal(new Float32Array(100_001));
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });

  it('splits like scikit-learn KFold: the first n % k folds one larger, each event validated once', () => {
    expect([0, 1, 2].map((f) => foldBounds(10, 3, f))).toEqual([
      [0, 4],
      [4, 7],
      [7, 10],
    ]);
    const order = Rng.fromSeed(5).permutation(10);
    const validated = [0, 1, 2].flatMap((f) => {
      const { train, validation } = foldSplit(order, 3, f);
      expect(train.length + validation.length).toBe(10);
      expect([...train, ...validation].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
      return Array.from(validation);
    });
    expect(validated.sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
  });
});
