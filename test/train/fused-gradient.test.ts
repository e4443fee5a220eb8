// The fused kernel's gradient of the batch objective against tfjs autodiff of today's loss
// written in plain ops (fused-helpers.ts referenceGradient: the trainer's objective
// sum_i w_i (mse_i + beta kl_i) / rows), for every architecture and several latent dimensions. Compared as the relative L2 error of
// the whole gradient vector: both sides compute in float32 in different orders, so single
// components that nearly cancel differ relatively more, the vector does not.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Architecture } from '../../core/models.js';
import { loadFused, type FusedKind } from '../../activities/train/fused/index.js';
import { NATIVE, NATIVE_SKIP, problem, referenceGradient, relativeL2 } from './fused-helpers.js';

const TOLERANCE = 1e-5;

interface Case {
  name: string;
  architecture: Architecture;
  latentDim: number;
  options?: Parameters<typeof problem>[2];
}

const CASES: Case[] = [
  { name: 'AE l1', architecture: 'AE', latentDim: 1 },
  { name: 'AE l2', architecture: 'AE', latentDim: 2 },
  { name: 'AE l8', architecture: 'AE', latentDim: 8 },
  { name: 'AE l16', architecture: 'AE', latentDim: 16 },
  { name: 'AE l3, hidden 37-23, 77 rows', architecture: 'AE', latentDim: 3, options: { hidden: [37, 23], rows: 77, maxRows: 100 } },
  { name: 'VAE l1', architecture: 'VAE', latentDim: 1 },
  { name: 'VAE l2', architecture: 'VAE', latentDim: 2 },
  { name: 'VAE l16', architecture: 'VAE', latentDim: 16 },
  {
    name: 'VAE l5, hidden 64, 33 rows, large weights, KL-dominated',
    architecture: 'VAE',
    latentDim: 5,
    options: { hidden: [64], rows: 33, weightScale: 3, klWeight: 20 },
  },
  { name: 'VAE l4, no hidden layer', architecture: 'VAE', latentDim: 4, options: { hidden: [], rows: 50 } },
  { name: 'DVAE l2', architecture: 'DVAE', latentDim: 2 },
  { name: 'DVAE l16', architecture: 'DVAE', latentDim: 16 },
  {
    name: 'DVAE l3, hidden 37-23, 1 row, KL-dominated',
    architecture: 'DVAE',
    latentDim: 3,
    options: { hidden: [37, 23], rows: 1, maxRows: 16, klWeight: 20, weightScale: 2 },
  },
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function gradientTests(kind: FusedKind): void {
  for (const c of CASES) {
    it(`${c.name}: relative L2 error of the gradient < ${TOLERANCE}`, async () => {
      const kernel = await loadFused(kind);
      const p = problem(c.architecture, c.latentDim, c.options);
      const engine = kernel.createEngine(p.spec);
      expect(engine.size).toBe(p.shape.size);
      engine.params.set(p.params);
      const { grad, sums } = engine.gradient(p.x, p.w, p.noise);
      const reference = referenceGradient(p);
      const error = relativeL2(grad, reference.grad);
      expect(error, `${kind} ${c.name}: relative L2 error ${error.toExponential(2)}`).toBeLessThan(TOLERANCE);
      // The loss sums and the objective agree too (float32 sums on the tfjs side).
      for (let i = 0; i < 3; i++)
        expect(Math.abs(sums[i]! - reference.sums[i]!)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(reference.sums[i]!)));
      const objective = (sums[0]! + p.spec.klWeight * sums[1]!) / p.rows;
      expect(Math.abs(objective - reference.value)).toBeLessThanOrEqual(2e-6 * Math.abs(reference.value));
      if (c.architecture !== 'AE') expect(sums[1]).toBeGreaterThan(0);
    });
  }

  it('the KL part of the gradient alone matches too (two KL weights, difference of gradients)', async () => {
    const kernel = await loadFused(kind);
    for (const architecture of ['VAE', 'DVAE'] as const) {
      const a = problem(architecture, 4, { klWeight: 0.5, rows: 64 });
      const b = problem(architecture, 4, { klWeight: 1.5, rows: 64 });
      const gradient = (q: typeof a) => {
        const engine = kernel.createEngine(q.spec);
        engine.params.set(q.params);
        return engine.gradient(q.x, q.w, q.noise).grad;
      };
      const [oursA, oursB] = [gradient(a), gradient(b)];
      const [refA, refB] = [referenceGradient(a).grad, referenceGradient(b).grad];
      const ours = oursB.map((g, i) => g - oursA[i]!);
      const ref = refB.map((g, i) => g - refA[i]!);
      expect(relativeL2(ours, ref), architecture).toBeLessThan(1e-4);
    }
  });
}

describe('fused kernel gradient, wasm build', () => gradientTests('wasm'));

describe.skipIf(!NATIVE.available)(`fused kernel gradient, native build${NATIVE_SKIP}`, () => gradientTests('native'));
