// Client-side operations on sweep workflows: start (or attach to) a sweep, resume one,
// follow its progress until it ends. Used by the CLI and by the engine tests alike.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultPayloadConverter, WorkflowIdConflictPolicy } from '@temporalio/common';
import {
  WorkflowNotFoundError,
  type Client,
  type WorkflowClient,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import type { Dag, DagRef, TrainParams } from '../core/dag.js';
import { NotFoundError, UserError } from '../core/errors.js';
import type { NodeOutcome, NodeProgress, SweepInput, SweepResult } from '../core/node-io.js';
import type { TrainingProgress } from '../core/training-progress.js';
import { DagStore } from '../activities/engine/dags.js';
import { ArtifactStore, sweepHome, type Manifest } from '../activities/engine/store.js';
import {
  progressQuery,
  retryFailedUpdate,
  sweepWorkflowId,
  taskQueueName,
  trainingProgressQuery,
  trainingWorkflowId,
  WORKFLOW_TASK_QUEUE,
} from '../workflows/api.js';
import type { sweep } from '../workflows/sweep.js';
import { rideOutOutage, type OutageOptions } from './outage.js';
import { projectName } from './project.js';

export type SweepHandle = WorkflowHandle<typeof sweep>;

/** Where a client's sweeps live: the store (for Dags) and the project (for ids and queues). */
export interface SweepScope {
  home: string;
  project: string;
}

/** This checkout's scope: SWEEP_HOME and its project (client/project.ts). */
export function defaultScope(): SweepScope {
  const home = sweepHome();
  return { home, project: projectName(home) };
}

/** Accepts `<name>`, `sweep/<name>` (both in the scope's project) or a full `<project>/sweep/<name>`. */
export function normaliseSweepId(id: string, scope: SweepScope): string {
  if (id.includes('/sweep/')) return id;
  return sweepWorkflowId(scope.project, id.startsWith('sweep/') ? id.slice('sweep/'.length) : id);
}

/**
 * Starts the sweep `<project>/sweep/<name>` with this Dag, or attaches to the run already in
 * progress (a second submission of a running definition must not start a second sweep). The
 * Dag goes into the scope's artifact store; the workflow receives its reference.
 */
export async function startSweep(
  client: Client,
  dag: Dag,
  scope: SweepScope = defaultScope(),
  options: Pick<SweepInput, 'historyLimit'> = {},
): Promise<{ handle: SweepHandle; runId: string; attached: boolean }> {
  const workflowId = sweepWorkflowId(scope.project, dag.sweep);
  const running = await runningRunId(client, workflowId);
  if (running) return { handle: client.workflow.getHandle(workflowId, running), runId: running, attached: true };
  const ref = await dagStore(scope.home).put(dag);
  // USE_EXISTING also covers a submission racing ours between the check above and this start.
  const handle = await client.workflow.start<typeof sweep>('sweep', {
    workflowId,
    taskQueue: taskQueueName(scope.project, WORKFLOW_TASK_QUEUE),
    args: [{ sweep: dag.sweep, dag: ref, ...options }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    staticSummary: `sweep ${dag.sweep}: ${dag.nodes.length} nodes`,
  });
  const runId = handle.firstExecutionRunId;
  return { handle: client.workflow.getHandle(workflowId, runId), runId, attached: false };
}

async function runningRunId(client: Client, workflowId: string): Promise<string | undefined> {
  const description = (await latestRun(client, workflowId))?.description;
  return description?.status.name === 'RUNNING' ? description.runId : undefined;
}

/** The sweep's latest run and its description; undefined when no sweep has this id. */
async function latestRun(
  client: Client,
  workflowId: string,
): Promise<{ handle: SweepHandle; description: WorkflowExecutionDescription } | undefined> {
  const handle = client.workflow.getHandle<typeof sweep>(workflowId);
  try {
    return { handle, description: await handle.describe() };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

export type ResumeOutcome =
  { mode: 'update'; handle: SweepHandle; reset: string[] } | { mode: 'new-run'; handle: SweepHandle; runId: string; nodes: number };

/**
 * Re-runs what failed: a running sweep gets the `retryFailed` update; a closed one is
 * started again with the Dag of its last run, so every node that finished is a cache hit.
 */
export async function resumeSweep(client: Client, id: string, scope: SweepScope = defaultScope()): Promise<ResumeOutcome> {
  const workflowId = normaliseSweepId(id, scope);
  const latest = await latestRun(client, workflowId);
  if (!latest) throw new NotFoundError(`no sweep with id ${workflowId}; \`sweep submit FILE\` starts one`);
  const { description } = latest;
  if (description.status.name === 'RUNNING') {
    const reset = await latest.handle.executeUpdate(retryFailedUpdate);
    return { mode: 'update', handle: latest.handle, reset };
  }
  const dag = await dagOfRun(client, workflowId, description.runId, scope.home);
  const { handle, runId } = await startSweep(client, dag, scope);
  return { mode: 'new-run', handle, runId, nodes: dag.nodes.length };
}

/** What reads a run's history: a Client, or the WorkflowClient of a handle. */
type HistoryReader = Pick<Client, 'workflowService'> & { options: { namespace: string } };

/** The Dag a run was started with: the reference in the input of its first history event. */
export async function dagOfRun(client: HistoryReader, workflowId: string, runId: string, home = sweepHome()): Promise<Dag> {
  const store = dagStore(home);
  const ref = await dagRefOfRun(client, workflowId, runId);
  if (!store.has(ref)) {
    throw new UserError(
      `${workflowId} was submitted with another artifact store: its Dag (${ref.hash.slice(0, 12)}) is not in ${home}; ` +
        'run this command where SWEEP_HOME points at the store the sweep was submitted with (shared by its workers)',
      'not-found',
    );
  }
  return store.get(ref);
}

/** The reference to the Dag a run was started with. */
export async function dagRefOfRun(client: HistoryReader, workflowId: string, runId: string): Promise<DagRef> {
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  const payload = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error(`run ${runId} of ${workflowId} has no recorded input`);
  return defaultPayloadConverter.fromPayload<SweepInput>(payload).dag;
}

function dagStore(home = sweepHome()): DagStore {
  return new DagStore(ArtifactStore.fromHome(home).root);
}

export interface SweepReport {
  workflowId: string;
  runId: string;
  status: string;
  startTime: string;
  closeTime?: string;
  /** Live progress (running sweeps, when a worker answers). */
  progress?: NodeProgress[];
  /** Per running training (node id): its latest epoch report, when its workflow answers. */
  trainings?: Record<string, TrainingProgress>;
  /** The outcome of a completed sweep. */
  result?: SweepResult;
}

/** Where a sweep stands: its latest run's status plus progress or result. */
export async function describeSweep(client: Client, id: string, scope: SweepScope = defaultScope()): Promise<SweepReport> {
  const workflowId = normaliseSweepId(id, scope);
  const latest = await latestRun(client, workflowId);
  if (!latest) throw new NotFoundError(`no sweep with id ${workflowId}`);
  const { handle, description } = latest;
  const report: SweepReport = {
    workflowId,
    runId: description.runId,
    status: description.status.name,
    startTime: description.startTime.toISOString(),
    closeTime: description.closeTime?.toISOString(),
  };
  if (report.status === 'RUNNING') report.progress = await queryProgress(handle, 3_000);
  if (report.progress?.some((p) => p.kind === 'train' && p.status === 'running')) {
    const dag = await dagOfRun(client, workflowId, description.runId);
    report.trainings = Object.fromEntries(await queryTrainings(client.workflow, workflowId, dag, report.progress, 3_000));
  }
  if (report.status === 'COMPLETED')
    report.result = await fullResult(await handle.result(), () => dagOfRun(client, workflowId, description.runId, scope.home));
  return report;
}

/** The answer to a query, or undefined when there is none within `timeoutMs` (no worker polls, the workflow is gone). */
async function answerWithin<T>(query: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
  try {
    return await Promise.race([query, timeout]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** Latest progress of a sweep, or undefined when no worker answers the query in time. */
export function queryProgress(handle: SweepHandle, timeoutMs = 5_000): Promise<NodeProgress[] | undefined> {
  return answerWithin(handle.query(progressQuery), timeoutMs);
}

/**
 * The latest epoch report of every running training among `nodes`, keyed by node id, from
 * the training workflows the sweep started; one that has not reported yet or does not
 * answer in time is left out.
 */
export async function queryTrainings(
  workflows: WorkflowClient,
  sweepId: string,
  dag: Dag,
  nodes: NodeProgress[],
  timeoutMs = 2_000,
): Promise<Map<string, TrainingProgress>> {
  const running = new Set(nodes.filter((p) => p.kind === 'train' && p.status === 'running').map((p) => p.id));
  const answers = await Promise.all(
    dag.nodes
      .filter((node) => running.has(node.id))
      .map(async (node) => {
        const handle = workflows.getHandle(trainingWorkflowId(sweepId, node.params as TrainParams));
        return [node.id, await answerWithin(handle.query(trainingProgressQuery), timeoutMs)] as const;
      }),
  );
  return new Map(answers.filter((answer): answer is readonly [string, TrainingProgress] => Boolean(answer[1])));
}

/** Trainings report once per epoch, so asking them more often than this only costs workflow tasks. */
const TRAINING_POLL_MS = 2_000;

/**
 * Waits for the sweep's result, calling `onProgress` with fresh progress every `intervalMs`;
 * given the sweep's Dag, with the latest reports of its running trainings too. A server
 * outage is ridden out (see outage.ts): the sweep goes on on the server meanwhile. One
 * progress query at a time, and the last one settled before returning: the client library
 * retries a query through an outage on timers that outlive a closed connection.
 */
export async function followSweep(
  handle: SweepHandle,
  onProgress: (progress: NodeProgress[], trainings: Map<string, TrainingProgress>) => void,
  outage: OutageOptions,
  options: { intervalMs?: number; dag?: Dag } = {},
): Promise<SweepResult> {
  const { intervalMs = 500, dag } = options;
  let finished = false;
  const result = rideOutOutage(() => handle.result(), outage).finally(() => {
    finished = true;
  });
  // Progress comes from the sweep's latest run: a long sweep continues as new, and the run
  // `handle` names then answers with the state it closed with.
  const latest = handle.client.getHandle<typeof sweep>(handle.workflowId);
  let inFlight: { promise: Promise<NodeProgress[] | undefined>; settled: boolean } | undefined;
  let trainings = new Map<string, TrainingProgress>();
  let trainingsAsked = -Infinity;
  const poll = async () => {
    while (!finished) {
      if (!inFlight) {
        const query = { settled: false, promise: Promise.resolve<NodeProgress[] | undefined>(undefined) };
        query.promise = latest
          .query(progressQuery)
          .catch(() => undefined)
          .finally(() => {
            query.settled = true;
          });
        inFlight = query;
      }
      const progress = await Promise.race([inFlight.promise, sleep(2_000)]);
      if (inFlight.settled) inFlight = undefined;
      if (progress && dag && !finished && Date.now() - trainingsAsked >= TRAINING_POLL_MS) {
        trainingsAsked = Date.now();
        const answers = await queryTrainings(handle.client, handle.workflowId, dag, progress);
        // A training that did not answer in time (a busy worker) keeps its last report while it runs.
        const running = new Set(progress.filter((p) => p.status === 'running').map((p) => p.id));
        trainings = new Map([...[...trainings].filter(([id]) => running.has(id)), ...answers]);
      }
      if (progress && !finished) onProgress(progress, trainings);
      await Promise.race([result.catch(() => undefined), sleep(intervalMs)]);
    }
    await inFlight?.promise;
  };
  const [outcome] = await Promise.all([result, poll()]);
  return fullResult(outcome, async () => dag ?? dagOfRun(handle.client, handle.workflowId, (await latest.describe()).runId));
}

/** A sweep's result with every node's outcome and summary (see expandResult, withSummaries). */
async function fullResult(result: SweepResult, dagOf: () => Promise<Dag>): Promise<SweepResult> {
  return withSummaries(result.done ? expandResult(result, await dagOf()) : result);
}

/** A large sweep returns its done nodes compactly (SweepResult.done): every node's outcome, in the Dag's order. */
export function expandResult(result: SweepResult, dag: Dag): SweepResult {
  const { roots, done } = result.done ?? { roots: [], done: {} };
  const others = new Map(result.nodes.map((node) => [node.id, node]));
  const nodes = dag.nodes.flatMap((node): NodeOutcome[] => {
    const compact = done[node.id];
    if (!compact) return others.has(node.id) ? [others.get(node.id)!] : [];
    const [hash, root, attempts, cacheHit] = compact;
    const artifact = { uri: `${roots[root]}/${node.kind}/${node.cacheKey}`, hash, cacheKey: node.cacheKey };
    return [{ id: node.id, kind: node.kind, status: 'done', cacheHit: cacheHit === 1, attempts, artifact }];
  });
  return { sweep: result.sweep, nodes, failures: result.failures };
}

/**
 * Nodes a long sweep finished in an earlier run (before a continue-as-new) come back without
 * their summaries, which would not fit the result: read them from the artifacts' manifests,
 * where this host sees the store (a node it cannot read keeps no summary, as a failed one).
 */
async function withSummaries(result: SweepResult): Promise<SweepResult> {
  const nodes = await Promise.all(
    result.nodes.map(async (node) => {
      if (node.summary || !node.artifact) return node;
      const manifest = join(fileURLToPath(node.artifact.uri), 'manifest.json');
      const text = await readFile(manifest, 'utf8').catch(() => undefined);
      return text === undefined ? node : { ...node, summary: (JSON.parse(text) as Manifest).summary };
    }),
  );
  return { ...result, nodes };
}

function sleep(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}
