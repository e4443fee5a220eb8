// Setting axes (seed, learning rate, beta, ...) in the model matrix, and seed ensembles.
import { describe, expect, it } from 'vitest';
import type { DagNode } from '../../core/dag.js';
import { expandModels, seedGroups } from '../../definitions/matrix.js';
import type { ModelMatrixSpec } from '../../definitions/spec.js';
import { compileText, edit, errorsOf, SMALL } from './fixture.js';

const ids = (spec: ModelMatrixSpec) => expandModels(spec).models.map((m) => `${m.background}/${m.architecture}-l${m.latentDim}`);
const names = (spec: ModelMatrixSpec) => expandModels(spec).models.map((m) => m.axes);

/** SMALL with its models block replaced. */
function withModels(models: string, extra = ''): string {
  return (
    edit(
      SMALL,
      'models:\n  matrix:\n    architecture: [AE, DVAE]\n    latentDim: [1, 2, 3]\n  exclude:\n    - { architecture: DVAE, latentDim: 1 }\n',
      `models:\n${models}\n`,
    ) + extra
  );
}

describe('setting axes in the matrix', () => {
  it('multiply the models, and name them by the axes that vary', () => {
    const spec: ModelMatrixSpec = {
      matrix: { background: ['all'], architecture: ['AE'], latentDim: [2], seed: [1, 2, 3], learningRate: [1e-3] },
      exclude: [],
      include: [],
    };
    const expansion = expandModels(spec);
    expect(ids(spec)).toHaveLength(3);
    // learningRate has one value: it is a setting of every model but not part of their names.
    expect(expansion.varying).toEqual(['seed']);
    expect(names(spec)).toEqual([{ seed: 1 }, { seed: 2 }, { seed: 3 }]);
    expect(expansion.models.every((m) => m.settings.learningRate === 1e-3)).toBe(true);
  });

  it('apply beta to VAEs only and dvaeBeta to DVAEs only', () => {
    const spec: ModelMatrixSpec = {
      matrix: { background: ['all'], architecture: ['AE', 'VAE', 'DVAE'], latentDim: [2], beta: [0.1, 1], dvaeBeta: [0, 0.01] },
      exclude: [],
      include: [],
    };
    const models = expandModels(spec).models;
    expect(models.map((m) => `${m.architecture} ${JSON.stringify(m.axes)}`)).toEqual([
      'AE {}',
      'VAE {"beta":0.1}',
      'VAE {"beta":1}',
      'DVAE {"dvaeBeta":0}',
      'DVAE {"dvaeBeta":0.01}',
    ]);
  });

  it('keep a model that leaves an axis unset apart from one that sets it to the preset value', () => {
    const spec: ModelMatrixSpec = {
      matrix: { background: ['all'], architecture: ['VAE'], latentDim: [2] },
      exclude: [],
      include: [{ architecture: 'VAE', latentDim: 2, beta: 0.1 }],
    };
    const expansion = expandModels(spec);
    expect(expansion.varying).toEqual(['beta']);
    expect(names(spec)).toEqual([{}, { beta: 0.1 }]);
  });

  it('take hidden layers as one list of widths or a list of them', () => {
    const one: ModelMatrixSpec = { exclude: [], include: [{ architecture: 'AE', latentDim: 2, hiddenLayers: [64, 64] }] };
    expect(expandModels(one).models.map((m) => m.settings.hiddenLayers)).toEqual([[64, 64]]);
    const two: ModelMatrixSpec = {
      matrix: { background: ['all'], architecture: ['AE'], latentDim: [2], hiddenLayers: [[64], [100, 100, 100]] },
      exclude: [],
      include: [],
    };
    expect(names(two)).toEqual([{ hiddenLayers: [64] }, { hiddenLayers: [100, 100, 100] }]);
  });

  it('let exclude match on a setting', () => {
    const spec: ModelMatrixSpec = {
      matrix: { background: ['all'], architecture: ['AE', 'VAE'], latentDim: [2], seed: [1, 2] },
      exclude: [{ architecture: 'VAE', seed: 2 }],
      include: [],
    };
    expect(expandModels(spec).models.map((m) => `${m.architecture}-s${m.settings.seed}`)).toEqual(['AE-s1', 'AE-s2', 'VAE-s1']);
  });

  it('group models that differ in the seed alone', () => {
    const spec: ModelMatrixSpec = {
      matrix: { background: ['all'], architecture: ['AE', 'VAE'], latentDim: [2], seed: [1, 2], beta: [0.1, 1] },
      exclude: [],
      include: [],
    };
    const groups = seedGroups(expandModels(spec).models);
    expect(groups.map((g) => g.map((m) => `${m.architecture}-${m.settings.beta ?? ''}-s${m.settings.seed}`))).toEqual([
      ['AE--s1', 'AE--s2'],
      ['VAE-0.1-s1', 'VAE-0.1-s2'],
      ['VAE-1-s1', 'VAE-1-s2'],
    ]);
  });
});

describe('compiled with setting axes', () => {
  it('gives each training its settings and a name with the varying axes; ids of a sweep without axes do not change', () => {
    const plain = compileText();
    expect(plain.nodes.filter((n) => n.kind === 'train').map((n) => n.id)).toContain('train/all/AE-l2');

    const dag = compileText(
      withModels('  matrix:\n    architecture: [AE]\n    latentDim: [2]\n    seed: [11, 12]\n    learningRate: [0.01]'),
    );
    const trains = dag.nodes.filter((n): n is DagNode<'train'> => n.kind === 'train');
    expect(trains.map((t) => t.id)).toEqual(['train/all/AE-l2-s11', 'train/all/AE-l2-s12']);
    expect(trains.map((t) => [t.params.training.seed, t.params.training.learningRate])).toEqual([
      [11, 0.01],
      [12, 0.01],
    ]);
    const scan = dag.nodes.find((n): n is DagNode<'scan'> => n.id === 'scan/all/AE-l2-s12')!;
    expect(scan.params.settings).toMatchObject({ seed: 12, learningRate: 0.01 });
  });

  it('adds, with ensemble: seed, a mean-score node and its scan per seed group', () => {
    const dag = compileText(
      withModels('  matrix:\n    architecture: [AE, DVAE]\n    latentDim: [2]\n    seed: [1, 2, 3]\n  ensemble: seed'),
    );
    const ensembles = dag.nodes.filter((n): n is DagNode<'ensemble'> => n.kind === 'ensemble');
    expect(ensembles.map((n) => n.id)).toEqual(['ensemble/all/AE-l2-ens', 'ensemble/all/DVAE-l2-ens']);
    expect(ensembles[0]!.dependsOn).toEqual(['score/all/AE-l2-s1', 'score/all/AE-l2-s2', 'score/all/AE-l2-s3']);
    expect(ensembles[0]!.params.members).toEqual(['AE-l2-s1', 'AE-l2-s2', 'AE-l2-s3']);
    const scan = dag.nodes.find((n): n is DagNode<'scan'> => n.id === 'scan/all/AE-l2-ens')!;
    expect(scan.dependsOn[0]).toBe('ensemble/all/AE-l2-ens');
    expect(scan.params.ensembleOf).toEqual(['AE-l2-s1', 'AE-l2-s2', 'AE-l2-s3']);
    expect(scan.params.settings.seed).toBeUndefined();
    const report = dag.nodes.find((n) => n.kind === 'report')!;
    expect(report.dependsOn).toContain('scan/all/AE-l2-ens');
  });

  it('lets report.heatmapModel name an ensemble', () => {
    const text = withModels(
      '  matrix:\n    architecture: [AE]\n    latentDim: [2]\n    seed: [1, 2]\n  ensemble: seed',
      'report: { heatmapModel: AE-l2-ens }\n',
    );
    const report = compileText(text).nodes.find((n): n is DagNode<'report'> => n.kind === 'report')!;
    expect(report.params.heatmapModel).toBe('AE-l2-ens');
  });
});

describe('setting axes: mistakes', () => {
  it('refuses beta in a matrix without VAEs', () => {
    expect(errorsOf(withModels('  matrix:\n    architecture: [AE]\n    latentDim: [2]\n    beta: [0.1, 1]')).join('\n')).toMatch(
      /\/models\/matrix\/beta.*applies to VAE models only.*add VAE to matrix\.architecture or remove beta/,
    );
  });

  it('refuses an ensemble without seed groups, naming the fix', () => {
    expect(errorsOf(withModels('  matrix:\n    architecture: [AE]\n    latentDim: [2]\n  ensemble: seed')).join('\n')).toMatch(
      /\/models\/ensemble.*seed: \[1, 2, 3\]/,
    );
  });

  it('refuses an ensemble scanned on a latent score', () => {
    const text = edit(
      withModels('  matrix:\n    architecture: [AE]\n    latentDim: [2]\n    seed: [1, 2]\n  ensemble: seed'),
      'training:\n',
      'scan: { score: "latent:0" }\ntraining:\n',
    );
    expect(errorsOf(text).join('\n')).toMatch(/\/models\/ensemble.*use scan\.score mse/);
  });

  it('refuses an unknown ensemble kind through the schema', () => {
    expect(
      errorsOf(withModels('  matrix:\n    architecture: [AE]\n    latentDim: [2]\n    seed: [1, 2]\n  ensemble: median')).join('\n'),
    ).toMatch(/ensemble/);
  });
});
