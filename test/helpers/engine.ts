// Helpers for engine tests against the real dev server of the global setup: in-process
// workers with the test runners, a client, temporary homes.
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import type { Dag } from '../../core/dag.js';
import { startSweep, type SweepScope } from '../../client/sweeps.js';
import type { RunningWorkers, StartWorkersOptions } from '../../client/workers.js';
import { startTestWorkers } from './test-workers.js';
import { tempDir } from './temp.js';
export { testDag, testNode, type TestNodeSpec } from './dags.js';

/** Polls `probe` every 100 ms until it gives a value; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A fresh SWEEP_HOME, removed by removeTempDirs. */
export function tempHome(): Promise<string> {
  return tempDir('sweep-test');
}

/**
 * A fresh SWEEP_HOME for a `sweep` command with in-process workers (run, resume), holding the
 * global setup's workflow bundle where the command looks for it first: bundling the
 * workflows again for a fresh home takes a while.
 */
export async function tempHomeWithBundle(): Promise<string> {
  const home = await tempHome();
  const bundle = inject('workflowBundlePath');
  await mkdir(join(home, 'bundles'));
  await copyFile(bundle, join(home, 'bundles', basename(bundle)));
  return home;
}

export async function testClient(): Promise<Client> {
  return new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
}

/** A private project (workflow ids and task queues), so test files running at once never serve each other's nodes. */
export function testProject(): string {
  return uniqueName('t');
}

export interface TestEngine {
  client: Client;
  workers: RunningWorkers;
  /** The store and project these workers serve; sweeps of this engine start there. */
  scope: SweepScope;
  start(dag: Dag): ReturnType<typeof startSweep>;
  close(): Promise<void>;
}

/**
 * In-process workers on the test server of the global setup, on task queues of their own,
 * plus a client. Test runners by default; pass `{ runners: undefined }` for the product
 * runners (end-to-end tests of the science kinds).
 */
export async function startTestEngine(home: string, options: Partial<StartWorkersOptions> = {}): Promise<TestEngine> {
  const project = options.project ?? testProject();
  const { connection, workers } = await startTestWorkers(inject('temporalAddress'), {
    cpuSlots: 8,
    gpuSlots: 2,
    home,
    workflowBundlePath: inject('workflowBundlePath'),
    shutdownGraceTime: '1s',
    project,
    ...options,
  });
  const client = await testClient();
  const scope = { home, project };
  return {
    client,
    workers,
    scope,
    start: (dag) => startSweep(client, dag, scope),
    async close() {
      await workers.shutdown();
      await connection.close();
      await client.connection.close();
    },
  };
}
