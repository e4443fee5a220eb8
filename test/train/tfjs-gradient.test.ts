// The tfjs engine's gradient (tfjs-network.ts dense: the hand-written backward pass with
// matMul's transpose flags and sign(y) as the ReLU mask on TensorFlow, the transposes made
// in JavaScript on wasm and cpu) against tfjs autodiff of the same objective in plain ops
// (fused-helpers.ts referenceGradient, on the exact cpu backend), on every tfjs backend
// present. Same measure and bound as the fused kernel's test (fused-gradient.test.ts).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../core/models.js';
import { useBackend } from '../../activities/train/backend.js';
import { freshState } from '../../activities/train/engine.js';
import { TfjsEngine } from '../../activities/train/tfjs-engine.js';
import { problem, referenceGradient, relativeL2 } from './fused-helpers.js';

const TOLERANCE = 1e-5;

const CASES: [Architecture, number][] = [
  ['AE', 1],
  ['AE', 8],
  ['VAE', 2],
  ['VAE', 8],
  ['DVAE', 3],
  ['DVAE', 8],
];

/** Why the TensorFlow backend cannot run here (npm run setup:native builds it), or undefined. */
async function tensorflowProblem(): Promise<string | undefined> {
  try {
    await useBackend('tensorflow');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const tensorflowMissing = await tensorflowProblem();

function gradientTests(backend: 'cpu' | 'wasm' | 'tensorflow'): void {
  for (const [architecture, latentDim] of CASES) {
    it(`${architecture} l${latentDim}: relative L2 error of the gradient < ${TOLERANCE}, same sums`, async () => {
      const p = problem(architecture, latentDim);
      await tf.setBackend('cpu');
      const reference = referenceGradient(p);
      await useBackend(backend);
      const engine = new TfjsEngine(p.spec, freshState(Float32Array.from(p.params)));
      try {
        const { grad, sums } = engine.gradient(p.x, p.w, p.noise);
        const error = relativeL2(grad, reference.grad);
        expect(error, `${backend} ${architecture} l${latentDim}: relative L2 error ${error.toExponential(2)}`).toBeLessThan(TOLERANCE);
        for (let i = 0; i < 3; i++) {
          expect(Math.abs(sums[i]! - reference.sums[i]!), `sum ${i}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(reference.sums[i]!)));
        }
        if (architecture !== 'AE') expect(sums[1]).toBeGreaterThan(0);
      } finally {
        engine.dispose();
      }
    });
  }
}

describe('tfjs engine gradient, cpu backend', () => gradientTests('cpu'));

describe('tfjs engine gradient, wasm backend', () => gradientTests('wasm'));

describe.skipIf(tensorflowMissing !== undefined)(
  `tfjs engine gradient, TensorFlow backend${tensorflowMissing ? ` (skipped: ${tensorflowMissing})` : ''}`,
  () => gradientTests('tensorflow'),
);
