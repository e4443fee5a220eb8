// Engine overhead: a 200-node no-op DAG shaped like a sweep (generate -> preselect ->
// fitScaler -> 30 trainings as child workflows -> score -> scan -> report) through a real
// dev server, against the same nodes (cache check, run, commit) called in a plain loop.
// A 20-node chain adds the latency one dependency step costs. Goal: < 25 ms per node.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { NODE_KINDS, type Dag, type DagNode, type NodeKind } from '../core/dag.js';
import type { NodeRunner } from '../activities/engine/context.js';
import { DagStore } from '../activities/engine/dags.js';
import { executeNode } from '../activities/engine/node-activity.js';
import type { RunnerRegistry } from '../activities/engine/context.js';
import { ArtifactStore } from '../activities/engine/store.js';
import { startTestServer } from '../client/server.js';
import { startSweep, type SweepScope } from '../client/sweeps.js';
import { cachedWorkflowBundle, installRuntime, startWorkers } from '../client/workers.js';
import type { Row } from './row.js';

const noop: NodeRunner<NodeKind> = async () => ({});
const runners = Object.fromEntries(NODE_KINDS.map((kind) => [kind, noop])) as RunnerRegistry;

export function node(sweep: string, id: string, kind: NodeKind, dependsOn: string[], extra: Record<string, unknown> = {}): DagNode {
  return {
    id,
    kind,
    queue: kind === 'train' ? 'gpu' : 'cpu',
    dependsOn,
    params: extra as unknown as DagNode['params'],
    cacheKey: createHash('sha256').update(`${sweep}/${id}`).digest('hex'),
    codeVersion: 'bench',
    summary: `${kind} ${id}`,
  };
}

export function dag(sweep: string, nodes: DagNode[]): Dag {
  const retry = {
    maximumAttempts: 3,
    initialIntervalSeconds: 1,
    backoffCoefficient: 2,
    maximumIntervalSeconds: 10,
    heartbeatTimeoutSeconds: 30,
  };
  return { sweep, nodes, limits: { maxParallel: {} }, retry: Object.fromEntries(NODE_KINDS.map((k) => [k, retry])) as Dag['retry'] };
}

/** 54 samples x (generate, preselect) + fitScaler + 30 models x (train, score, scan) + report = 200. */
function sweepShaped(sweep: string): Dag {
  const nodes: DagNode[] = [];
  const samples = Array.from({ length: 54 }, (_, i) => `s${i}`);
  for (const s of samples) nodes.push(node(sweep, `generate/${s}`, 'generate', []));
  for (const s of samples) nodes.push(node(sweep, `preselect/${s}`, 'preselect', [`generate/${s}`]));
  nodes.push(
    node(
      sweep,
      'fitScaler/all',
      'fitScaler',
      samples.map((s) => `preselect/${s}`),
    ),
  );
  const models = Array.from({ length: 30 }, (_, i) => ({ architecture: ['AE', 'VAE', 'DVAE'][i % 3]!, latentDim: 1 + Math.floor(i / 3) }));
  for (const m of models) {
    const model = `${m.architecture}-l${m.latentDim}`;
    nodes.push(node(sweep, `train/${model}`, 'train', ['fitScaler/all'], { ...m, background: 'all', axes: {}, model }));
    nodes.push(node(sweep, `score/${model}`, 'score', [`train/${model}`]));
    nodes.push(node(sweep, `scan/${model}`, 'scan', [`score/${model}`]));
  }
  nodes.push(
    node(
      sweep,
      'report',
      'report',
      models.map((m) => `scan/${m.architecture}-l${m.latentDim}`),
    ),
  );
  return dag(sweep, nodes);
}

function chain(sweep: string, length: number): Dag {
  return dag(
    sweep,
    Array.from({ length }, (_, i) => node(sweep, `n${i}`, 'preselect', i > 0 ? [`n${i - 1}`] : [])),
  );
}

/** The same nodes, in Dag order, through executeNode without Temporal. */
async function plainLoop(graph: Dag, store: ArtifactStore, home: string): Promise<number> {
  const started = performance.now();
  const dags = new DagStore(store.root);
  const ref = await dags.put(graph);
  const refs = new Map<string, Awaited<ReturnType<typeof executeNode>>>();
  for (const n of graph.nodes) {
    const inputs = Object.fromEntries(
      n.dependsOn.map((d) => [d, { ref: refs.get(d)!.artifact, kind: graph.nodes.find((x) => x.id === d)!.kind }]),
    );
    const attempt = {
      attempt: 1,
      heartbeatDetails: undefined,
      heartbeat: () => {},
      progress: () => {},
      signal: new AbortController().signal,
      log: () => {},
    };
    refs.set(
      n.id,
      await executeNode(noop, { dag: ref, nodeId: n.id, inputs }, { store, dags, home, dataRoot: home, allowedRoots: [home] }, attempt),
    );
  }
  return performance.now() - started;
}

/**
 * A private dev server, workers with the no-op runners (64 slots a queue) and a client, for
 * `use`; torn down afterwards, whatever happens.
 */
export async function withNoopEngine<T>(use: (engine: { client: Client; home: string; scope: SweepScope }) => Promise<T>): Promise<T> {
  const home = await mkdtemp(join(tmpdir(), 'sweep-bench-'));
  const server = await startTestServer();
  installRuntime('ERROR');
  const connection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  const workers = await startWorkers({
    connection,
    queues: ['cpu', 'gpu'],
    cpuSlots: 64,
    gpuSlots: 64,
    runners,
    home,
    project: 'bench',
    workflowBundlePath: await cachedWorkflowBundle(),
  });
  try {
    return await use({ client, home, scope: { home, project: 'bench' } });
  } finally {
    await workers.shutdown();
    await connection.close();
    await client.connection.close();
    await server.stop();
    await rm(home, { recursive: true, force: true });
  }
}

export function bench(): Promise<Row[]> {
  return withNoopEngine(async ({ client, home, scope }) => {
    const timeSweep = async (graph: Dag) => {
      const started = performance.now();
      const result = await (await startSweep(client, graph, scope)).handle.result();
      if (result.failures.length > 0) throw new Error(`bench sweep failed: ${JSON.stringify(result.failures)}`);
      return performance.now() - started;
    };
    await timeSweep(chain('warm-up', 5)); // first workflow task loads the bundle into the worker
    const big = sweepShaped('engine-200');
    const engineMs = await timeSweep(big);
    const cachedMs = await timeSweep(big); // same Dag again: every node is a cache hit
    const chainLength = 20;
    const chainMs = await timeSweep(chain('chain-20', chainLength));
    const loopMs = await plainLoop(sweepShaped('loop-200'), ArtifactStore.fromHome(home), home);
    const n = big.nodes.length;
    return [
      { name: `${n}-node no-op sweep through Temporal`, value: engineMs / 1000, unit: 's' },
      { name: 'same nodes in a plain loop (cache check, run, commit)', value: loopMs / 1000, unit: 's' },
      { name: 'ratio Temporal / plain loop', value: engineMs / loopMs, unit: 'x' },
      { name: 'wall time per node', value: engineMs / n, unit: 'ms', note: 'goal < 25' },
      { name: 'Temporal overhead per node', value: (engineMs - loopMs) / n, unit: 'ms' },
      { name: `${n}-node sweep again, all cache hits`, value: cachedMs / 1000, unit: 's' },
      { name: `latency per dependency step (${chainLength}-node chain)`, value: chainMs / chainLength, unit: 'ms' },
    ];
  });
}
