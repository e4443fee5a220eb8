// Crash test: SIGKILL the only worker process while nodes are writing, start a new one;
// the sweep completes, every artifact is committed exactly once (commits.log) and intact.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { ArtifactStore } from '../../activities/engine/store.js';
import { startSweep } from '../../client/sweeps.js';
import { tempHome, testClient, testDag, testProject, uniqueName } from '../helpers/engine.js';
import { OUTPUT_FILE } from '../helpers/runners.js';
import { removeTempDirs } from '../helpers/temp.js';
import { killWorkerProcesses, spawnWorkerProcess } from '../helpers/worker-process.js';

const WORKER = 'test/helpers/crash-worker.ts';
let client: Client | undefined;

afterAll(async () => {
  killWorkerProcesses();
  await client?.connection.close();
  await removeTempDirs();
});

function commitLines(store: ArtifactStore): string[] {
  const log = join(store.root, 'commits.log');
  return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : [];
}

/** A node is writing into its staging directory right now. */
function writeInProgress(store: ArtifactStore): boolean {
  const staging = join(store.root, '.staging');
  return existsSync(staging) && readdirSync(staging).some((dir) => existsSync(join(staging, dir, OUTPUT_FILE)));
}

it('survives a SIGKILLed worker: the sweep completes and every node is committed exactly once', async () => {
  const home = await tempHome();
  const store = ArtifactStore.fromHome(home);
  const name = uniqueName('crash');
  const middle = Array.from({ length: 8 }, (_, i) => `p${i}`);
  const models = ['AE', 'VAE', 'DVAE'];
  const dag = testDag(
    name,
    [
      { id: 'g', kind: 'generate' },
      ...middle.map((id) => ({ id, deps: ['g'], params: { sleepMs: 1200, chunks: 12 } })),
      { id: 'fit', kind: 'fitScaler', deps: middle },
      ...models.map((architecture) => ({
        id: `t-${architecture}`,
        kind: 'train' as const,
        deps: ['fit'],
        params: { architecture, latentDim: 3, sleepMs: 800, chunks: 8 },
      })),
      { id: 'r', kind: 'report', deps: models.map((a) => `t-${a}`) },
    ],
    { retry: { maximumAttempts: 5, heartbeatTimeoutSeconds: 2 } },
  );

  const project = testProject();
  const { child: first } = await spawnWorkerProcess(WORKER, home, { SWEEP_PROJECT: project });
  client = await testClient();
  const { handle } = await startSweep(client, dag, { home, project });

  const deadline = Date.now() + 30_000;
  while (!(commitLines(store).length >= 3 && writeInProgress(store))) {
    if (Date.now() > deadline) throw new Error('the sweep never reached the point where the worker is to be killed');
    await new Promise((r) => setTimeout(r, 20));
  }
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const committedBeforeKill = commitLines(store).length;
  expect(committedBeforeKill).toBeLessThan(dag.nodes.length);

  await spawnWorkerProcess(WORKER, home, { SWEEP_PROJECT: project });
  const result = await handle.result();

  expect(result.failures).toEqual([]);
  expect(result.nodes.every((n) => n.status === 'done')).toBe(true);
  // Something was running when the worker died and had to be attempted again.
  expect(result.nodes.some((n) => (n.attempts ?? 1) > 1)).toBe(true);
  const committedKeys = commitLines(store).map((line) => line.split('\t')[2]);
  expect(committedKeys.sort()).toEqual(dag.nodes.map((n) => n.cacheKey).sort());
  for (const node of dag.nodes) expect(await store.verify(node.kind, node.cacheKey)).toEqual([]);
  for (const node of result.nodes) {
    const artifact = await store.lookup(node.kind, dag.nodes.find((n) => n.id === node.id)!.cacheKey);
    const chunks = readFileSync(join(artifact!.dir, OUTPUT_FILE), 'utf8').trim().split('\n');
    const expected = (dag.nodes.find((n) => n.id === node.id)!.params as { chunks?: number }).chunks ?? 1;
    expect(chunks).toEqual(Array(expected).fill(node.id));
  }
});
