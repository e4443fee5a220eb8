// The embedded data against the thesis (Table 4.3, Sec. 4.2.2), on a reduced-statistics run
// of definitions/thesis.yaml: its samples and cuts, fewer generated events. The thesis-scale
// numbers (yields within a factor 2 of Table 4.3 per process) are checked by
// `npx tsx test/data/thesis-scale.ts --check` (docs/calibration.md), too slow for CI.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeContext } from '../../activities/engine/context.js';
import { runGenerate } from '../../activities/generate/index.js';
import { runPreselect } from '../../activities/preselect/index.js';
import type { NMinusOneRow } from '../../activities/preselect/select.js';
import { compile } from '../../definitions/compile.js';
import { NODE_KINDS, type DagNode, type NodeKind } from '../../core/dag.js';
import { loadSpec } from '../../definitions/load.js';

/** Generated events per sample: a few per cent of the thesis run for tau pairs and continuum. */
const BACKGROUND_EVENTS: Record<string, number> = { tautau: 200_000, uubar: 25_000, ccbar: 25_000, ddbar: 10_000, ssbar: 10_000 };
const OTHER_BACKGROUND_EVENTS = 5000;
const SIGNAL_EVENTS = 6000;
const SIGNALS = [
  'idmdh_mchi1-0.25_mhp-0.25',
  'idmdh_mchi1-0.5_mhp-0.5',
  'idmdh_mchi1-2.5_mhp-2.5',
  'idmdh_mchi1-2.5_mhp-0.5',
  'idmdh_mchi1-3_mhp-0.5',
  'idmdh_mchi1-3_mhp-1.5',
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
const nMinus1 = new Map<string, NMinusOneRow[]>();

function context<K extends NodeKind>(node: DagNode<K>, inputs: NodeContext<K>['inputs']): NodeContext<K> {
  const outDir = join(root, node.id.replace('/', '_'));
  mkdirSync(outDir, { recursive: true });
  return {
    node,
    inputs,
    outDir,
    workDir: outDir,
    dataRoot: root,
    allowedRoots: [root],
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
    const preCtx = context(preNode, [{ nodeId: node.id, kind: 'generate', dir: genCtx.outDir, summary: generated }]);
    selected.set(sample.name, await runPreselect(preCtx));
    nMinus1.set(sample.name, JSON.parse(readFileSync(join(preCtx.outDir, 'nminus1.json'), 'utf8')));
  }
}, 300_000);

const weighted = (name: string) => Number(selected.get(name)!.selectedWeighted);
const efficiency = (name: string) => Number(selected.get(name)!.efficiency);
/** Weighted events selected without `cut` over those selected with every cut. */
function withoutCut(names: string[], cut: string): number {
  const sum = (removed: string) => names.reduce((s, n) => s + nMinus1.get(n)!.find((r) => r.removed === removed)!.eventsWeighted, 0);
  return sum(cut) / sum('none');
}

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

  it('leaves a background of tau pairs (Table 4.3: 87%) and continuum (12%)', () => {
    const backgrounds = spec.samples.background.map((b) => b.name);
    const total = backgrounds.reduce((sum, name) => sum + weighted(name), 0);
    const tau = weighted('tautau') / total;
    const continuum = CONTINUUM.reduce((sum, name) => sum + weighted(name), 0) / total;
    for (const name of backgrounds) expect(weighted('tautau')).toBeGreaterThanOrEqual(weighted(name));
    expect(tau).toBeGreaterThan(0.8);
    expect(tau).toBeLessThan(0.94);
    expect(continuum).toBeGreaterThan(0.06);
    expect(continuum).toBeLessThan(0.18);
  });

  it('selects signal within 0.05 of the thesis range 0.48-0.58 at every tested mass point', () => {
    // Statistical uncertainty of each efficiency here is about 0.0065.
    for (const name of SIGNALS) {
      expect(efficiency(name), name).toBeGreaterThan(0.43);
      expect(efficiency(name), name).toBeLessThan(0.63);
    }
  });

  it("loses efficiency where m_chi2 is far above m_h' (Sec. 4.2.2, Fig. 4.1)", () => {
    expect(efficiency('idmdh_mchi1-3_mhp-0.5')).toBeLessThan(efficiency('idmdh_mchi1-3_mhp-1.5') - 0.03);
    expect(efficiency('idmdh_mchi1-2.5_mhp-0.5')).toBeLessThan(efficiency('idmdh_mchi1-2.5_mhp-2.5') - 0.03);
  });

  it('has a pi0 veto that acts (Sec. 4.2.2): without it the background grows by >= 1%, the signal by about 1%', () => {
    const backgrounds = spec.samples.background.map((b) => b.name);
    expect(withoutCut(backgrounds, 'pi0Veto')).toBeGreaterThan(1.01);
    expect(withoutCut(['tautau'], 'pi0Veto')).toBeGreaterThan(1.01);
    for (const name of ['idmdh_mchi1-0.5_mhp-0.5', 'idmdh_mchi1-2.5_mhp-2.5']) {
      const gain = withoutCut([name], 'pi0Veto') - 1;
      expect(gain, name).toBeGreaterThan(0.003);
      expect(gain, name).toBeLessThan(0.025);
    }
  });

  it('writes the N-1 study of every cut, consistent with the selection', () => {
    const cuts = spec.preselection.cuts.map((c) => c.name);
    for (const [name, rows] of nMinus1) {
      expect(rows.map((r) => r.removed)).toEqual(['none', ...cuts]);
      expect(rows[0].events, name).toBe(Number(selected.get(name)!.selected));
      // Removing a cut never loses events.
      for (const row of rows) expect(row.events, `${name} without ${row.removed}`).toBeGreaterThanOrEqual(rows[0].events);
    }
  });
});
