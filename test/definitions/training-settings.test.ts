// A train node's settings are checked where the training starts, against the schema
// fragment of the definition's `training` section: every bad value is named with its path.
import { describe, expect, it } from 'vitest';
import type { TrainingSettings } from '../../core/dag.js';
import { PRESETS } from '../../definitions/presets.js';
import { trainingSettingsProblems } from '../../definitions/training-settings.js';

const settings = (overrides: Partial<TrainingSettings> = {}): TrainingSettings => ({ ...PRESETS.fast, seed: 7, ...overrides });

describe('training settings of a node', () => {
  it('accept both presets', () => {
    expect(trainingSettingsProblems({ ...PRESETS.thesis, seed: 0 })).toEqual([]);
    expect(trainingSettingsProblems(settings())).toEqual([]);
  });

  const cases: [string, Partial<TrainingSettings>, RegExp][] = [
    ['learning rate <= 0', { learningRate: -1e-3 }, /^training\.learningRate must be > 0 \(got -0\.001\)$/],
    ['batch < 1', { batchSize: 0 }, /^training\.batchSize must be >= 1 \(got 0\)$/],
    ['folds < 2', { folds: 1 }, /^training\.folds must be >= 2/],
    ['fractional epochs', { epochs: 2.5 }, /^training\.epochs must be integer \(got 2\.5\)$/],
    ['alpha <= 0', { dirichletAlpha: { others: 0.9, last: 0 } }, /^training\.dirichletAlpha\.last must be > 0/],
    ['negative beta', { beta: -0.1 }, /^training\.beta must be >= 0/],
    ['negative dvaeBeta', { dvaeBeta: -1 }, /^training\.dvaeBeta must be >= 0/],
    ['negative clipNorm', { clipNorm: -1 }, /^training\.clipNorm must be >= 0/],
    [
      'plateau factor >= 1',
      { plateau: { enabled: true, factor: 1, patience: 10, threshold: 1e-4, minLr: 0 } },
      /^training\.plateau\.factor must be < 1/,
    ],
    ['early-stopping patience 0', { earlyStopping: { enabled: true, patience: 0 } }, /^training\.earlyStopping\.patience must be >= 1/],
    ['a zero-width hidden layer', { hiddenLayers: [100, 0] }, /^training\.hiddenLayers\.1 must be >= 1/],
    ['no hidden layer', { hiddenLayers: [] }, /^training\.hiddenLayers must NOT have fewer than 1 items/],
    ['negative seed', { seed: -3 }, /^training\.seed must be >= 0 \(got -3\)$/],
    [
      'unknown backend',
      { backend: 'gpu' as TrainingSettings['backend'] },
      /^training\.backend must be one of auto, fused, fused-native, fused-wasm, tensorflow-gpu, tensorflow, wasm, cpu \(got "gpu"\)$/,
    ],
  ];
  for (const [what, overrides, message] of cases) {
    it(`reject ${what}`, () => {
      const problems = trainingSettingsProblems(settings(overrides));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(message);
    });
  }

  it('reject settings with a field missing', () => {
    const { swa: _swa, ...incomplete } = settings();
    expect(trainingSettingsProblems(incomplete as TrainingSettings)).toEqual(["training must have required property 'swa'"]);
  });
});
