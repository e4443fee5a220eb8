import { describe, expect, it } from 'vitest';
import { expandModels, modelName } from '../../definitions/matrix.js';
import type { ModelMatrixSpec } from '../../definitions/spec.js';

const names = (spec: ModelMatrixSpec) => expandModels(spec).models.map((m) => `${m.background}/${m.architecture}-l${m.latentDim}`);
const matrix = { background: ['all'], architecture: ['AE', 'VAE', 'DVAE'] as const, latentDim: [1, 2, 3] };

describe('expandModels (CI-style matrix)', () => {
  it('takes the product of the axes', () => {
    const spec: ModelMatrixSpec = {
      matrix: { ...matrix, architecture: ['AE', 'VAE'], background: ['all', 'taus'] },
      exclude: [],
      include: [],
    };
    expect(names(spec)).toHaveLength(2 * 2 * 3);
    expect(new Set(names(spec)).size).toBe(12);
  });

  it('exclude removes combinations matching every given key; list values match any item', () => {
    const spec: ModelMatrixSpec = {
      matrix: { ...matrix, architecture: [...matrix.architecture] },
      exclude: [
        { architecture: 'DVAE', latentDim: 1 },
        { architecture: ['AE', 'VAE'], latentDim: [2, 3] },
      ],
      include: [],
    };
    expect(names(spec)).toEqual(['all/AE-l1', 'all/VAE-l1', 'all/DVAE-l2', 'all/DVAE-l3']);
    expect(expandModels(spec).excludesMatchingNothing).toEqual([]);
  });

  it('include adds combinations after exclude, missing background meaning the matrix backgrounds', () => {
    const spec: ModelMatrixSpec = {
      matrix: { background: ['all', 'taus'], architecture: ['VAE'], latentDim: [2] },
      exclude: [{ background: 'taus' }],
      include: [
        { architecture: 'AE', latentDim: [1, 10] },
        { background: 'taus', architecture: 'VAE', latentDim: 2 },
      ],
    };
    const expansion = expandModels(spec);
    // Sorted by set (matrix order), architecture (AE, VAE, DVAE), latent dimension.
    expect(names(spec)).toEqual(['all/AE-l1', 'all/AE-l10', 'all/VAE-l2', 'taus/AE-l1', 'taus/AE-l10', 'taus/VAE-l2']);
    expect(expansion.models.find((m) => m.background === 'taus' && m.architecture === 'VAE')!.origin).toEqual({
      from: 'include',
      index: 1,
    });
    expect(expansion.models.find((m) => m.architecture === 'VAE' && m.background === 'all')!.origin).toEqual({ from: 'matrix' });
  });

  it('works from include alone', () => {
    expect(names({ exclude: [], include: [{ architecture: ['AE', 'DVAE'], latentDim: 4 }] })).toEqual(['all/AE-l4', 'all/DVAE-l4']);
  });

  it('lists entries that do nothing', () => {
    const spec: ModelMatrixSpec = {
      matrix: { ...matrix, architecture: ['AE'] },
      exclude: [{ latentDim: 2 }, { architecture: 'VAE' }, { latentDim: 7 }],
      include: [
        { architecture: 'AE', latentDim: [1, 3] },
        { architecture: 'AE', latentDim: [2, 3] },
      ],
    };
    const expansion = expandModels(spec);
    expect(expansion.excludesMatchingNothing).toEqual([1, 2]);
    expect(expansion.includesAddingNothing).toEqual([0]);
    expect(names(spec)).toEqual(['all/AE-l1', 'all/AE-l2', 'all/AE-l3']);
  });

  it('names models by set only when there are several sets', () => {
    const combo = {
      background: 'taus',
      architecture: 'DVAE' as const,
      latentDim: 9,
      settings: {},
      axes: {},
      origin: { from: 'matrix' as const },
    };
    expect(modelName(combo, false)).toBe('DVAE-l9');
    expect(modelName(combo, true)).toBe('taus/DVAE-l9');
  });
});
