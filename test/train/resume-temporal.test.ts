// Through the real dev server: SIGKILL the worker while a training is in epoch k > 1, start
// a new worker; the retried activity resumes after the last checkpointed epoch (not from
// epoch 1) and ends with the weights of an uninterrupted run with the same seed.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { ArtifactStore } from '../../activities/engine/store.js';
import { readCheckpointFile } from '../../activities/train/checkpoint-file.js';
import { CHECKPOINT_FILE } from '../../activities/train/format.js';
import { runTrain } from '../../activities/train/index.js';
import { startSweep } from '../../client/sweeps.js';
import { NODE_KINDS, type Dag, type DagNode, type RetrySettings } from '../../core/dag.js';
import { taskQueueName, WORKFLOW_TASK_QUEUE } from '../../workflows/api.js';
import { tempHome, testClient, testQueuePrefix, uniqueName } from '../helpers/engine.js';
import { killWorkerProcesses, spawnWorkerProcess } from '../helpers/worker-process.js';
import { FEATURES, settings, trainContext, writeInputs } from './fixtures.js';

const WORKER = 'test/train/temporal-worker.ts';
let client: Client | undefined;

afterAll(async () => {
  killWorkerProcesses();
  await client?.connection.close();
});

const RETRY: RetrySettings = {
  maximumAttempts: 4,
  initialIntervalSeconds: 0.1,
  backoffCoefficient: 1,
  maximumIntervalSeconds: 0.5,
  heartbeatTimeoutSeconds: 3,
};
const TRAINING = { epochs: 6, folds: 3, batchSize: 64, earlyStopping: { enabled: false, patience: 1 } };

function node<K extends DagNode['kind']>(id: string, kind: K, dependsOn: string[], params: unknown, sweep: string): DagNode {
  const cacheKey = createHash('sha256')
    .update(JSON.stringify([sweep, id, params]))
    .digest('hex')
    .slice(0, 32);
  return { id, kind, queue: kind === 'train' ? 'gpu' : 'cpu', dependsOn, params: params as DagNode['params'], cacheKey, summary: id };
}

it('resumes a training from its checkpoint after the worker is killed in epoch k > 1', async () => {
  const inputs = await writeInputs(1200, 3);
  const fixtures = dirname(inputs[0]!.dir);
  const name = uniqueName('train-resume');
  const trainParams = {
    model: 'AE-l3',
    architecture: 'AE',
    latentDim: 3,
    background: 'all',
    samples: ['bkgA', 'bkgB'],
    features: FEATURES,
    training: settings(TRAINING),
  };
  const trainNode = node('train/all/AE-l3', 'train', ['preselect/bkgA', 'preselect/bkgB', 'fitScaler/all'], trainParams, name);
  const dag: Dag = {
    sweep: name,
    nodes: [
      ...['bkgA', 'bkgB'].map((s) => node(`preselect/${s}`, 'preselect', [], { sample: { name: s, kind: 'background' } }, name)),
      node(
        'fitScaler/all',
        'fitScaler',
        ['preselect/bkgA', 'preselect/bkgB'],
        { background: 'all', samples: ['bkgA', 'bkgB'], features: FEATURES },
        name,
      ),
      trainNode,
    ],
    limits: { maxParallel: {} },
    retry: Object.fromEntries(NODE_KINDS.map((kind) => [kind, RETRY])) as Dag['retry'],
  };
  const home = await tempHome();
  const checkpoint = join(home, 'work', trainNode.cacheKey, CHECKPOINT_FILE);

  // Private queues: other test files share this dev server.
  const prefix = testQueuePrefix();
  const workerEnv = { TRAIN_FIXTURES: fixtures, SWEEP_TASK_QUEUE_PREFIX: prefix };
  const first = await spawnWorkerProcess(WORKER, home, workerEnv);
  client = await testClient();
  const { handle } = await startSweep(client, dag, { taskQueue: taskQueueName(prefix, WORKFLOW_TASK_QUEUE), home });
  const deadline = Date.now() + 90_000;
  let epochsDone = 0;
  while (epochsDone < 2) {
    if (Date.now() > deadline) throw new Error(`the training never got past epoch 2; worker said:\n${first.output.join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
    epochsDone = (await readCheckpointFile<{ epochsDone: number }>(checkpoint).catch(() => undefined))?.meta.epochsDone ?? 0;
  }
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  const killedAfter = (await readCheckpointFile<{ epochsDone: number }>(checkpoint))!.meta.epochsDone;
  expect(killedAfter).toBeGreaterThanOrEqual(2);
  expect(killedAfter).toBeLessThan(TRAINING.epochs);

  const second = await spawnWorkerProcess(WORKER, home, workerEnv);
  const result = await handle.result();
  expect(result.failures).toEqual([]);
  const trained = result.nodes.find((n) => n.id === trainNode.id)!;
  expect(trained).toMatchObject({ status: 'done', summary: { epochs: TRAINING.epochs } });
  expect(trained.attempts).toBeGreaterThan(1);
  const log = second.output.join('\n');
  // Heartbeat details reach the server throttled (Temporal sends them at most every 0.8 x
  // heartbeat timeout), so the retry may see an older epoch or none: the checkpoint in the
  // work directory is what it resumes from.
  expect(log).toMatch(/attempt [2-9] heartbeatDetails /);
  expect(log).toMatch(new RegExp(`resuming after epoch ${killedAfter}\\b`));
  expect(log).not.toMatch(/epoch 1\/6/);

  // The same training without interruption, straight through the runner.
  const reference = await trainContext(inputs, { training: TRAINING });
  await runTrain(reference);
  const stored = await ArtifactStore.fromHome(home).lookup('train', trainNode.cacheKey);
  const weights = async (dir: string) => {
    const bytes = Buffer.concat(await Promise.all(['encoder', 'decoder'].map((p) => readFile(join(dir, 'model', p, 'weights.bin')))));
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  };
  const [resumed, uninterrupted] = [await weights(stored!.dir), await weights(reference.outDir)];
  expect(resumed.length).toBe(uninterrupted.length);
  expect(resumed.reduce((max, v, i) => Math.max(max, Math.abs(v - uninterrupted[i]!)), 0)).toBeLessThanOrEqual(1e-6);
});
