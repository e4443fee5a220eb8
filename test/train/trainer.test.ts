// The training loop in-process (no child), on the fused engine (the default) and on the
// tfjs engine (wasm): reproducibility, resume from a mid-epoch checkpoint (bit for bit on
// the fused engine), the NaN path, the model files, and a real (small) training.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useBackend, type Backend } from '../../activities/train/backend.js';
import { loadModel } from '../../activities/train/format.js';
import { writeModel } from '../../activities/train/model-writer.js';
import { Trainer, type TrainerConfig, type TrainingData } from '../../activities/train/trainer.js';
import type { BackendSetting, TrainingSettings } from '../../core/dag.js';
import type { Architecture } from '../../core/models.js';
import { FEATURES, settings, trainingData } from './fixtures.js';

/** The engine each case runs on: the fused kernel (native where built, else wasm) and tfjs wasm. */
const BACKENDS = ['fused', 'wasm'] as const satisfies BackendSetting[];

function config(backend: Backend, architecture: Architecture, latentDim: number, overrides: Partial<TrainingSettings> = {}): TrainerConfig {
  return { model: `${architecture}-l${latentDim}`, architecture, latentDim, settings: settings(overrides), backend };
}

async function checkpointPath(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'trainer-')), 'checkpoint.bin');
}

async function train(cfg: TrainerConfig, data: TrainingData, stopAtStep?: number) {
  const path = await checkpointPath();
  const trainer = await Trainer.open(cfg, data, path);
  let steps = 0;
  const outcome = await trainer.run(path, { shouldStop: () => stopAtStep !== undefined && steps++ === stopAtStep });
  return { trainer, outcome, path };
}

const small = trainingData(600, 3, 1);

for (const setting of BACKENDS) {
  describe(`Trainer on ${setting}`, () => {
    let backend: Backend;
    const cfg = (architecture: Architecture, latentDim: number, overrides: Partial<TrainingSettings> = {}) =>
      config(backend, architecture, latentDim, overrides);

    it('is reproducible: same seed, data and backend give the same weights and losses', async () => {
      backend = await useBackend(setting);
      const a = await train(cfg('VAE', 2, { epochs: 2, batchSize: 64 }), small);
      const b = await train(cfg('VAE', 2, { epochs: 2, batchSize: 64 }), small);
      expect(await b.trainer.currentWeights()).toEqual(await a.trainer.currentWeights());
      const losses = (t: Trainer) => t.epochHistory().map(({ seconds: _s, ...rest }) => rest);
      expect(losses(b.trainer)).toEqual(losses(a.trainer));
      expect(a.trainer.epochHistory().every((row) => row.backend === backend.name)).toBe(true);
      const c = await train(cfg('VAE', 2, { epochs: 2, batchSize: 64, seed: 8 }), small);
      expect(await c.trainer.currentWeights()).not.toEqual(await a.trainer.currentWeights());
    });

    it(`resumes from a mid-epoch checkpoint to the weights of an uninterrupted run (${setting === 'fused' ? 'bit for bit' : 'within 1e-6'})`, async () => {
      backend = await useBackend(setting);
      for (const architecture of ['AE', 'DVAE'] as const) {
        const c = cfg(architecture, 3, { epochs: 3, batchSize: 64, folds: 3 });
        const full = await train(c, small);
        // 600 events, 3 folds, batch 64: 7 steps per fold, 21 per epoch; step 30 is in epoch 2.
        const stopped = await train(c, small, 30);
        expect(stopped.outcome).toBe('stopped');
        expect(stopped.trainer.epochsCompleted).toBe(1);
        const resumed = await Trainer.open(c, small, stopped.path);
        expect(resumed.epochsCompleted).toBe(1);
        expect(await resumed.run(stopped.path)).toBe('finished');
        const a = await full.trainer.currentWeights();
        const b = await resumed.currentWeights();
        // The fused engine's state is the checkpoint's arrays exactly; tfjs wasm may round
        // differently when tensors are rebuilt (XNNPACK picks kernels by alignment).
        if (setting === 'fused') expect(b).toEqual(a);
        else expect(Math.max(...a.map((w, i) => Math.abs(w - b[i]!)))).toBeLessThanOrEqual(1e-6);
        expect(resumed.bestWeights()).toEqual(full.trainer.bestWeights());
        expect(resumed.epochHistory().map((r) => r.valLoss)).toEqual(full.trainer.epochHistory().map((r) => r.valLoss));
      }
    });

    it('fails with a UserError naming the model, the epoch and what to try when the loss is not finite', async () => {
      backend = await useBackend(setting);
      await expect(train(cfg('AE', 2, { epochs: 3, learningRate: 1e30, clipNorm: 0 }), small)).rejects.toMatchObject({
        name: 'UserError',
        message: expect.stringMatching(/model AE-l2: the training loss is (NaN|Infinity) in epoch 1.*lower training\.learningRate.*scaler/),
      });
    });

    it('learns: on correlated data the AE at latentDim 10 ends clearly below latentDim 1', async () => {
      backend = await useBackend(setting);
      const data = trainingData(2000, 6, 2);
      const best = async (latentDim: number) => {
        const { trainer } = await train(cfg('AE', latentDim, { epochs: 12, earlyStopping: { enabled: false, patience: 1 } }), data);
        return trainer.bestEpoch!.loss;
      };
      const [wide, narrow] = [await best(10), await best(1)];
      expect(wide).toBeLessThan(0.6 * narrow);
    });
  });
}

describe('model files', () => {
  it('loadModel reads back what a training wrote and scores at the latent mean (DVAE: on the simplex)', async () => {
    const backend = await useBackend('fused');
    const dir = await mkdtemp(join(tmpdir(), 'model-'));
    const scaler = { features: FEATURES, mean: FEATURES.map(() => 0), std: FEATURES.map(() => 1), artifact: 'fitScaler/all' };
    const common = { model: 'X', features: FEATURES, hiddenLayers: [100, 100, 100], scaler };
    const x = small.x.subarray(0, 50 * 20);
    for (const [architecture, latentDim] of [
      ['AE', 3],
      ['DVAE', 4],
    ] as const) {
      const { trainer } = await train(config(backend, architecture, latentDim, { epochs: 1 }), small);
      const where = join(dir, architecture);
      await writeModel(join(where, 'model'), trainer.shape, trainer.bestWeights(), {
        ...common,
        trainedWith: { backend: backend.name, bestEpoch: 1, valLoss: 1, seed: 7 },
      });
      const model = await loadModel(where);
      expect(model.descriptor).toMatchObject({ architecture, latentDim, trainedWith: { backend: backend.name } });
      expect(model.backend).toBe(backend.name);
      const { mse, latent } = model.score(x);
      expect(mse.length).toBe(50);
      expect(latent.length).toBe(50 * latentDim);
      // The same files scored by the tfjs engine (the worker's --backend cpu).
      const reference = await loadModel(where, 'cpu');
      expect(reference.backend).toBe('cpu');
      const expected = reference.score(x);
      mse.forEach((m, i) => expect(m).toBeCloseTo(expected.mse[i]!, 5));
      latent.forEach((z, i) => expect(z).toBeCloseTo(expected.latent[i]!, 5));
      if (architecture === 'DVAE') {
        for (let r = 0; r < 50; r++) expect(latent.subarray(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
      model.dispose();
    }
  });
});
