// The one place where node runners meet Temporal. `executeNode` owns caching and commits
// and knows nothing about Temporal (the benchmark calls it in a plain loop as the
// baseline); `nodeActivities` wraps it into one activity per node kind.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NODE_KINDS, sweepPlan, type BackendSetting, type NodeKind, type SweepPlan } from '../../core/dag.js';
import { isUserError, UserError } from '../../core/errors.js';
import {
  ARTIFACT_LOST,
  NODE_PROGRESS_SIGNAL,
  type NodeActivities,
  type NodeActivityInput,
  type NodeActivityResult,
  type SweepActivities,
} from '../../core/node-io.js';
import type { InputArtifact, NodeContext, NodeRunner, RunnerRegistry } from './context.js';
import type { DagStore } from './dags.js';
import type { ArtifactStore, StoredArtifact } from './store.js';

/** Where a worker keeps things: the stores, durable scratch space, the data root, the host's backend. */
export interface NodeEnvironment {
  store: ArtifactStore;
  dags: DagStore;
  /** `<home>/work/<cacheKey>` is a node's durable scratch directory. */
  home: string;
  dataRoot: string;
  /** Directories below which user files may be read (lib/data-files.ts). */
  allowedRoots: string[];
  backend?: BackendSetting;
  /** The code version of each kind in this worker; a node planned with another is refused. */
  codeVersions?: Record<NodeKind, string>;
}

/** Failure type of a node refused by a worker whose code differs from the code it was planned with. */
export const CODE_VERSION_MISMATCH = 'CodeVersionMismatch';

/** The parts of a NodeContext that come from whoever executes the node (Temporal or a plain loop). */
export type AttemptContext = Pick<NodeContext, 'attempt' | 'heartbeatDetails' | 'heartbeat' | 'progress' | 'signal' | 'log'>;

/** Input artifacts that are gone or damaged; the sweep computes these dependencies again. */
export class ArtifactLostError extends Error {
  constructor(readonly lost: string[]) {
    super(`input artifacts of ${lost.join(', ')} are missing or damaged; the sweep computes them again`);
    this.name = ARTIFACT_LOST;
  }
}

/** Returns the cached artifact if it is intact, or runs the node and commits what it wrote. */
export async function executeNode(
  runner: NodeRunner<NodeKind>,
  input: NodeActivityInput,
  env: NodeEnvironment,
  attempt: AttemptContext,
): Promise<NodeActivityResult> {
  const node = await env.dags.node(input.dag, input.nodeId);
  const cached = await env.store.usable(node.kind, node.cacheKey, attempt.log);
  if (cached) return { artifact: cached.ref, cacheHit: true, summary: cached.manifest.summary, attempt: attempt.attempt };

  const inputs: InputArtifact[] = [];
  const lost: string[] = [];
  for (const [nodeId, dep] of Object.entries(input.inputs)) {
    const stored = await env.store.open(dep.kind, dep.ref, attempt.log);
    if (stored) inputs.push({ nodeId, kind: dep.kind, dir: stored.dir, summary: stored.manifest.summary });
    else lost.push(nodeId);
  }
  if (lost.length > 0) throw new ArtifactLostError(lost);
  const workDir = join(env.home, 'work', node.cacheKey);
  await mkdir(workDir, { recursive: true });
  const outDir = await env.store.stage();
  let stored: StoredArtifact;
  try {
    const returned = await runner({
      ...attempt,
      node,
      inputs,
      outDir,
      workDir,
      dataRoot: env.dataRoot,
      allowedRoots: env.allowedRoots,
      backend: env.backend,
    });
    stored = await env.store.commit(outDir, {
      nodeId: node.id,
      kind: node.kind,
      cacheKey: node.cacheKey,
      summary: plainSummary(node.id, returned),
    });
  } catch (err) {
    await env.store.discard(outDir).catch(() => undefined);
    throw diskFull(err)
      ? new UserError(
          `no space left on the disk of the artifact store ${env.store.root} (${(err as Error).message.split('\n')[0]}); free space there, then \`sweep resume\``,
        )
      : err;
  }
  // Checkpoints are only worth keeping until the artifact exists.
  await rm(workDir, { recursive: true, force: true });
  return { artifact: stored.ref, cacheHit: false, summary: stored.manifest.summary, attempt: attempt.attempt };
}

/** ENOSPC, also when it crossed a process boundary as text. */
function diskFull(err: unknown): boolean {
  return err instanceof Error && ((err as NodeJS.ErrnoException).code === 'ENOSPC' || /\bENOSPC\b/.test(err.message));
}

/** Summaries travel through Temporal as JSON: insist on a plain, serialisable object. */
function plainSummary(nodeId: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`runner of ${nodeId} returned ${Array.isArray(value) ? 'an array' : typeof value}, expected a summary object`);
  }
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

/** The activities of the sweep workflow itself. */
export function sweepActivities(env: Pick<NodeEnvironment, 'dags'>): SweepActivities {
  return {
    planSweep: async (ref, from) => planPage(sweepPlan(await env.dags.get(ref), ref), from),
    trainingResult,
  };
}

// Temporal refuses payloads over 2 MB (blob size limit); half of that leaves room for the rest.
const PLAN_PAGE_BYTES = 1024 * 1024;

/** The plan's nodes from `from` on, as many as fit PLAN_PAGE_BYTES (at least one). */
function planPage(plan: SweepPlan, from: number): { plan: SweepPlan; next: number | null } {
  let bytes = 0;
  let end = from;
  while (end < plan.nodes.length) {
    bytes += JSON.stringify(plan.nodes[end]).length;
    if (bytes > PLAN_PAGE_BYTES && end > from) break;
    end += 1;
  }
  return { plan: { ...plan, nodes: plan.nodes.slice(from, end) }, next: end < plan.nodes.length ? end : null };
}

// Often enough for the workflow's one-minute heartbeat timeout, rarely enough to cost nothing.
const WAIT_HEARTBEAT_MS = 10_000;

/**
 * The result of a training workflow started earlier, waited for through the worker's client.
 * Its failure comes back as the training's own (the node's message and attempts), and is
 * final: retrying the wait would not change it. A cancelled wait leaves the training alone:
 * the wait of a run that continued as new is cancelled too, and the next run waits instead
 * (a cancelled sweep cancels its trainings itself).
 */
async function trainingResult({ workflowId, runId }: { workflowId: string; runId?: string }): Promise<NodeActivityResult> {
  const context = Context.current();
  const handle = context.client.workflow.getHandle<() => Promise<NodeActivityResult>>(workflowId, runId);
  const timer = setInterval(() => context.heartbeat(), WAIT_HEARTBEAT_MS);
  try {
    return await Promise.race([handle.result(), context.cancelled]);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw ApplicationFailure.nonRetryable(
        `the training workflow ${workflowId} is gone (past the namespace's retention?); \`sweep resume\` trains it again`,
        'TrainingGone',
      );
    }
    if (err instanceof WorkflowFailedError) {
      throw ApplicationFailure.create({ message: err.message, type: 'TrainingFailed', nonRetryable: true, cause: err.cause });
    }
    throw err;
  } finally {
    clearInterval(timer);
  }
}

/** One Temporal activity per node kind, named after the kind. */
export function nodeActivities(runners: RunnerRegistry, env: NodeEnvironment): NodeActivities {
  const activities = {} as NodeActivities;
  for (const kind of NODE_KINDS) {
    // runAsActivity refuses a node of another kind, so the runner always gets its own kind.
    const runner = runners[kind] as NodeRunner<NodeKind>;
    activities[kind] = (input) => runAsActivity(kind, runner, input, env);
  }
  return activities;
}

// Long CPU-bound nodes may not heartbeat often enough on their own; the engine keeps the
// activity alive in between, re-sending the runner's last details so checkpoints survive.
const MAX_HEARTBEAT_INTERVAL_MS = 5_000;

async function runAsActivity(
  kind: NodeKind,
  runner: NodeRunner<NodeKind>,
  input: NodeActivityInput,
  env: NodeEnvironment,
): Promise<NodeActivityResult> {
  const context = Context.current();
  const { attempt, heartbeatDetails, heartbeatTimeoutMs } = context.info;
  const node = await env.dags.node(input.dag, input.nodeId);
  if (node.kind !== kind) {
    throw ApplicationFailure.nonRetryable(`node ${node.id} of kind ${node.kind} was sent to the ${kind} activity`, 'EngineError');
  }
  const mine = env.codeVersions?.[kind];
  if (mine !== undefined && node.codeVersion !== mine) {
    // Retryable, after a pause: another worker, running the code the node was planned with, can take it.
    throw ApplicationFailure.create({
      type: CODE_VERSION_MISMATCH,
      message:
        `${node.id} was planned with ${kind} code version ${node.codeVersion.slice(0, 12)}, but this worker runs ${mine.slice(0, 12)} ` +
        '(another checkout or revision): it leaves the node to a worker with the same code. Start workers from the code that ' +
        'planned the sweep, or plan it again from this code (sweep run / sweep submit).',
      nextRetryDelay: '10 seconds',
      details: [{ attempt }],
    });
  }
  let lastDetails: unknown = heartbeatDetails;
  const heartbeat = (details?: unknown) => {
    if (details !== undefined) lastDetails = details;
    context.heartbeat(lastDetails);
  };
  const interval = heartbeatTimeoutMs ? Math.min(MAX_HEARTBEAT_INTERVAL_MS, heartbeatTimeoutMs / 3) : MAX_HEARTBEAT_INTERVAL_MS;
  const timer = setInterval(() => heartbeat(), interval);
  try {
    return await executeNode(runner, input, env, {
      attempt,
      heartbeatDetails,
      heartbeat,
      progress: progressSignaller(context, node.id),
      signal: context.cancellationSignal,
      log: (message) => context.log.info(message, { nodeId: node.id }),
    });
  } catch (err) {
    throw asFailure(err, attempt, context.cancellationSignal.aborted);
  } finally {
    clearInterval(timer);
  }
}

/**
 * Progress reports for the workflow that scheduled this activity, sent as signals through
 * the worker's client. The latest report wins: while one signal is on its way, a newer
 * report replaces the one waiting, so a slow server never builds a queue. Progress is for
 * people watching, so a signal that fails (the workflow has just closed, the server is
 * briefly away) is logged and the node runs on.
 */
function progressSignaller(context: Context, nodeId: string): (details: unknown) => void {
  const execution = context.info.workflowExecution;
  if (!execution) return () => undefined;
  let sending = false;
  let waiting: { details: unknown } | undefined;
  const send = async (details: unknown) => {
    sending = true;
    try {
      await context.client.workflow.getHandle(execution.workflowId, execution.runId).signal(NODE_PROGRESS_SIGNAL, details);
    } catch (err) {
      context.log.warn(`progress of ${nodeId} not delivered to ${execution.workflowId}: ${(err as Error).message}`);
    }
    sending = false;
    const next = waiting;
    waiting = undefined;
    if (next) void send(next.details);
  };
  return (details) => {
    if (sending) waiting = { details };
    else void send(details);
  };
}

/**
 * A UserError fails at once (type `UserError`, its code in the details); lost inputs fail at
 * once too, naming the dependencies the sweep must recompute; anything else stays retryable.
 */
function asFailure(err: unknown, attempt: number, cancelled: boolean): unknown {
  if (cancelled || err instanceof ApplicationFailure || !(err instanceof Error)) return err;
  if (err instanceof ArtifactLostError) {
    return ApplicationFailure.create({
      message: err.message,
      type: ARTIFACT_LOST,
      nonRetryable: true,
      details: [{ attempt, lost: err.lost }],
    });
  }
  const userError = isUserError(err);
  const failure = ApplicationFailure.create({
    message: err.message,
    type: userError ? 'UserError' : err.name,
    nonRetryable: userError,
    details: [{ attempt, ...(userError && { code: err.code }) }],
  });
  failure.stack = err.stack;
  return failure;
}
