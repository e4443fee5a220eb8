// The training loop in-process (no child): reproducibility, exact resume from a mid-epoch
// checkpoint, the NaN path, the model files, and a real (small) training.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../activities/train/backend.js';
import { loadModel } from '../../activities/train/format.js';
import { writeModel } from '../../activities/train/model-file.js';
import { lossTerms } from '../../activities/train/network.js';
import { Trainer, type TrainerConfig, type TrainingData } from '../../activities/train/trainer.js';
import type { TrainingSettings } from '../../core/dag.js';
import type { Architecture } from '../../core/models.js';
import { FEATURES, settings, trainingData } from './fixtures.js';

beforeAll(async () => {
  await useBackend('wasm');
});

function config(architecture: Architecture, latentDim: number, overrides: Partial<TrainingSettings> = {}): TrainerConfig {
  return { model: `${architecture}-l${latentDim}`, architecture, latentDim, settings: settings(overrides), backend: 'wasm' };
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

describe('Trainer', () => {
  it('is reproducible: same seed, data and backend give the same weights and losses', async () => {
    const cfg = config('VAE', 2, { epochs: 2, batchSize: 64 });
    const a = await train(cfg, small);
    const b = await train(cfg, small);
    expect(await b.trainer.currentWeights()).toEqual(await a.trainer.currentWeights());
    const losses = (t: Trainer) => t.epochHistory().map(({ seconds: _s, ...rest }) => rest);
    expect(losses(b.trainer)).toEqual(losses(a.trainer));
    const c = await train(config('VAE', 2, { epochs: 2, batchSize: 64, seed: 8 }), small);
    expect(await c.trainer.currentWeights()).not.toEqual(await a.trainer.currentWeights());
  });

  it('resumes from a mid-epoch checkpoint to exactly the weights of an uninterrupted run', async () => {
    for (const architecture of ['AE', 'DVAE'] as const) {
      const cfg = config(architecture, 3, { epochs: 3, batchSize: 64, folds: 3 });
      const full = await train(cfg, small);
      // 600 events, 3 folds, batch 64: 7 steps per fold, 21 per epoch; step 30 is in epoch 2.
      const stopped = await train(cfg, small, 30);
      expect(stopped.outcome).toBe('stopped');
      expect(stopped.trainer.epochsCompleted).toBe(1);
      const resumed = await Trainer.open(cfg, small, stopped.path);
      expect(resumed.epochsCompleted).toBe(1);
      expect(await resumed.run(stopped.path)).toBe('finished');
      const a = await full.trainer.currentWeights();
      const b = await resumed.currentWeights();
      expect(Math.max(...a.map((w, i) => Math.abs(w - b[i]!)))).toBeLessThanOrEqual(1e-6);
      expect(resumed.bestWeights()).toEqual(full.trainer.bestWeights());
      expect(resumed.epochHistory().map((r) => r.valLoss)).toEqual(full.trainer.epochHistory().map((r) => r.valLoss));
    }
  });

  it('fails with a UserError naming the model, the epoch and what to try when the loss is not finite', async () => {
    const cfg = config('AE', 2, { epochs: 3, learningRate: 1e30, clipNorm: 0 });
    await expect(train(cfg, small)).rejects.toMatchObject({
      name: 'UserError',
      message: expect.stringMatching(/model AE-l2: the training loss is (NaN|Infinity) in epoch 1.*lower training\.learningRate.*scaler/),
    });
  });

  it('writes a model that loadModel reads back and evaluates at the latent mean', async () => {
    const { trainer } = await train(config('AE', 3, { epochs: 1 }), small);
    const dir = await mkdtemp(join(tmpdir(), 'model-'));
    const scaler = { features: FEATURES, mean: FEATURES.map(() => 0), std: FEATURES.map(() => 1), artifact: 'fitScaler/all' };
    const common = { model: 'AE-l3', features: FEATURES, hiddenLayers: [100, 100, 100], scaler };
    await writeModel(join(dir, 'model'), trainer.shape, trainer.bestWeights(), {
      ...common,
      trainedWith: { backend: 'wasm', bestEpoch: 1, valLoss: 1, seed: 7 },
    });
    const model = await loadModel(dir);
    const x = small.x.subarray(0, 50 * 20);
    const expected = tf.tidy(() =>
      lossTerms(trainer.shape, tf.tensor1d(trainer.bestWeights()), tf.tensor2d(x, [50, 20]), null, null).mse.dataSync(),
    );
    const got = model.mse(x);
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    expect(model.encode(x).latent.length).toBe(50 * 3);
    expect(model.descriptor).toMatchObject({ architecture: 'AE', latentDim: 3, trainedWith: { backend: 'wasm' } });

    const dvae = await train(config('DVAE', 4, { epochs: 1 }), small);
    await writeModel(join(dir, 'dvae'), dvae.trainer.shape, dvae.trainer.bestWeights(), {
      ...common,
      trainedWith: { backend: 'wasm', bestEpoch: 1, valLoss: 1, seed: 7 },
    });
    const { mean, latent } = (await loadModel(join(dir, 'dvae'))).encode(x);
    expect(mean.length).toBe(50 * 4);
    for (let r = 0; r < 50; r++) expect(latent.subarray(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('learns: on correlated data the AE at latentDim 10 ends clearly below latentDim 1', async () => {
    const data = trainingData(2000, 6, 2);
    const best = async (latentDim: number) => {
      const { trainer } = await train(config('AE', latentDim, { epochs: 12, earlyStopping: { enabled: false, patience: 1 } }), data);
      return trainer.bestEpoch!.loss;
    };
    const [wide, narrow] = [await best(10), await best(1)];
    expect(wide).toBeLessThan(0.6 * narrow);
  });
});
