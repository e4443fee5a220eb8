// The embedded data against the thesis (Table 4.3, Sec. 4.2.2), on a reduced-statistics run
// of definitions/thesis.yaml: its samples and cuts, fewer generated events.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeContext } from '../../activities/engine/context.js';
import { runGenerate } from '../../activities/generate/index.js';
import { runPreselect } from '../../activities/preselect/index.js';
import { compile } from '../../definitions/compile.js';
import { NODE_KINDS, type DagNode, type NodeKind } from '../../core/dag.js';
import { loadSpec } from '../../definitions/load.js';

/** Generated events per sample: a few per mille of the thesis run for backgrounds. */
const BACKGROUND_EVENTS: Record<string, number> = { tautau: 150_000, uubar: 20_000, ccbar: 20_000, ddbar: 8000, ssbar: 8000 };
const OTHER_BACKGROUND_EVENTS = 8000;
const SIGNAL_EVENTS = 6000;
const SIGNALS = [
  'idmdh_mchi1-0.25_mhp-0.25',
  'idmdh_mchi1-0.5_mhp-0.5',
  'idmdh_mchi1-1.5_mhp-1.5',
  'idmdh_mchi1-2.5_mhp-2.5',
  'idmdh_mchi1-3_mhp-0.5',
];
const CONTINUUM = ['uubar', 'ddbar', 'ssbar', 'ccbar'];

const root = mkdtempSync(join(tmpdir(), 'calibration-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const spec = loadSpec(join(import.meta.dirname, '../../definitions/thesis.yaml'));
const dag = compile(spec, {
  codeVersions: Object.fromEntries(NODE_KINDS.map((k) => [k, 'test'])) as Record<NodeKind, string>,
  until: 'preselect',
});
const selected = new Map<string, Record<string, unknown>>();

function context<K extends NodeKind>(node: DagNode<K>, inputs: NodeContext<K>['inputs']): NodeContext<K> {
  const outDir = join(root, node.id.replace('/', '_'));
  mkdirSync(outDir, { recursive: true });
  return {
    node,
    inputs,
    outDir,
    workDir: outDir,
    dataRoot: root,
    attempt: 1,
    heartbeatDetails: undefined,
    heartbeat: () => undefined,
    progress: () => undefined,
    signal: new AbortController().signal,
    log: () => undefined,
  };
}

beforeAll(async () => {
  for (const node of dag.nodes.filter((n): n is DagNode<'generate'> => n.kind === 'generate')) {
    const { sample } = node.params;
    if (sample.kind === 'signal' && !SIGNALS.includes(sample.name)) continue;
    const events = sample.kind === 'signal' ? SIGNAL_EVENTS : (BACKGROUND_EVENTS[sample.name] ?? OTHER_BACKGROUND_EVENTS);
    const reduced: DagNode<'generate'> = {
      ...node,
      params: { sample: { ...sample, source: { generate: { events, seed: 1000 + selected.size } } } },
    };
    const genCtx = context(reduced, []);
    const generated = await runGenerate(genCtx);
    const pre = dag.nodes.find((n) => n.id === `preselect/${sample.name}`) as DagNode<'preselect'>;
    const preNode = { ...pre, params: { ...pre.params, sample: reduced.params.sample } };
    const summary = await runPreselect(context(preNode, [{ nodeId: node.id, kind: 'generate', dir: genCtx.outDir, summary: generated }]));
    selected.set(sample.name, summary);
  }
}, 300_000);

const weighted = (name: string) => Number(selected.get(name)!.selectedWeighted);
const efficiency = (name: string) => Number(selected.get(name)!.efficiency);

describe('calibration against the thesis (reduced statistics)', () => {
  it('covers the 14 background processes of Table 4.1', () => {
    expect(spec.samples.background.map((b) => b.process).sort()).toEqual(
      [
        'B0B0bar',
        'BpBm',
        'K0K0bargamma',
        'ccbar',
        'ddbar',
        'ee',
        'eeee',
        'eemumu',
        'eepipi',
        'mumu',
        'mumumumu',
        'ssbar',
        'tautau',
        'uubar',
      ].sort(),
    );
  });

  it('leaves a background led by tau pairs, with tau pairs and continuum at least 90% (Table 4.3)', () => {
    const backgrounds = spec.samples.background.map((b) => b.name);
    const total = backgrounds.reduce((sum, name) => sum + weighted(name), 0);
    const tau = weighted('tautau') / total;
    const continuum = CONTINUUM.reduce((sum, name) => sum + weighted(name), 0) / total;
    for (const name of backgrounds) expect(weighted('tautau')).toBeGreaterThanOrEqual(weighted(name));
    expect(tau).toBeGreaterThan(0.75);
    expect(continuum).toBeGreaterThan(0.05);
    expect(tau + continuum).toBeGreaterThanOrEqual(0.9);
  });

  it('selects signal with an efficiency between 0.25 and 0.75 at every tested mass point', () => {
    for (const name of SIGNALS) {
      expect(efficiency(name), name).toBeGreaterThan(0.25);
      expect(efficiency(name), name).toBeLessThan(0.75);
    }
  });

  it('selects heavy masses more efficiently than light ones at equal splitting (Fig. 4.1)', () => {
    // Statistical uncertainty of each efficiency here is about 0.007.
    expect(efficiency('idmdh_mchi1-2.5_mhp-2.5')).toBeGreaterThan(efficiency('idmdh_mchi1-0.5_mhp-0.5') + 0.05);
    expect(efficiency('idmdh_mchi1-1.5_mhp-1.5')).toBeGreaterThan(efficiency('idmdh_mchi1-0.25_mhp-0.25') + 0.03);
    expect(efficiency('idmdh_mchi1-2.5_mhp-2.5')).toBeGreaterThan(efficiency('idmdh_mchi1-3_mhp-0.5'));
  });
});
