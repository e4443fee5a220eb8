import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { canonicalJson, compile, deriveSeed, KEY_SCHEME } from '../../definitions/compile.js';
import { expandCut } from '../../definitions/cuts.js';
import { NODE_KINDS, type DagNode } from '../../core/dag.js';
import { loadSpec } from '../../definitions/load.js';
import { PRESETS } from '../../definitions/presets.js';
import { changedKeys, CODE, compileText, downstreamOf, edit, inputsOf, keysById, load, SMALL } from './fixture.js';

const node = (nodes: DagNode[], id: string) => {
  const found = nodes.find((n) => n.id === id);
  if (!found) throw new Error(`no node ${id}`);
  return found;
};

describe('the shipped definitions', () => {
  it('thesis.yaml compiles to exactly 29 trainings: AE 1-10, VAE 1-10, DVAE 2-10', () => {
    const dag = compile(loadSpec('definitions/thesis.yaml'), { codeVersions: CODE });
    const trains = dag.nodes.filter((n): n is DagNode<'train'> => n.kind === 'train');
    expect(trains).toHaveLength(29);
    const models = (arch: string) => trains.filter((t) => t.params.architecture === arch).map((t) => t.params.latentDim);
    const range = (from: number) => Array.from({ length: 11 - from }, (_, i) => from + i);
    expect(models('AE')).toEqual(range(1));
    expect(models('VAE')).toEqual(range(1));
    expect(models('DVAE')).toEqual(range(2));
    expect(trains.every((t) => t.params.background === 'all' && t.queue === 'gpu')).toBe(true);
    expect(trains[0].params.training).toMatchObject({ ...PRESETS.thesis });
    expect(node(dag.nodes, 'train/all/DVAE-l9').summary).toBe('train DVAE-l9 on all');

    const samples = dag.nodes.filter((n): n is DagNode<'preselect'> => n.kind === 'preselect').map((n) => n.params.sample);
    expect(samples.filter((s) => s.kind === 'background')).toHaveLength(14);
    const signals = samples.filter((s) => s.kind === 'signal');
    // 28 pairs with m_h' <= m_chi1, less the three that Eq. 3.7 closes at m_chi1 = 3.
    expect(signals).toHaveLength(25);
    expect(signals.every((s) => s.mHprime! <= s.mChi1! && 'generate' in s.source && s.source.generate.events === 25000)).toBe(true);
    const report = node(dag.nodes, 'report') as DagNode<'report'>;
    for (const example of report.params.examples) {
      expect(signals.some((s) => s.mChi1 === example.mChi1 && s.mHprime === example.mHprime)).toBe(true);
    }
    expect(report.params.examples.map((e) => e.name)).toEqual(['light', 'heavy', 'splitting']);
    expect(dag.limits.maxParallel).toEqual({ train: 2, cpu: 2 });
  });

  it('quick.yaml compiles with AE 1 and 10, all three architectures, the fast preset and the three examples', () => {
    const dag = compile(loadSpec('definitions/quick.yaml'), { codeVersions: CODE });
    const trains = dag.nodes.filter((n): n is DagNode<'train'> => n.kind === 'train');
    const ids = trains.map((t) => t.id);
    expect(ids).toContain('train/all/AE-l1');
    expect(ids).toContain('train/all/AE-l10');
    expect(new Set(trains.map((t) => t.params.architecture))).toEqual(new Set(['AE', 'VAE', 'DVAE']));
    expect(trains.every((t) => t.params.training.epochs === PRESETS.fast.epochs)).toBe(true);
    const report = node(dag.nodes, 'report') as DagNode<'report'>;
    expect(report.params.examples).toHaveLength(3);
    for (const example of report.params.examples)
      expect(dag.nodes.some((n) => n.id.startsWith(`preselect/idmdh_mchi1-${example.mChi1}_mhp-${example.mHprime}`))).toBe(true);
  });
});

describe('compile: nodes, dependencies and parameters', () => {
  const dag = compileText();
  const ids = dag.nodes.map((n) => n.id);

  it('creates the nodes of every kind with their ids and queues', () => {
    expect(ids.filter((id) => id.startsWith('generate/'))).toEqual([
      'generate/tautau',
      'generate/uubar',
      'generate/idmdh_mchi1-0.5_mhp-0.5',
      'generate/idmdh_mchi1-1_mhp-0.5',
      'generate/idmdh_mchi1-1_mhp-1',
      'generate/idmdh_mchi1-3_mhp-0.5',
      'generate/idmdh_mchi1-3_mhp-1',
    ]);
    expect(ids.filter((id) => id.startsWith('train/'))).toEqual([
      'train/all/AE-l1',
      'train/all/AE-l2',
      'train/all/AE-l3',
      'train/all/DVAE-l2',
      'train/all/DVAE-l3',
    ]);
    expect(ids.filter((id) => id.startsWith('fitScaler/'))).toEqual(['fitScaler/all']); // taus is defined but unused
    expect(dag.nodes.every((n) => n.queue === (n.kind === 'train' ? 'gpu' : 'cpu'))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // Grouped by kind in pipeline order, so every dependency comes first.
    const rank = dag.nodes.map((n) => NODE_KINDS.indexOf(n.kind));
    expect(rank).toEqual([...rank].sort((a, b) => a - b));
  });

  it('wires the dependencies', () => {
    const backgroundPreselects = ['preselect/tautau', 'preselect/uubar', 'preselect/mine'];
    const signalPreselects = ids.filter((id) => id.startsWith('preselect/idmdh'));
    expect(node(dag.nodes, 'preselect/tautau').dependsOn).toEqual(['generate/tautau']);
    expect(node(dag.nodes, 'preselect/mine').dependsOn).toEqual([]); // a file sample has no generate node
    expect(ids).not.toContain('generate/mine');
    expect(node(dag.nodes, 'fitScaler/all').dependsOn).toEqual(backgroundPreselects);
    expect(node(dag.nodes, 'train/all/AE-l2').dependsOn).toEqual(['fitScaler/all', ...backgroundPreselects]);
    expect(new Set(node(dag.nodes, 'score/all/AE-l2').dependsOn)).toEqual(
      new Set(['train/all/AE-l2', 'fitScaler/all', ...backgroundPreselects, ...signalPreselects]),
    );
    expect(node(dag.nodes, 'scan/all/AE-l2').dependsOn).toEqual(['score/all/AE-l2', ...signalPreselects]);
    const report = node(dag.nodes, 'report').dependsOn;
    expect(new Set(report)).toEqual(new Set(ids.filter((id) => id.startsWith('train/') || id.startsWith('scan/'))));
  });

  it('resolves sample, preselection and training parameters', () => {
    const preselect = node(dag.nodes, 'preselect/idmdh_mchi1-3_mhp-1') as DagNode<'preselect'>;
    expect(preselect.params.sample).toMatchObject({
      name: 'idmdh_mchi1-3_mhp-1',
      kind: 'signal',
      process: 'idmdh',
      mChi1: 3,
      mHprime: 1,
      luminosityFb: 100,
    });
    expect(preselect.params.cuts).toEqual([
      { name: 'goodTracks', expr: '(eminus_nCDCHits > 20) && (muplus_nCDCHits > 20)' },
      { name: 'noExtraTracks', expr: 'nExtraTracks == 0' },
    ]);
    expect(preselect.params).toMatchObject({
      bestCandidate: { minimise: 'missE' },
      features: ['eminus_E', 'muplus_E', 'missE', 'missPz'],
      columns: {},
      testFraction: 0.3,
    });
    expect((node(dag.nodes, 'preselect/mine') as DagNode<'preselect'>).params.sample.source).toEqual({
      files: [{ path: 'mumu.parquet', sha256: 'sha256 of mumu.parquet' }],
      weight: 2,
    });

    const train = node(dag.nodes, 'train/all/DVAE-l3') as DagNode<'train'>;
    expect(train.params).toMatchObject({
      model: 'DVAE-l3',
      architecture: 'DVAE',
      latentDim: 3,
      background: 'all',
      samples: ['tautau', 'uubar', 'mine'],
    });
    expect(train.params.training).toMatchObject({ ...PRESETS.fast });
    const scan = node(dag.nodes, 'scan/all/DVAE-l3') as DagNode<'scan'>;
    expect(scan.params).toMatchObject({ model: 'DVAE-l3', score: 'mse', punziA: 1, quantiles: [0.01, 0.99], steps: 100 });
    expect((node(dag.nodes, 'report') as DagNode<'report'>).params).toEqual({
      sweep: 'small',
      luminosityFb: 100,
      examples: [{ name: 'light', mChi1: 0.5, mHprime: 0.5 }],
      heatmapModel: 'AE-l1',
    });
  });

  it('overrides preset settings field by field', () => {
    const text = edit(SMALL, '  preset: fast', '  preset: thesis\n  epochs: 7\n  plateau: { patience: 2 }\n  seed: 11');
    const training = (node(compileText(text).nodes, 'train/all/AE-l1') as DagNode<'train'>).params.training;
    expect(training).toEqual({ ...PRESETS.thesis, epochs: 7, plateau: { ...PRESETS.thesis.plateau, patience: 2 }, seed: 11 });
  });

  it('derives seeds deterministically from the sweep seed and the node name', () => {
    const seeds = (text: string) =>
      compileText(text)
        .nodes.filter((n): n is DagNode<'generate'> => n.kind === 'generate')
        .map((n) => ('generate' in n.params.sample.source ? n.params.sample.source.generate.seed : -1));
    const first = seeds(SMALL);
    expect(seeds(SMALL)).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
    expect(first.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 31)).toBe(true);
    expect(seeds(edit(SMALL, 'seed: 7', 'seed: 8'))).not.toEqual(first);
    const trains = dag.nodes.filter((n): n is DagNode<'train'> => n.kind === 'train').map((n) => n.params.training.seed);
    expect(new Set(trains).size).toBe(trains.length);
    expect(deriveSeed(7, 'x')).toBe(deriveSeed(7, 'x'));
  });

  it('names models and ids by set when several sets are trained', () => {
    const text = edit(SMALL, '    architecture: [AE, DVAE]', '    background: [all, taus]\n    architecture: [AE, DVAE]');
    const several = compileText(text);
    const train = node(several.nodes, 'train/taus/AE-l2') as DagNode<'train'>;
    expect(train.params).toMatchObject({ model: 'taus/AE-l2', background: 'taus', samples: ['tautau'] });
    expect(train.dependsOn).toEqual(['fitScaler/taus', 'preselect/tautau']);
    expect(several.nodes.filter((n) => n.kind === 'fitScaler').map((n) => n.id)).toEqual(['fitScaler/all', 'fitScaler/taus']);
  });

  it('fills limits and retry policies from the definition and the defaults', () => {
    expect(dag.limits.maxParallel).toEqual({ train: 1, cpu: 3 });
    expect(Object.keys(dag.retry).sort()).toEqual([...NODE_KINDS].sort());
    expect(dag.retry.train.maximumAttempts).toBe(3);
    const text = edit(SMALL, 'execution:', 'execution:\n  retry: { preselect: { maximumAttempts: 5 } }') + '';
    const retried = compileText(edit(text, '  preset: fast', '  preset: fast\n  retry: { heartbeatTimeoutSeconds: 42 }'));
    expect(retried.retry.preselect.maximumAttempts).toBe(5);
    expect(retried.retry.generate.maximumAttempts).toBe(3);
    expect(retried.retry.train.heartbeatTimeoutSeconds).toBe(42);
    expect(retried.retry.train.maximumAttempts).toBe(3);
  });

  it('gives every node a one-line summary', () => {
    expect(dag.nodes.every((n) => n.summary.length > 0 && !n.summary.includes('\n'))).toBe(true);
    expect(node(dag.nodes, 'generate/tautau').summary).toBe('generate 1000 events of tautau');
  });

  it('expands forEach cuts into one parenthesised conjunction', () => {
    expect(expandCut({ name: 'c', expr: 'abs({p}_dz) < 2 || {p}_dr < 1', forEach: ['a', 'b'] })).toEqual({
      name: 'c',
      expr: '(abs(a_dz) < 2 || a_dr < 1) && (abs(b_dz) < 2 || b_dr < 1)',
    });
  });
});

describe('--until', () => {
  const full = compileText();
  for (const kind of NODE_KINDS) {
    it(`keeps the nodes up to ${kind}, with every dependency inside`, () => {
      const dag = compileText(SMALL, CODE, kind);
      const allowed = NODE_KINDS.slice(0, NODE_KINDS.indexOf(kind) + 1) as readonly string[];
      expect(dag.nodes.map((n) => n.id)).toEqual(full.nodes.filter((n) => allowed.includes(n.kind)).map((n) => n.id));
      const ids = new Set(dag.nodes.map((n) => n.id));
      expect(dag.nodes.every((n) => n.dependsOn.every((d) => ids.has(d)))).toBe(true);
      // Filtering does not change what is computed.
      expect(dag.nodes.every((n) => keysById(full).get(n.id) === n.cacheKey)).toBe(true);
    });
  }
});

describe('cache keys', () => {
  const before = compileText();

  it('are the same for an unchanged definition, and distinct per node', () => {
    expect(keysById(compileText())).toEqual(keysById(before));
    expect(new Set(before.nodes.map((n) => n.cacheKey)).size).toBe(before.nodes.length);
    expect(before.nodes.every((n) => /^[0-9a-f]{64}$/.test(n.cacheKey))).toBe(true);
  });

  it('ignore formatting, comments, key order and the sweep name', () => {
    const reformatted = edit(
      edit(SMALL, 'name: small', 'name: renamed # a comment'),
      '{ name: tautau, process: tautau,',
      '{ process: tautau, name: tautau,',
    );
    const after = compileText(reformatted);
    expect(after.nodes.map((n) => n.id)).toEqual(before.nodes.map((n) => n.id));
    expect(changedKeys(before, after)).toEqual(new Set(['report'])); // the report carries the sweep name
  });

  it('changing one cut changes the preselections and everything downstream, and nothing else', () => {
    const after = compileText(edit(SMALL, 'nExtraTracks == 0', 'nExtraTracks <= 1'));
    const preselects = before.nodes.filter((n) => n.kind === 'preselect').map((n) => n.id);
    expect(changedKeys(before, after)).toEqual(downstreamOf(before, preselects));
    expect(after.nodes.filter((n) => n.kind === 'generate').every((n) => keysById(before).get(n.id) === n.cacheKey)).toBe(true);
  });

  it('changing one sample changes exactly that sample and what depends on it', () => {
    const after = compileText(edit(SMALL, 'events: 500', 'events: 600'));
    const changed = changedKeys(before, after);
    expect(changed).toEqual(downstreamOf(before, ['generate/uubar']));
    expect(changed.has('preselect/tautau')).toBe(false);
  });

  it('adding a latent dimension adds only new train/score/scan nodes and changes only the report', () => {
    const after = compileText(edit(SMALL, 'latentDim: [1, 2, 3]', 'latentDim: [1, 2, 3, 4]'));
    const old = keysById(before);
    const added = after.nodes.filter((n) => !old.has(n.id)).map((n) => n.id);
    expect(added.sort()).toEqual([
      'scan/all/AE-l4',
      'scan/all/DVAE-l4',
      'score/all/AE-l4',
      'score/all/DVAE-l4',
      'train/all/AE-l4',
      'train/all/DVAE-l4',
    ]);
    expect(changedKeys(before, after)).toEqual(new Set(['report']));
  });

  it('changing a training setting changes the trainings and what follows them only', () => {
    const after = compileText(edit(SMALL, '  preset: fast', '  preset: fast\n  learningRate: 0.01'));
    const trains = before.nodes.filter((n) => n.kind === 'train').map((n) => n.id);
    expect(changedKeys(before, after)).toEqual(downstreamOf(before, trains));
  });

  it('changing the scan changes the scans and the report only', () => {
    const after = compileText(edit(SMALL, 'training:', 'scan: { steps: 50 }\ntraining:'));
    const scans = before.nodes.filter((n) => n.kind === 'scan').map((n) => n.id);
    expect(changedKeys(before, after)).toEqual(new Set([...scans, 'report']));
  });

  for (const kind of NODE_KINDS) {
    it(`changing the code version of ${kind} changes that kind and its dependants only`, () => {
      const after = compileText(SMALL, { ...CODE, [kind]: `${kind}-v2` });
      const ofKind = before.nodes.filter((n) => n.kind === kind).map((n) => n.id);
      expect(changedKeys(before, after)).toEqual(downstreamOf(before, ofKind));
    });
  }

  it('replacing one input file changes exactly its preselection and what depends on it', () => {
    const after = compileText(SMALL, CODE, undefined, { 'mumu.parquet': 'sha256 of the replaced file' });
    expect(changedKeys(before, after)).toEqual(downstreamOf(before, ['preselect/mine']));
  });

  it('hash the key scheme version with every node, so a new recipe never meets artifacts of the old one', () => {
    const generate = node(before.nodes, 'generate/tautau');
    const recipe = { kind: 'generate', params: generate.params, dependencies: [], code: CODE.generate };
    const sha = (value: unknown) => createHash('sha256').update(canonicalJson(value)).digest('hex');
    expect(generate.cacheKey).toBe(sha({ scheme: KEY_SCHEME, ...recipe }));
    expect(generate.cacheKey).not.toBe(sha({ scheme: KEY_SCHEME - 1, ...recipe }));
  });

  it('hash a canonical JSON with sorted keys', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
  });
});

describe('every definition that validates compiles', () => {
  const variants = [
    SMALL,
    edit(SMALL, '    architecture: [AE, DVAE]', '    background: [all, taus]\n    architecture: [AE, DVAE]'),
    edit(SMALL, 'generate: { events: 200 }', 'file: "signal/{name}.parquet"'),
    edit(
      SMALL,
      '  matrix:\n    architecture: [AE, DVAE]\n    latentDim: [1, 2, 3]\n  exclude:\n    - { architecture: DVAE, latentDim: 1 }\n',
      '  include:\n    - { architecture: VAE, latentDim: 2 }\n',
    ),
    edit(SMALL, '    where: m_hprime <= m_chi1\n', ''),
  ];
  it.each(variants.map((text, i) => [i, text]))('variant %i', (_i, text) => {
    const spec = load(text as string);
    const dag = compile(spec, { codeVersions: CODE, inputs: inputsOf(spec) });
    expect(dag.nodes.length).toBeGreaterThan(0);
    const ids = new Set(dag.nodes.map((n) => n.id));
    expect(dag.nodes.every((n) => n.dependsOn.every((d) => ids.has(d)))).toBe(true);
  });

  it('reads ROOT samples from lists and patterns, with their tree, weight column and generated events', () => {
    const text = edit(
      SMALL,
      '{ name: mine, process: mumu, file: mumu.parquet, weight: 2 }',
      '{ name: mine, process: mumu, file: [a/*.root, b.root], tree: variables, crossSectionNb: 0.5, generated: 2000, weightColumn: w }',
    );
    const spec = load(text);
    const inputs = new Map([
      [
        'a/*.root',
        [
          { path: 'a/1.root', sha256: 'one' },
          { path: 'a/2.root', sha256: 'two' },
        ],
      ],
      ['b.root', [{ path: 'b.root', sha256: 'three' }]],
      ...[...inputsOf(spec)].filter(([entry]) => entry.startsWith('signal')),
    ]);
    const dag = compile(spec, { codeVersions: CODE, inputs });
    expect((node(dag.nodes, 'preselect/mine') as DagNode<'preselect'>).params.sample.source).toEqual({
      files: [
        { path: 'a/1.root', sha256: 'one' },
        { path: 'a/2.root', sha256: 'two' },
        { path: 'b.root', sha256: 'three' },
      ],
      tree: 'variables',
      // 0.5 nb x 1e6 fb/nb x 100 fb^-1 / 2000 generated events.
      weight: 25_000,
      weightColumn: 'w',
      generated: 2000,
    });
  });

  it('fills signal file templates per point', () => {
    const dag = compileText(edit(SMALL, 'generate: { events: 200 }', 'file: "signal/{m_chi1}/{m_hprime}.parquet"'));
    expect((node(dag.nodes, 'preselect/idmdh_mchi1-3_mhp-0.5') as DagNode<'preselect'>).params.sample.source).toEqual({
      files: [{ path: 'signal/3/0.5.parquet', sha256: 'sha256 of signal/3/0.5.parquet' }],
    });
    expect(dag.nodes.filter((n) => n.kind === 'generate').map((n) => n.id)).toEqual(['generate/tautau', 'generate/uubar']);
  });
});
