// Fault injection against real Temporal dev servers: a worker SIGKILLed mid-epoch (the
// training moves to the other worker within about a minute and loses at most the epoch in
// progress), the server killed and restarted while the client follows the sweep, two runs
// of one definition at once, and a full disk. Each checks the store afterwards: artifacts
// committed, duplicate commits, torn files.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { ArtifactStore } from '../../activities/engine/store.js';
import { readCheckpointFile } from '../../activities/train/checkpoint-file.js';
import { CHECKPOINT_FILE } from '../../activities/train/format.js';
import { runTrain } from '../../activities/train/index.js';
import { auditStore } from '../../client/housekeeping.js';
import { startTestServer, type TestServer } from '../../client/server.js';
import { followSweep, resumeSweep, startSweep } from '../../client/sweeps.js';
import { NODE_KINDS, type Dag, type RetrySettings, type TrainParams } from '../../core/dag.js';
import { DEFAULT_RETRY } from '../../definitions/presets.js';
import { FEATURES, settings, trainContext, writeInputs } from '../train/fixtures.js';
import { startTestEngine, tempHome, testClient, testDag, testNode, testProject, uniqueName } from '../helpers/engine.js';
import { startTestWorkers } from '../helpers/test-workers.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { killWorkerProcesses, spawnWorkerProcess } from '../helpers/worker-process.js';

const TRAIN_WORKER = 'test/train/temporal-worker.ts';
const cleanup: (() => Promise<void>)[] = [];

afterAll(async () => {
  killWorkerProcesses();
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  await removeTempDirs();
});

const FAST: RetrySettings = {
  maximumAttempts: 4,
  initialIntervalSeconds: 0.1,
  backoffCoefficient: 1,
  maximumIntervalSeconds: 0.5,
  heartbeatTimeoutSeconds: 5,
};

describe('fault injection', () => {
  it('a worker SIGKILLed mid-epoch: the training resumes on the other worker within about a minute, at most one epoch lost, same weights', async () => {
    const training = { epochs: 8, folds: 3, batchSize: 64, earlyStopping: { enabled: false, patience: 1 } };
    const inputs = await writeInputs(1200, 3);
    const name = uniqueName('failover');
    const trainParams: TrainParams = {
      model: 'AE-l3',
      architecture: 'AE',
      latentDim: 3,
      background: 'all',
      axes: {},
      samples: ['bkgA', 'bkgB'],
      features: FEATURES,
      training: settings(training),
    };
    const trainNode = testNode('train/all/AE-l3', 'train', ['preselect/bkgA', 'preselect/bkgB', 'fitScaler/all'], trainParams, name);
    const dag: Dag = {
      sweep: name,
      nodes: [
        ...['bkgA', 'bkgB'].map((s) => testNode(`preselect/${s}`, 'preselect', [], { sample: { name: s, kind: 'background' } }, name)),
        testNode(
          'fitScaler/all',
          'fitScaler',
          ['preselect/bkgA', 'preselect/bkgB'],
          { background: 'all', samples: ['bkgA', 'bkgB'], features: FEATURES },
          name,
        ),
        trainNode,
      ],
      limits: { maxParallel: {} },
      // The product's own failover settings for the training.
      retry: { ...(Object.fromEntries(NODE_KINDS.map((kind) => [kind, FAST])) as Dag['retry']), train: DEFAULT_RETRY.train },
    };
    const home = await tempHome();
    const store = ArtifactStore.fromHome(home);
    const checkpoint = join(home, 'work', trainNode.cacheKey, CHECKPOINT_FILE);
    const project = testProject();
    const env = { TRAIN_FIXTURES: dirname(inputs[0]!.dir), SWEEP_PROJECT: project };
    const workers = [await spawnWorkerProcess(TRAIN_WORKER, home, env), await spawnWorkerProcess(TRAIN_WORKER, home, env)];
    const client = await testClient();
    cleanup.push(() => client.connection.close());
    const { handle } = await startSweep(client, dag, { home, project });

    const deadline = Date.now() + 120_000;
    const epochsDone = async () =>
      (await readCheckpointFile<{ epochsDone: number }>(checkpoint).catch(() => undefined))?.meta.epochsDone ?? 0;
    while ((await epochsDone()) < 2) {
      if (Date.now() > deadline)
        throw new Error(`the training never got past epoch 2; workers said:\n${workers.map((w) => w.output.join('\n')).join('\n--\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const trainingWorker = workers.findIndex((w) => w.output.some((line) => line.startsWith('attempt 1 ')));
    expect(trainingWorker).toBeGreaterThanOrEqual(0);
    const [victim, survivor] = [workers[trainingWorker]!, workers[1 - trainingWorker]!];
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    await new Promise((r) => victim.child.once('exit', r));
    const checkpointed = await epochsDone();
    expect(checkpointed).toBeLessThan(training.epochs);

    while (!survivor.output.some((line) => /^attempt [2-9] /.test(line))) {
      if (Date.now() - killedAt > 120_000) throw new Error(`no failover within 120 s; survivor said:\n${survivor.output.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const failoverSeconds = (Date.now() - killedAt) / 1000;
    // Heartbeat timeout 45 s plus the first retry interval and the polling of the survivor.
    expect(failoverSeconds).toBeLessThan(70);
    const result = await handle.result();
    expect(result.failures).toEqual([]);
    const log = survivor.output.join('\n');
    const resumedAfter = Number(/resuming after epoch (\d+)/.exec(log)?.[1]);
    // At most the epoch in progress at the kill is lost.
    expect(resumedAfter).toBeGreaterThanOrEqual(checkpointed);
    expect(log).not.toMatch(/epoch 1\/8/);
    console.log(
      `[faults] failover after ${failoverSeconds.toFixed(1)} s; killed with ${checkpointed} epochs checkpointed, resumed after epoch ${resumedAfter}`,
    );

    const audit = await auditStore(home);
    expect(audit).toEqual({ committed: 4, duplicates: [], torn: [] });
    // The same training without interruption, straight through the runner.
    const reference = await trainContext(inputs, { training });
    await runTrain(reference);
    const stored = await store.lookup('train', trainNode.cacheKey);
    const weights = async (dir: string) => {
      const bytes = Buffer.concat(await Promise.all(['encoder', 'decoder'].map((p) => readFile(join(dir, 'model', p, 'weights.bin')))));
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    };
    const [resumed, uninterrupted] = [await weights(stored!.dir), await weights(reference.outDir)];
    expect(resumed.reduce((max, v, i) => Math.max(max, Math.abs(v - uninterrupted[i]!)), 0)).toBeLessThanOrEqual(1e-6);
  }, 240_000);

  it('the server killed and restarted mid-sweep: the client waits, says so once, and the sweep finishes with every node once', async () => {
    const home = await tempHome();
    let server: TestServer = await startTestServer({ dbFile: join(home, 'temporal.db') });
    cleanup.push(() => server.stop());
    const project = testProject();
    const { connection, workers } = await startTestWorkers(server.address, {
      home,
      project,
      workflowBundlePath: inject('workflowBundlePath'),
    });
    cleanup.push(async () => {
      await workers.shutdown();
      await connection.close();
    });
    const client = new Client({ connection: await Connection.connect({ address: server.address }) });
    cleanup.push(() => client.connection.close());
    const dag = testDag(
      uniqueName('outage'),
      Array.from({ length: 10 }, (_, i) => ({ id: `n${i}`, deps: i ? [`n${i - 1}`] : [], params: { sleepMs: 600 } })),
    );
    const { handle } = await startSweep(client, dag, { home, project });
    const notices: string[] = [];
    const following = followSweep(handle, () => {}, { notice: (line) => notices.push(line), target: server.address, waitMs: 180_000 });

    while ((await auditStore(home)).committed < 3) await new Promise((r) => setTimeout(r, 50));
    await server.stop();
    // Longer than the client library's own retries of a call, so the client's waiting shows.
    await new Promise((r) => setTimeout(r, 30_000));
    server = await startTestServer({ dbFile: join(home, 'temporal.db'), port: server.port });

    const result = await following;
    expect(result.failures).toEqual([]);
    expect(result.nodes.every((n) => n.status === 'done')).toBe(true);
    expect(notices).toEqual([
      expect.stringMatching(/^lost Temporal at .*; waiting up to 180 s/),
      expect.stringMatching(/^Temporal at .* is back after \d+ s$/),
    ]);
    expect(await auditStore(home)).toEqual({ committed: 10, duplicates: [], torn: [] });
  }, 240_000);

  it('two runs of one definition at once make one sweep and commit every node once', async () => {
    const home = await tempHome();
    const engine = await startTestEngine(home);
    cleanup.push(() => engine.close());
    const other = await testClient();
    cleanup.push(() => other.connection.close());
    const dag = testDag(uniqueName('twice'), [
      { id: 'a', kind: 'generate', params: { sleepMs: 300 } },
      { id: 'b', deps: ['a'], params: { sleepMs: 300 } },
      { id: 'c', kind: 'train', deps: ['b'] },
    ]);
    const [first, second] = await Promise.all([engine.start(dag), startSweep(other, dag, engine.scope)]);
    expect(second.runId).toBe(first.runId);
    const [r1, r2] = await Promise.all([first.handle.result(), second.handle.result()]);
    expect(r1).toEqual(r2);
    expect(await auditStore(home)).toEqual({ committed: 3, duplicates: [], torn: [] });
  }, 60_000);

  it('a full disk fails the node cleanly, leaves no torn artifact, and the sweep resumes once there is space', async (context) => {
    const home = await tempDir('sweep-diskfull');
    const artifacts = join(home, 'artifacts');
    mkdirSync(artifacts, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', artifacts], { stdio: 'ignore' });
    } catch {
      context.skip('mounting a small tmpfs needs root (mount -t tmpfs); run the suite as root to test a full disk');
    }
    cleanup.push(async () => void execFileSync('umount', ['-l', artifacts], { stdio: 'ignore' }));
    const engine = await startTestEngine(home);
    cleanup.push(() => engine.close());
    const name = uniqueName('diskfull');
    const dag = testDag(name, [
      { id: 'small', kind: 'generate' },
      { id: 'big', deps: ['small'], params: { bytes: 1 << 20 } },
    ]);
    const first = await (await engine.start(dag)).handle.result();
    expect(first.failures.map((f) => f.id)).toEqual(['big']);
    expect(first.failures[0]!.error).toMatch(/no space left on the disk of the artifact store .*; free space there, then `sweep resume`/);
    const store = ArtifactStore.fromHome(home);
    expect(await auditStore(home)).toMatchObject({ duplicates: [], torn: [] });
    expect(await store.lookup('preselect', dag.nodes[1]!.cacheKey)).toBeUndefined();

    execFileSync('mount', ['-o', 'remount,size=8m', artifacts]);
    const outcome = await resumeSweep(engine.client, name, engine.scope);
    const result = await outcome.handle.result();
    expect(result.failures).toEqual([]);
    expect(await auditStore(home)).toMatchObject({ duplicates: [], torn: [] });
  }, 120_000);
});
