// Many hosts, for real: the dev server in one network namespace and workers in two others,
// joined by veth links and sharing the artifact store directory. Both hosts take work;
// cutting one host's link mid-training moves its training to the other host, and when the
// link comes back the old worker's late result is not committed twice. With a gpu-queue
// worker on one host and a cpu one on the other, every node runs where its queue says.
// Skipped, with the reason, where network namespaces cannot be made (they need root).
import { dirname, join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointFile } from '../../activities/train/checkpoint-file.js';
import { CHECKPOINT_FILE } from '../../activities/train/format.js';
import { auditStore } from '../../client/housekeeping.js';
import { startTestServer, type TestServer } from '../../client/server.js';
import { startSweep } from '../../client/sweeps.js';
import { NODE_KINDS, type Dag, type RetrySettings, type TrainParams } from '../../core/dag.js';
import { FEATURES, settings, writeInputs } from '../train/fixtures.js';
import { tempHome, testNode, testProject, uniqueName } from '../helpers/engine.js';
import { createTestHosts, netnsUnavailable, type TestHosts } from '../helpers/netns.js';
import { removeTempDirs } from '../helpers/temp.js';
import { killWorkerProcesses, spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const WORKER = 'test/train/temporal-worker.ts';
const unavailable = netnsUnavailable();
let hosts: TestHosts | undefined;
let server: TestServer | undefined;
let client: Client | undefined;
let fixtures: string;

beforeAll(async () => {
  if (unavailable) return;
  hosts = createTestHosts();
  server = await startTestServer({ netns: { name: hosts.server, address: hosts.serverFromTest } });
  client = new Client({ connection: await Connection.connect({ address: server.address }) });
  fixtures = dirname((await writeInputs(1500, 3))[0]!.dir);
}, 120_000);

afterAll(async () => {
  killWorkerProcesses();
  await client?.connection.close();
  await server?.stop();
  hosts?.destroy();
  await removeTempDirs();
});

const FAST: RetrySettings = {
  maximumAttempts: 5,
  initialIntervalSeconds: 0.5,
  backoffCoefficient: 1,
  maximumIntervalSeconds: 1,
  heartbeatTimeoutSeconds: 10,
};

/** Eight cpu nodes that take a while, the training's inputs, and one training of `epochs` epochs. */
function hostDag(sweep: string, epochs: number): Dag {
  // tfjs wasm, not the fused kernel: its epochs are slow enough that a training outlasts the
  // heartbeat timeout that moves it when its host is cut off.
  const training = { epochs, folds: 3, batchSize: 64, earlyStopping: { enabled: false, patience: 1 }, backend: 'wasm' as const };
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
  return {
    sweep,
    nodes: [
      ...Array.from({ length: 8 }, (_, i) => testNode(`work/${i}`, 'score', [], { sleepMs: 1500 }, sweep)),
      ...['bkgA', 'bkgB'].map((s) => testNode(`preselect/${s}`, 'preselect', [], { sample: { name: s, kind: 'background' } }, sweep)),
      testNode(
        'fitScaler/all',
        'fitScaler',
        ['preselect/bkgA', 'preselect/bkgB'],
        { background: 'all', samples: ['bkgA', 'bkgB'], features: FEATURES },
        sweep,
      ),
      testNode('train/all/AE-l3', 'train', ['preselect/bkgA', 'preselect/bkgB', 'fitScaler/all'], trainParams, sweep),
    ],
    limits: { maxParallel: {} },
    retry: Object.fromEntries(NODE_KINDS.map((kind) => [kind, FAST])) as Dag['retry'],
  };
}

async function startHostWorkers(home: string, project: string, queues: [string, string]): Promise<[WorkerProcess, WorkerProcess]> {
  const spawnOn = (i: 0 | 1) =>
    spawnWorkerProcess(
      WORKER,
      home,
      {
        TRAIN_FIXTURES: fixtures,
        SWEEP_PROJECT: project,
        WORKER_QUEUES: queues[i],
        TEMPORAL_ADDRESS: `${hosts!.serverFromHost[i]}:${server!.port}`,
      },
      hosts!.hosts[i],
    );
  return [await spawnOn(0), await spawnOn(1)];
}

const ran = (worker: WorkerProcess) => worker.output.filter((line) => line.startsWith('ran ')).map((line) => line.slice(4));

describe.skipIf(unavailable)(`many hosts${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('both hosts take work; a host cut off mid-training hands its training to the other, and its late result is not committed twice', async () => {
    const home = await tempHome();
    const project = testProject();
    const workers = await startHostWorkers(home, project, ['cpu,gpu', 'cpu,gpu']);
    // Long enough that the cut host is still training when the heartbeat timeout (10 s) moves it.
    const dag = hostDag(uniqueName('hosts'), 80);
    const checkpoint = join(home, 'work', dag.nodes.at(-1)!.cacheKey, CHECKPOINT_FILE);
    const { handle } = await startSweep(client!, dag, { home, project });

    const epochsDone = async () =>
      (await readCheckpointFile<{ epochsDone: number }>(checkpoint).catch(() => undefined))?.meta.epochsDone ?? 0;
    const deadline = Date.now() + 120_000;
    while ((await epochsDone()) < 2) {
      if (Date.now() > deadline)
        throw new Error(`the training never got past epoch 2:\n${workers.map((w) => w.output.join('\n')).join('\n--\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const trainer = workers.findIndex((w) => w.output.some((line) => line.startsWith('attempt 1 '))) as 0 | 1;
    expect(trainer).toBeGreaterThanOrEqual(0);
    const other = workers[1 - trainer]!;
    hosts!.cut(trainer);
    const cutAt = Date.now();
    while (!other.output.some((line) => /^attempt [2-9] /.test(line))) {
      if (Date.now() - cutAt > 90_000) {
        hosts!.restore(trainer);
        throw new Error(`no failover within 90 s:\n${other.output.join('\n')}\n-- cut host:\n${workers[trainer]!.output.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const movedAfter = (Date.now() - cutAt) / 1000;
    expect(movedAfter).toBeLessThan(60);
    hosts!.restore(trainer);

    const result = await handle.result();
    expect(result.failures).toEqual([]);
    // The cut-off host trains on until its link is back; then Temporal tells it the attempt is
    // gone (it stops at a checkpoint), or it finishes first and its commit meets the artifact.
    const late = workers[trainer]!;
    while (!late.output.some((line) => line.includes('epoch 80/80') || line.includes('stopped in epoch'))) {
      if (Date.now() - cutAt > 240_000) throw new Error(`the cut-off host never finished its training:\n${late.output.join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 2_000));
    // Both hosts took cpu nodes.
    for (const worker of workers) expect(ran(worker).some((id) => id.startsWith('work/'))).toBe(true);
    const audit = await auditStore(home);
    expect(audit).toEqual({ committed: dag.nodes.length, duplicates: [], torn: [] });
    console.log(`[hosts] training moved to the other host ${movedAfter.toFixed(1)} s after its link was cut`);
  }, 360_000);

  it('routes every node to the host that serves its queue', async () => {
    const home = await tempHome();
    const project = testProject();
    const [gpuHost, cpuHost] = await startHostWorkers(home, project, ['gpu', 'cpu']);
    const dag = hostDag(uniqueName('routing'), 2);
    const { handle } = await startSweep(client!, dag, { home, project });
    const result = await handle.result();
    expect(result.failures).toEqual([]);
    expect(ran(gpuHost)).toEqual(['train/all/AE-l3']);
    expect(ran(cpuHost).sort()).toEqual(
      dag.nodes
        .filter((n) => n.queue === 'cpu')
        .map((n) => n.id)
        .sort(),
    );
  }, 180_000);
});
