// Sweeps longer than one workflow history: with a history bound forced low, a sweep continues
// as new several times. Every node is still done once (one commit per cache key), a training
// running at the boundary is attached to rather than started again, the progress query and
// attach-on-resubmit reach the current run, retryFailed after the crossing re-runs what
// failed, and cancelling the sweep cancels a training a later run attached to. A training a
// terminated sweep left running is attached to by the next submission, not started again.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { ArtifactStore } from '../../activities/engine/store.js';
import { resumeSweep, startSweep } from '../../client/sweeps.js';
import type { Dag } from '../../core/dag.js';
import type { NodeProgress } from '../../core/node-io.js';
import { progressQuery, trainingWorkflowId } from '../../workflows/api.js';
import { startTestEngine, tempHome, testDag, type TestEngine, type TestNodeSpec, uniqueName, waitFor } from '../helpers/engine.js';
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

/** A few activities' worth of events per run: a 45-node sweep takes several runs. */
const LOW = { historyLimit: { events: 30, bytes: 10_000_000 } };
const MODEL = { background: 'all', architecture: 'AE' as const, latentDim: 2, axes: {} };

/** 30 independent nodes, a 10-node chain, a training that waits for `release` and what follows it. */
function longDag(name: string, release: string, extra: TestNodeSpec[] = []): Dag {
  return testDag(name, [
    ...Array.from({ length: 30 }, (_, i) => ({ id: `p${i}` })),
    ...Array.from({ length: 10 }, (_, i) => ({ id: `c${i}`, deps: [i === 0 ? 'p0' : `c${i - 1}`] })),
    { id: 'train/all/AE-l2', kind: 'train', deps: ['p0'], params: { waitForFile: release } },
    { id: 'score', kind: 'score', deps: ['train/all/AE-l2'] },
    ...extra,
  ]);
}

/** The runs of a workflow id, oldest first. */
async function runsOf(workflowId: string): Promise<string[]> {
  const runs: string[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(execution.runId);
  return runs.reverse();
}

describe('a sweep across continue-as-new', () => {
  it('finishes every node once, keeps one training, answers progress and retries what failed', async () => {
    const name = uniqueName('long');
    const release = join(home, `${name}.release`);
    const fixed = join(home, `${name}.fixed`);
    const dag = longDag(name, release, [
      { id: 'flaky', deps: ['p1'], params: { failUnlessFile: fixed } },
      { id: 'after-flaky', deps: ['flaky'] },
    ]);
    const { handle, runId: firstRun } = await startSweep(client, dag, engine.scope, LOW);
    const latest = client.workflow.getHandle(handle.workflowId);
    const trainingId = trainingWorkflowId(handle.workflowId, MODEL);

    // Everything but the training has settled, in a later run than the first.
    const progress = await waitFor('the sweep to settle all but the training in a later run', async () => {
      const { runId } = await latest.describe();
      if (runId === firstRun) return undefined;
      const p = await latest.query(progressQuery).catch(() => undefined);
      const unsettled = p?.filter((n) => n.status === 'pending' || n.status === 'running').map((n) => `${n.id}:${n.status}`);
      return unsettled?.join() === 'train/all/AE-l2:running,score:pending' ? p : undefined;
    });
    const status = (id: string) => progress.find((n) => n.id === id)?.status;
    expect(progress).toHaveLength(dag.nodes.length);
    expect(status('flaky')).toBe('failed');
    expect(status('after-flaky')).toBe('skipped');
    expect(progress.filter((n: NodeProgress) => n.status === 'done')).toHaveLength(40);

    // A resubmission attaches to the current run, not the first.
    const again = await startSweep(client, dag, engine.scope, LOW);
    expect(again.attached).toBe(true);
    expect(again.runId).toBe((await latest.describe()).runId);

    await writeFile(fixed, '');
    const outcome = await resumeSweep(client, name, engine.scope);
    expect(outcome.mode === 'update' && outcome.reset.sort()).toEqual(['after-flaky', 'flaky']);
    await writeFile(release, '');
    const result = await handle.result();

    expect(result.failures).toEqual([]);
    expect(result.nodes.filter((n) => n.status === 'done')).toHaveLength(dag.nodes.length);
    // A node run again by a later run would be a cache hit.
    expect(result.nodes.filter((n) => n.cacheHit)).toEqual([]);
    const commits = readFileSync(join(ArtifactStore.fromHome(home).root, 'commits.log'), 'utf8')
      .trim()
      .split('\n');
    for (const node of dag.nodes) expect(commits.filter((line) => line.split('\t')[2] === node.cacheKey)).toHaveLength(1);
    expect((await runsOf(handle.workflowId)).length).toBeGreaterThan(2);
    expect(await runsOf(trainingId)).toHaveLength(1);
  });

  it('cancels a training that a later run attached to', async () => {
    const name = uniqueName('long-cancel');
    const dag = longDag(name, join(home, `${name}.never`));
    const { handle, runId: firstRun } = await startSweep(client, dag, engine.scope, LOW);
    const latest = client.workflow.getHandle(handle.workflowId);
    await waitFor('a later run waiting for the training alone', async () => {
      const { runId } = await latest.describe();
      const p = runId === firstRun ? undefined : await latest.query(progressQuery).catch(() => undefined);
      const unsettled = p?.filter((n) => n.status !== 'done').map((n) => `${n.id}:${n.status}`);
      return unsettled?.join() === 'train/all/AE-l2:running,score:pending' ? true : undefined;
    });
    await latest.cancel();
    const training = client.workflow.getHandle(trainingWorkflowId(handle.workflowId, MODEL));
    const closed = await waitFor('the training to close', async () => {
      const { status } = await training.describe();
      return status.name === 'RUNNING' ? undefined : status.name;
    });
    expect(closed).toBe('CANCELLED');
    expect(await runsOf(training.workflowId)).toHaveLength(1);
  });

  it('attaches a resubmitted sweep to a training its terminated run left running', async () => {
    const name = uniqueName('orphan');
    const release = join(home, `${name}.release`);
    const dag = testDag(name, [{ id: 'p' }, { id: 'train/all/AE-l2', kind: 'train', deps: ['p'], params: { waitForFile: release } }]);
    const first = await startSweep(client, dag, engine.scope);
    const training = client.workflow.getHandle(trainingWorkflowId(first.handle.workflowId, MODEL));
    await waitFor('the training to start', async () =>
      (await training.describe().catch(() => undefined))?.status.name === 'RUNNING' ? true : undefined,
    );
    await first.handle.terminate('test: a sweep ended from the UI');
    expect((await training.describe()).status.name).toBe('RUNNING');

    const second = await startSweep(client, dag, engine.scope);
    expect(second.attached).toBe(false);
    await waitFor('the new run to wait for the running training', async () => {
      const { raw } = await second.handle.describe();
      return raw.pendingActivities?.some((a) => a.activityType?.name === 'trainingResult') ? true : undefined;
    });
    await writeFile(release, '');
    const result = await second.handle.result();
    expect(result.failures).toEqual([]);
    expect(result.nodes.find((n) => n.id === 'train/all/AE-l2')).toMatchObject({ status: 'done', cacheHit: false });
    expect(await runsOf(training.workflowId)).toHaveLength(1);
  });
});
