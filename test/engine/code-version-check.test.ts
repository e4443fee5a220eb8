// A worker runs only nodes planned with its own code: one whose code differs refuses a node,
// naming both versions, and a worker with the right code takes it.
import { inject } from 'vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { NODE_KINDS, type NodeKind } from '../../core/dag.js';
import { tempHome, testClient, testDag, testProject, uniqueName } from '../helpers/engine.js';
import { startTestWorkers, type TestWorkers } from '../helpers/test-workers.js';
import { removeTempDirs } from '../helpers/temp.js';
import { startSweep } from '../../client/sweeps.js';

const running: TestWorkers[] = [];
afterAll(async () => {
  for (const { workers, connection } of running) {
    await workers.shutdown();
    await connection.close();
  }
  await removeTempDirs();
});

const versions = (version: string) => Object.fromEntries(NODE_KINDS.map((kind) => [kind, version])) as Record<NodeKind, string>;

async function workers(home: string, project: string, version: string): Promise<void> {
  running.push(
    await startTestWorkers(inject('temporalAddress'), {
      home,
      project,
      workflowBundlePath: inject('workflowBundlePath'),
      codeVersions: versions(version),
      shutdownGraceTime: '1s',
    }),
  );
}

describe('code versions across workers', () => {
  it('a worker with other code refuses the node, naming both versions', async () => {
    const home = await tempHome();
    const project = testProject();
    await workers(home, project, 'f00dcafef00dcafe');
    const client = await testClient();
    const dag = testDag(uniqueName('version'), [{ id: 'a', kind: 'generate' }], { retry: { maximumAttempts: 2 } });
    const { handle } = await startSweep(client, dag, { home, project });
    const result = await handle.result();
    expect(result.failures).toEqual([
      {
        id: 'a',
        error: expect.stringMatching(
          /^CodeVersionMismatch: a was planned with generate code version test, but this worker runs f00dcafef00d .*Start workers from the code that planned the sweep/,
        ),
      },
    ]);
    await client.connection.close();
  }, 60_000);

  it('a worker with the planned code takes the node another worker refused', async () => {
    const home = await tempHome();
    const project = testProject();
    await workers(home, project, 'f00dcafef00dcafe');
    await workers(home, project, 'test');
    const client = await testClient();
    const dag = testDag(
      uniqueName('version'),
      Array.from({ length: 4 }, (_, i) => ({ id: `n${i}`, kind: 'generate' as const })),
      { retry: { maximumAttempts: 5 } },
    );
    const { handle } = await startSweep(client, dag, { home, project });
    const result = await handle.result();
    expect(result.failures).toEqual([]);
    await client.connection.close();
  }, 120_000);
});
