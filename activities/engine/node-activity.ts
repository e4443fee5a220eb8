// The one place where node runners meet Temporal. `executeNode` owns caching and commits
// and knows nothing about Temporal (the benchmark calls it in a plain loop as the
// baseline); `nodeActivities` wraps it into one activity per node kind.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { NODE_KINDS, type BackendSetting, type NodeKind } from '../../core/dag.js';
import { isUserError } from '../../core/errors.js';
import { NODE_PROGRESS_SIGNAL, type NodeActivities, type NodeActivityInput, type NodeActivityResult } from '../../core/node-io.js';
import type { InputArtifact, NodeContext, NodeRunner, RunnerRegistry } from './context.js';
import type { ArtifactStore } from './store.js';

/** Where a worker keeps things: the store, durable scratch space, the data root, the host's backend. */
export interface NodeEnvironment {
  store: ArtifactStore;
  /** `<home>/work/<cacheKey>` is a node's durable scratch directory. */
  home: string;
  dataRoot: string;
  backend?: BackendSetting;
}

/** The parts of a NodeContext that come from whoever executes the node (Temporal or a plain loop). */
export type AttemptContext = Pick<NodeContext, 'attempt' | 'heartbeatDetails' | 'heartbeat' | 'progress' | 'signal' | 'log'>;

/** Returns the cached artifact, or runs the node and commits what it wrote. */
export async function executeNode(
  runner: NodeRunner<NodeKind>,
  input: NodeActivityInput,
  env: NodeEnvironment,
  attempt: AttemptContext,
): Promise<NodeActivityResult> {
  const { node } = input;
  const cached = await env.store.lookup(node.kind, node.cacheKey);
  if (cached) return { artifact: cached.ref, cacheHit: true, summary: cached.manifest.summary, attempt: attempt.attempt };

  const inputs: InputArtifact[] = [];
  for (const [nodeId, dep] of Object.entries(input.inputs)) {
    const stored = await env.store.open(dep.kind, dep.ref);
    inputs.push({ nodeId, kind: dep.kind, dir: stored.dir, summary: stored.manifest.summary });
  }
  const workDir = join(env.home, 'work', node.cacheKey);
  await mkdir(workDir, { recursive: true });
  const outDir = await env.store.stage();
  let summary: Record<string, unknown>;
  try {
    const returned = await runner({ ...attempt, node, inputs, outDir, workDir, dataRoot: env.dataRoot, backend: env.backend });
    summary = plainSummary(node.id, returned);
  } catch (err) {
    await env.store.discard(outDir);
    throw err;
  }
  const stored = await env.store.commit(outDir, { nodeId: node.id, kind: node.kind, cacheKey: node.cacheKey, summary });
  // Checkpoints are only worth keeping until the artifact exists.
  await rm(workDir, { recursive: true, force: true });
  return { artifact: stored.ref, cacheHit: false, summary: stored.manifest.summary, attempt: attempt.attempt };
}

/** Summaries travel through Temporal as JSON: insist on a plain, serialisable object. */
function plainSummary(nodeId: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`runner of ${nodeId} returned ${Array.isArray(value) ? 'an array' : typeof value}, expected a summary object`);
  }
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
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
  if (input.node.kind !== kind) {
    throw ApplicationFailure.nonRetryable(
      `node ${input.node.id} of kind ${input.node.kind} was sent to the ${kind} activity`,
      'EngineError',
    );
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
      progress: progressSignaller(context, input.node.id),
      signal: context.cancellationSignal,
      log: (message) => context.log.info(message, { nodeId: input.node.id }),
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

/** A UserError fails at once (type `UserError`, its code in the details); anything else stays retryable. */
function asFailure(err: unknown, attempt: number, cancelled: boolean): unknown {
  if (cancelled || err instanceof ApplicationFailure || !(err instanceof Error)) return err;
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
