// Every bad hyperparameter is named, with its YAML path and a fix, before anything runs.
import { describe, expect, it } from 'vitest';
import type { TrainParams, TrainingSettings } from '../../definitions/dag.js';
import { validateTrainParams } from '../../activities/train/settings.js';
import { FEATURES, settings } from './fixtures.js';

function params(training: Partial<TrainingSettings>, model: Partial<TrainParams> = {}): TrainParams {
  return { model: 'VAE-l2', architecture: 'VAE', latentDim: 2, background: 'all', samples: [], features: FEATURES, training: settings(training), ...model };
}

describe('training settings', () => {
  it('accept both presets', () => {
    expect(() => validateTrainParams(params({}))).not.toThrow();
    expect(() => validateTrainParams(params({ ...settings(), epochs: 500, learningRate: 1e-5 }))).not.toThrow();
  });

  const cases: [string, Partial<TrainingSettings>, Partial<TrainParams>, RegExp][] = [
    ['learning rate <= 0', { learningRate: -1e-3 }, {}, /training\.learningRate must be > 0 \(got -0\.001\)/],
    ['batch < 1', { batchSize: 0 }, {}, /training\.batchSize must be a whole number >= 1 \(got 0\)/],
    ['folds < 2', { folds: 1 }, {}, /training\.folds must be a whole number >= 2/],
    ['fractional epochs', { epochs: 2.5 }, {}, /training\.epochs must be a whole number >= 1/],
    ['alpha <= 0', { dirichletAlpha: { others: 0.9, last: 0 } }, {}, /dirichletAlpha values must be > 0 \(got others 0\.9, last 0\)/],
    ['negative beta', { beta: -0.1 }, {}, /training\.beta must be >= 0/],
    ['negative dvaeBeta', { dvaeBeta: -1 }, {}, /training\.dvaeBeta must be >= 0/],
    ['negative clipNorm', { clipNorm: -1 }, {}, /training\.clipNorm must be >= 0.*0 turns clipping off/],
    ['plateau factor >= 1', { plateau: { enabled: true, factor: 1, patience: 10, threshold: 1e-4, minLr: 0 } }, {}, /plateau\.factor must be between 0 and 1/],
    ['early-stopping patience 0', { earlyStopping: { enabled: true, patience: 0 } }, {}, /earlyStopping\.patience must be a whole number >= 1/],
    ['empty hidden layer', { hiddenLayers: [100, 0] }, {}, /hiddenLayers must be whole numbers >= 1/],
    ['unknown backend', { backend: 'gpu' as TrainingSettings['backend'] }, {}, /training\.backend must be one of auto, tensorflow, wasm, cpu/],
    ['DVAE with one latent variable', {}, { architecture: 'DVAE', latentDim: 1 }, /a DVAE needs latentDim >= 2/],
  ];
  for (const [what, training, model, message] of cases) {
    it(`reject ${what}`, () => {
      expect(() => validateTrainParams(params(training, model))).toThrow(message);
      expect(() => validateTrainParams(params(training, model))).toThrow(/^model \S+: invalid training settings — .*Fix them in the definition/);
    });
  }
});
