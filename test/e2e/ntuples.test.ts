// The shipped example on real-analysis inputs, definitions/ntuples.yaml, on the ROOT ntuples
// the test setup writes (test/helpers/example-ntuples.ts): planned by the client (input
// files found and hashed) and run up to the preselection with the product runners through
// the dev server of the global setup; planned and run again, nothing re-runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dag, DagNode } from '../../core/dag.js';
import type { SweepResult } from '../../core/node-io.js';
import type { PreselectSummary } from '../../activities/preselect/format.js';
import { loadDag } from '../../client/definition.js';
import { startTestEngine, tempHome, type TestEngine } from '../helpers/engine.js';
import { EXAMPLE, writeExampleNtuples } from '../helpers/example-ntuples.js';
import { removeTempDirs } from '../helpers/temp.js';

let engine: TestEngine | undefined;
let dag: Dag;
let result: SweepResult;

async function run(): Promise<SweepResult> {
  const { handle } = await engine!.start(dag);
  return handle.result();
}

beforeAll(async () => {
  await writeExampleNtuples();
  const loaded = await loadDag(EXAMPLE, 'preselect');
  dag = loaded.dag;
  engine = await startTestEngine(await tempHome(), { runners: undefined, dataRoot: loaded.spec.dataRoot });
  result = await run();
}, 600_000);

afterAll(async () => {
  await engine?.close();
  await removeTempDirs();
});

const summaryOf = (id: string) => result.nodes.find((n) => n.id === id)?.summary as unknown as PreselectSummary;

describe('definitions/ntuples.yaml on ROOT ntuples', () => {
  it('preselects every sample from its ROOT files', () => {
    expect(result.failures).toEqual([]);
    expect(dag.nodes.map((n) => n.id)).toEqual([
      'preselect/taupair',
      'preselect/uubar',
      'preselect/ccbar',
      'preselect/idmdh_mchi1-0.5_mhp-0.5',
      'preselect/idmdh_mchi1-3_mhp-0.5',
    ]);
    const taupair = dag.nodes[0] as DagNode<'preselect'>;
    const source = taupair.params.sample.source;
    expect('files' in source && source.files.map((f) => f.path)).toEqual([
      'taupair/taupair_0.root',
      'taupair/taupair_1.root',
      'taupair/taupair_2.root',
    ]);
    for (const node of result.nodes) expect(node.status, `${node.id}: ${node.error ?? ''}`).toBe('done');
  });

  it('weighs taupair by cross section x luminosity / generated and counts its generated events from the definition', () => {
    const taupair = summaryOf('preselect/taupair');
    expect(taupair.generated).toBe(150_000);
    expect(taupair.generatedWeighted / (0.919e6 * 100)).toBeCloseTo(1, 12);
    expect(taupair.selected).toBeGreaterThan(0);
    expect(taupair.selectedWeighted / taupair.selected).toBeCloseTo((0.919e6 * 100) / 150_000, 9);
  });

  it('keeps signal efficiencies between 0.25 and 0.75 of the generated events, as the thesis selection does', () => {
    for (const id of ['preselect/idmdh_mchi1-0.5_mhp-0.5', 'preselect/idmdh_mchi1-3_mhp-0.5']) {
      const signal = summaryOf(id);
      expect(signal.generated).toBe(3000);
      expect(signal.efficiency, id).toBeGreaterThan(0.25);
      expect(signal.efficiency, id).toBeLessThan(0.75);
    }
  });

  it('planned again from the same files, every preselection is a cache hit', async () => {
    const again = await loadDag(EXAMPLE, 'preselect');
    expect(again.dag.nodes.map((n) => n.cacheKey)).toEqual(dag.nodes.map((n) => n.cacheKey));
    const second = await run();
    expect(second.nodes.every((n) => n.status === 'done' && n.cacheHit)).toBe(true);
  });
});
