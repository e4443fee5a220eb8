// Scoring with the fused kernel equals loadModel().score of the model artifact written from
// the same weights: per-event MSE of decoding the latent mean (DVAE: its softmax) and the
// latent output (the mean; for the DVAE its softmax).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Architecture } from '../../core/models.js';
import { loadFused, type FusedKind } from '../../activities/train/fused/index.js';
import { loadModel } from '../../activities/train/format.js';
import { writeModel } from '../../activities/train/model-file.js';
import { FEATURES } from './fixtures.js';
import { NATIVE, NATIVE_SKIP, problem } from './fused-helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const CASES: [Architecture, number][] = [
  ['AE', 1],
  ['AE', 8],
  ['VAE', 1],
  ['VAE', 16],
  ['DVAE', 2],
  ['DVAE', 16],
];

function scoreTests(kind: FusedKind): void {
  for (const [architecture, latentDim] of CASES) {
    it(`${architecture} l${latentDim}: mse and latent equal loadModel().score on 1000 events`, async () => {
      const kernel = await loadFused(kind);
      // Larger weights than the initial ones, so the latent means spread.
      const p = problem(architecture, latentDim, { rows: 1000, maxRows: 256, weightScale: 2, seed: latentDim });
      const dir = await mkdtemp(join(tmpdir(), 'fused-score-'));
      dirs.push(dir);
      await writeModel(join(dir, 'model'), p.shape, p.params, {
        model: `${architecture}-l${latentDim}`,
        features: FEATURES,
        hiddenLayers: p.spec.hiddenLayers,
        scaler: { features: FEATURES, mean: FEATURES.map(() => 0), std: FEATURES.map(() => 1), artifact: 'fitScaler/all' },
        trainedWith: { backend: 'fused', bestEpoch: 1, valLoss: 1, seed: 1 },
      });
      const model = await loadModel(dir);
      const expected = model.score(p.x);
      model.dispose();
      const engine = kernel.createEngine(p.spec);
      const got = engine.score(p.x, p.params);
      expect(got.mse.length).toBe(1000);
      expect(got.latent.length).toBe(1000 * latentDim);
      let mseError = 0;
      got.mse.forEach((m, i) => (mseError = Math.max(mseError, Math.abs(m - expected.mse[i]!) / Math.max(expected.mse[i]!, 1e-3))));
      expect(mseError, 'largest relative mse difference').toBeLessThan(1e-5);
      let latentError = 0;
      got.latent.forEach(
        (z, i) => (latentError = Math.max(latentError, Math.abs(z - expected.latent[i]!) / Math.max(Math.abs(expected.latent[i]!), 1))),
      );
      expect(latentError, 'largest latent difference').toBeLessThan(1e-5);
      if (architecture === 'DVAE') {
        for (let r = 0; r < 1000; r += 97)
          expect(got.latent.subarray(r * latentDim, (r + 1) * latentDim).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
    });
  }
}

describe('fused scoring, wasm build', () => scoreTests('wasm'));

describe.skipIf(!NATIVE.available)(`fused scoring, native build${NATIVE_SKIP}`, () => scoreTests('native'));
