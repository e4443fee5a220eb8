// The sweep workflow against the real dev server of the global setup, with test runners:
// parallel fan-out/fan-in with a training child, failures that skip dependants, and both
// resume paths (update of a live sweep, new run of a closed one reusing the cache).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { ArtifactStore } from '../../activities/engine/store.js';
import type { NodeOutcome, SweepResult } from '../../core/node-io.js';
import { NotFoundError } from '../../core/errors.js';
import { describeSweep, followSweep, queryProgress, resumeSweep, startSweep } from '../../client/sweeps.js';
import { sweepWorkflowId, trainingWorkflowId } from '../../workflows/api.js';
import { startTestEngine, tempHome, testDag, type TestEngine, uniqueName, waitFor } from '../helpers/engine.js';
import { testRunners } from '../helpers/runners.js';
import { removeTempDirs } from '../helpers/temp.js';

let engine: TestEngine;
let client: Client;
let home: string;

beforeAll(async () => {
  home = await tempHome();
  engine = await startTestEngine(home, { runners: testRunners });
  client = engine.client;
});

afterAll(async () => {
  await engine?.close();
  await removeTempDirs();
});

function byId(result: SweepResult): Record<string, NodeOutcome> {
  return Object.fromEntries(result.nodes.map((n) => [n.id, n]));
}

describe('sweep workflow', () => {
  it('runs a training planned before setting axes existed (its params have no axes)', async () => {
    const name = uniqueName('noaxes');
    const dag = testDag(name, [{ id: 'train/all/AE-l2', kind: 'train', params: { axes: undefined } }]);
    expect(JSON.parse(JSON.stringify(dag.nodes[0]!.params))).not.toHaveProperty('axes');
    const result = await (await engine.start(dag)).handle.result();
    expect(result.failures).toEqual([]);
  });

  it('runs a fan-out in parallel, joins it, and trains in a searchable child workflow', async () => {
    const name = uniqueName('fan');
    const middle = ['p1', 'p2', 'p3', 'p4'];
    const dag = testDag(name, [
      { id: 'g', kind: 'generate' },
      ...middle.map((id) => ({ id, deps: ['g'], params: { sleepMs: 1500 } })),
      { id: 'fit', kind: 'fitScaler', deps: middle },
      { id: 't', kind: 'train', deps: ['fit'], params: { architecture: 'DVAE', latentDim: 9, background: 'all', axes: { seed: 3 } } },
      { id: 'r', kind: 'report', deps: ['t', 'g'] },
    ]);
    const { handle } = await engine.start(dag);
    const result = await handle.result();

    expect(result.failures).toEqual([]);
    const nodes = byId(result);
    expect(Object.values(nodes).every((n) => n.status === 'done' && !n.cacheHit)).toBe(true);
    const spans = middle.map((id) => nodes[id]!.summary as { startedAt: number; finishedAt: number });
    // Every middle node started before any of them finished: they ran at the same time.
    expect(Math.max(...spans.map((s) => s.startedAt))).toBeLessThan(Math.min(...spans.map((s) => s.finishedAt)));
    // The join saw all four inputs, each a committed artifact with its file.
    expect(Object.keys(nodes.fit!.summary!.inputs as object).sort()).toEqual(middle);

    const childId = trainingWorkflowId(sweepWorkflowId(engine.scope.project, name), {
      background: 'all',
      architecture: 'DVAE',
      latentDim: 9,
      axes: { seed: 3 },
    });
    expect(childId).toBe(`${engine.scope.project}/sweep/${name}/all/DVAE-l9-s3`);
    const listed = await waitFor('the training in visibility', async () => {
      for await (const wf of client.workflow.list({
        query: `SweepName="${name}" AND Architecture="DVAE" AND LatentDim=9 AND Axes="seed=3" AND Stage="done"`,
      })) {
        return wf;
      }
      return undefined;
    });
    expect(listed.workflowId).toBe(childId);

    const store = ArtifactStore.fromHome(home);
    for (const node of dag.nodes) expect(await store.verify(node.kind, node.cacheKey)).toEqual([]);
  });

  it('skips what depends on a failed node, finishes the rest, and retries it in the live sweep', async () => {
    const name = uniqueName('live');
    const fixed = join(home, `${name}.fixed`);
    const gate = join(home, `${name}.gate`);
    const dag = testDag(name, [
      { id: 'a', kind: 'generate' },
      { id: 'b', deps: ['a'], params: { failUnlessFile: fixed } },
      { id: 'c', kind: 'fitScaler', deps: ['b'] },
      { id: 'slow', deps: ['a'], params: { waitForFile: gate } },
      { id: 'm', kind: 'scan', deps: ['a'], params: { failUnlessFile: join(home, `${name}.never`) } },
    ]);
    const { handle, runId } = await engine.start(dag);

    const progress = await waitFor('b to fail', async () => {
      const p = await queryProgress(handle);
      return p?.find((n) => n.id === 'b')?.status === 'failed' && p.find((n) => n.id === 'm')?.status === 'failed' ? p : undefined;
    });
    const states = Object.fromEntries(progress.map((n) => [n.id, n]));
    expect(states.b!.error).toContain(`fails until ${fixed} exists`);
    expect(states.b!.attempts).toBe(1); // a UserError is not retried
    expect(states.c!.status).toBe('skipped');
    expect(states.slow!.status).toBe('running');
    expect(states.m!.error).toContain(`fails until ${join(home, `${name}.never`)} exists`);

    // Submitting the same definition again attaches to the running sweep.
    const again = await startSweep(client, dag, engine.scope);
    expect(again.attached).toBe(true);
    expect(again.runId).toBe(runId);

    await writeFile(fixed, '');
    const outcome = await resumeSweep(client, name, engine.scope);
    expect(outcome.mode).toBe('update');
    expect(outcome.mode === 'update' && outcome.reset.sort()).toEqual(['b', 'c', 'm']);
    await writeFile(gate, '');
    const result = await handle.result();

    const nodes = byId(result);
    expect(result.failures.map((f) => f.id)).toEqual(['m']);
    expect(nodes.b!.status).toBe('done');
    expect(nodes.c!.status).toBe('done');
    expect(nodes.slow!.status).toBe('done');
  });

  it('resumes a closed sweep as a new run in which finished nodes are cache hits', async () => {
    const name = uniqueName('closed');
    const fixed = join(home, `${name}.fixed`);
    const dag = testDag(name, [
      { id: 'a', kind: 'generate' },
      { id: 'b', deps: ['a'], params: { failUnlessFile: fixed } },
      { id: 'c', kind: 'train', deps: ['b'] },
      { id: 'd', deps: ['a'] },
    ]);
    const first = await (await engine.start(dag)).handle.result();
    expect(first.failures.map((f) => f.id)).toEqual(['b']);
    expect(byId(first).c!.status).toBe('skipped');
    expect(byId(first).d!.status).toBe('done');

    await writeFile(fixed, '');
    const outcome = await resumeSweep(client, `sweep/${name}`, engine.scope);
    expect(outcome.mode).toBe('new-run');
    const seen: string[] = [];
    const second = await followSweep(
      outcome.handle,
      (p) => seen.push(p.map((n) => n.status).join()),
      { notice: () => {}, target: 'test' },
      { intervalMs: 100 },
    );
    const nodes = byId(second);
    expect(second.failures).toEqual([]);
    expect(nodes.a!.cacheHit).toBe(true);
    expect(nodes.d!.cacheHit).toBe(true);
    expect(nodes.b!.cacheHit).toBe(false);
    expect(nodes.c!.cacheHit).toBe(false);
    expect(seen.length).toBeGreaterThan(0);
  });

  it('names a sweep id that does not exist, for resume and status alike', async () => {
    const name = uniqueName('never-submitted');
    const id = `${engine.scope.project}/sweep/${name}`;
    await expect(resumeSweep(client, name, engine.scope)).rejects.toThrow(NotFoundError);
    await expect(resumeSweep(client, name, engine.scope)).rejects.toThrow(`no sweep with id ${id}; \`sweep submit FILE\` starts one`);
    await expect(describeSweep(client, name, engine.scope)).rejects.toThrow(`no sweep with id ${id}`);
  });
});
