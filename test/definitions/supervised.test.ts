// models.supervised in the sweep language: what a supervised model is trained on, how it
// compiles (train, score, scan nodes; the signal preselections among its inputs), and the
// bad input that gets one message each.
import { describe, expect, it } from 'vitest';
import type { DagNode, TrainParams } from '../../core/dag.js';
import { compileText, edit, errorsOf, lineOf, SMALL } from './fixture.js';

const LIGHT = 'idmdh_mchi1-0.5_mhp-0.5';
const GRID = [LIGHT, 'idmdh_mchi1-1_mhp-0.5', 'idmdh_mchi1-1_mhp-1', 'idmdh_mchi1-3_mhp-0.5', 'idmdh_mchi1-3_mhp-1'];

function withSupervised(entries: string): string {
  return edit(
    SMALL,
    '  exclude:\n    - { architecture: DVAE, latentDim: 1 }\n',
    `  exclude:\n    - { architecture: DVAE, latentDim: 1 }\n  supervised:\n${entries}`,
  );
}

function trainNode(text: string, model: string): DagNode<'train'> {
  const node = compileText(text).nodes.find((n) => n.id === `train/all/${model}`);
  if (!node) throw new Error(`no train/all/${model}`);
  return node as DagNode<'train'>;
}

/** The single message the text raises, checked to point at `line`. */
function oneError(text: string, line: number): string {
  const messages = errorsOf(text);
  expect(messages).toHaveLength(1);
  expect(messages[0]).toMatch(new RegExp(`^small\\.yaml:${line}:\\d+  `));
  return messages[0]!;
}

describe('models.supervised', () => {
  it('compiles a BDT on one example with the seed talk defaults, trained on background and that signal', () => {
    const text = withSupervised('    - { architecture: BDT, signal: light }\n');
    const train = trainNode(text, 'BDT-light');
    const params = train.params as TrainParams;
    expect(params.supervised).toEqual({
      classes: [{ name: 'signal', samples: [LIGHT] }],
      bdt: { trees: 100, maxDepth: 10, learningRate: 0.1, subsample: 0.8 },
    });
    expect(params.latentDim).toBe(0);
    expect(train.dependsOn).toContain(`preselect/${LIGHT}`);
    expect(train.dependsOn).toContain('fitScaler/all');
    const dag = compileText(text);
    const scan = dag.nodes.find((n) => n.id === 'scan/all/BDT-light')!;
    expect(scan.params).toMatchObject({ score: 'output', model: 'BDT-light', architecture: 'BDT', trainedOn: [LIGHT] });
    expect(dag.nodes.find((n) => n.id === 'report')!.dependsOn).toContain('scan/all/BDT-light');
  });

  it('gives the DNN its layers, learning rate and epochs (seeds/003 by default) over the training settings', () => {
    const text = withSupervised('    - { architecture: DNN, signal: [light, idmdh_mchi1-3_mhp-1] }\n');
    const params = trainNode(text, 'DNN-light+idmdh_mchi1-3_mhp-1').params as TrainParams;
    expect(params.training).toMatchObject({ hiddenLayers: [20, 20, 20], learningRate: 1e-4, epochs: 1500, folds: 2 });
    expect(params.supervised!.classes).toEqual([{ name: 'signal', samples: [LIGHT, 'idmdh_mchi1-3_mhp-1'] }]);
    const custom = edit(text, 'training:\n  preset: fast', 'training:\n  preset: fast\nsupervised:\n  dnn: { epochs: 7 }');
    expect((trainNode(custom, 'DNN-light+idmdh_mchi1-3_mhp-1').params as TrainParams).training.epochs).toBe(7);
  });

  it('trains on the whole grid with `all`, and a multiclass DNN on its classes in order', () => {
    const all = trainNode(withSupervised('    - { name: DNN-grid, architecture: DNN, signal: all }\n'), 'DNN-grid');
    expect((all.params as TrainParams).supervised!.classes[0]!.samples).toEqual(GRID);
    const multi = trainNode(
      withSupervised('    - { architecture: DNN, classes: { light: light, heavy: [idmdh_mchi1-3_mhp-0.5, idmdh_mchi1-3_mhp-1] } }\n'),
      'DNN-multiclass',
    );
    expect((multi.params as TrainParams).supervised!.classes).toEqual([
      { name: 'light', samples: [LIGHT] },
      { name: 'heavy', samples: ['idmdh_mchi1-3_mhp-0.5', 'idmdh_mchi1-3_mhp-1'] },
    ]);
  });
});

describe('models.supervised: bad input, one message each', () => {
  it('a supervised model without signal to train on', () => {
    for (const entry of ['    - { architecture: DNN }\n', '    - { architecture: BDT, signal: [] }\n']) {
      const text = withSupervised(entry);
      const message = oneError(text, lineOf(text, entry.trim()));
      expect(message).toContain('/models/supervised/0');
      expect(message).toMatch(
        /has no signal to train on; add `signal:` \(an example such as light, a list of points, or all\) or `classes:`/,
      );
    }
  });

  it('a multiclass group that names an unknown point', () => {
    const entry = '    - { architecture: DNN, classes: { light: light, heavy: [idmdh_mchi1-3_mhp-3] } }\n';
    const text = withSupervised(entry);
    const message = oneError(text, lineOf(text, entry.trim()));
    expect(message).toContain('/models/supervised/0/classes/heavy');
    expect(message).toContain('class heavy: "idmdh_mchi1-3_mhp-3" is not a signal point; did you mean');
    expect(message).toContain('name an example (light), a grid point');
  });

  it('a BDT with classes, and a name taken twice', () => {
    const bdt = withSupervised('    - { architecture: BDT, classes: { a: light } }\n');
    expect(oneError(bdt, lineOf(bdt, 'classes: { a: light }'))).toContain('only a DNN can have them');
    const twice = withSupervised('    - { architecture: BDT, signal: light }\n    - { name: BDT-light, architecture: BDT, signal: all }\n');
    expect(oneError(twice, lineOf(twice, 'name: BDT-light'))).toContain('the model name "BDT-light" is taken already');
  });
});
