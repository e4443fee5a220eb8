// The one generic workflow: interprets any Dag. It receives a reference to the Dag in the
// artifact store and asks its planSweep activity for the plan (every node without its
// params), so no definition is too big for a workflow argument. Every node whose
// dependencies are done starts (within the Dag's limits); a failed node skips what depends
// on it and the sweep still finishes, returning the failures instead of throwing. A node
// that finds an input artifact gone or damaged sends that dependency back to be computed.
//
// A sweep of thousands of nodes outgrows one workflow history (Temporal closes a workflow at
// 51,200 events or 50 MB), so a run continues as new before its history passes a bound:
// it starts nothing more, lets its running activities finish, and hands the next run the
// compact state (CarriedState), including the trainings still running, which the next run
// attaches to instead of starting them again. One workflow id and one interpreter keep the
// client's queries, the retryFailed update and attach-on-resubmit as they are; sharding
// into child sweeps would split a Dag whose edges cross any partition (every scan feeds the
// report) and need a protocol between the shards.
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ModelLabels, PlannedNode, SweepPlan } from '../core/dag.js';
import type {
  HistoryLimit,
  NodeActivities,
  NodeActivityInput,
  NodeActivityResult,
  SweepActivities,
  SweepInput,
  SweepResult,
} from '../core/node-io.js';
import { dagProblems, SweepState } from '../core/schedule.js';
import { axisKeywords } from '../core/models.js';
import {
  Architecture,
  Axes,
  LatentDim,
  progressQuery,
  retryFailedUpdate,
  Stage,
  SweepName,
  projectOfQueue,
  trainingWorkflowId,
} from './api.js';
import { describeFailure } from './failures.js';
import { nodeActivityOptions } from './options.js';
import { training } from './training.js';

/** A dependency whose artifact keeps getting lost is failed after this many recomputations. */
const MAX_LOSSES = 3;

/**
 * A run continues as new at this many events or bytes of history, or when Temporal suggests
 * it, whichever comes first: a fifth of the hard limits, with room for the running nodes
 * that still settle while the run drains.
 */
const HISTORY_LIMIT: HistoryLimit = { events: 10_000, bytes: 10 * 1024 * 1024 };

const { planSweep } = proxyActivities<SweepActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 5, initialInterval: '1 second' },
});

// Waiting for a training can take days; the heartbeat tells a dead worker's wait apart, and
// another worker takes it over.
const { trainingResult } = proxyActivities<SweepActivities>({
  startToCloseTimeout: '14 days',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export async function sweep(input: SweepInput): Promise<SweepResult> {
  // Handlers come first, before the plan loads: Temporal rejects an update that finds no
  // handler at the end of the activation it arrives in, and after a continue-as-new a
  // retryFailed sent to the previous run lands in this run's first activation.
  let ready: SweepState | undefined = undefined;
  let changes = 0; // bumped whenever a node settles or an update resets nodes, to wake the scheduling loop
  setHandler(progressQuery, () => ready?.snapshot() ?? []);
  setHandler(retryFailedUpdate, async () => {
    await condition(() => ready !== undefined);
    const reset = ready!.resetFailed();
    changes += 1;
    return reset;
  });
  const dag = await loadPlan(input);
  const problems = dagProblems(dag);
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`invalid DAG: ${problems.join('; ')}`, 'InvalidDag');

  const state = new SweepState(dag, input.carried);
  ready = state;
  const project = projectOfQueue(workflowInfo().taskQueue);
  const limit = input.historyLimit ?? HISTORY_LIMIT;
  /** Running trainings whose workflow has started: node id -> run id (carried across continue-as-new). */
  const trainings = new Map<string, string>();
  /** Those of them this run waits for without being their parent (see cancelAttached). */
  const attached = new Set<string>();
  /** Trainings launched whose workflow has not started yet (MAX_STARTING_TRAININGS, core/schedule.ts). */
  let starting = 0;
  // Nodes settled by this run: a run continues as new only after some progress of its own,
  // so a bound below what planning alone writes cannot make runs hand over forever.
  let settled = 0;
  upsertSearchAttributes([
    { key: SweepName, value: dag.sweep },
    { key: Stage, value: 'running' },
  ]);

  const track = (node: PlannedNode, outcome: Promise<NodeActivityResult>) => {
    outcome
      .then((result) => state.succeed(node.id, result, now()))
      .catch((err: unknown) => {
        // A cancelled sweep ends through the loop below; do not record that as node failures.
        if (isCancellation(err)) return;
        const failure = describeFailure(err);
        if (failure.lost) {
          const givenUp = state.recompute(node.id, failure.lost, MAX_LOSSES);
          if (givenUp.length === 0) return;
          failure.message = `the artifacts of ${givenUp.join(', ')} were lost more than ${MAX_LOSSES} times: check the store's disk`;
        }
        state.fail(node.id, failure.message, failure.attempts, now());
      })
      .finally(() => {
        trainings.delete(node.id);
        settled += 1;
        changes += 1;
      });
  };

  const launch = (node: PlannedNode) => {
    state.start(node.id, now());
    const activityInput: NodeActivityInput = { dag: dag.dag, nodeId: node.id, inputs: state.inputsOf(node.id) };
    if (!node.model) {
      const activities = proxyActivities<NodeActivities>(nodeActivityOptions(dag, node, project));
      track(node, activities[node.kind](activityInput));
      return;
    }
    const workflowId = trainingWorkflowId(workflowInfo().workflowId, node.model);
    starting += 1;
    const started = startTraining(dag, node, node.model, { input: activityInput, project, workflowId }).finally(() => {
      starting -= 1;
    });
    track(
      node,
      started.then(
        (child) => {
          trainings.set(node.id, child.firstExecutionRunId);
          changes += 1;
          return child.result();
        },
        (err: unknown) => {
          // Started by an earlier run of this sweep that ended without it (terminated, or a
          // resubmission): its result counts, and a second training would duplicate it.
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          attached.add(workflowId);
          trainings.set(node.id, ''); // its run id is not known here: the next run waits for the latest
          changes += 1;
          return trainingResult({ workflowId });
        },
      ),
    );
  };

  // Trainings the previous run left running: attach to them, never start them again.
  for (const [id, runId] of Object.entries(input.carried?.trainings ?? {})) {
    const node = dag.nodes.find((n) => n.id === id);
    if (!node?.model) throw ApplicationFailure.nonRetryable(`carried training ${id} is not a training of this Dag`, 'InvalidDag');
    const workflowId = trainingWorkflowId(workflowInfo().workflowId, node.model);
    state.start(id, now());
    trainings.set(id, runId);
    attached.add(workflowId);
    track(node, trainingResult({ workflowId, runId: runId || undefined }));
  }

  try {
    for (;;) {
      const handOver = settled > 0 && historyFull(limit);
      if (!handOver) for (const node of state.ready(starting)) launch(node);
      setCurrentDetails(state.describe());
      // The retryFailed handler bumps `changes`, so a reset arriving now keeps the loop going.
      if (state.finished() && allHandlersFinished()) break;
      // Activities are left to finish (they are short, and a closed run could not hear their
      // result); trainings go on as workflows of their own once they have started.
      if (handOver && state.runningIds().every((id) => trainings.has(id)) && allHandlersFinished()) {
        const carried = state.carry(Object.fromEntries(trainings));
        return await continueAsNew<typeof sweep>({ ...input, carried });
      }
      const seen = changes;
      await condition(() => changes !== seen);
    }
  } catch (err) {
    if (isCancellation(err)) {
      upsertSearchAttributes([{ key: Stage, value: 'cancelled' }]);
      await cancelAttached(attached);
    }
    throw err;
  }

  const result = state.result();
  upsertSearchAttributes([{ key: Stage, value: result.failures.length > 0 ? 'failed' : 'done' }]);
  return result;
}

function now(): string {
  return new Date().toISOString();
}

/** The sweep's plan, page by page (a 10,000-node plan is larger than one payload may be). */
async function loadPlan(input: SweepInput): Promise<SweepPlan> {
  const first = await planSweep(input.dag, 0);
  const nodes = first.plan.nodes;
  for (let next = first.next; next !== null;) {
    const page = await planSweep(input.dag, next);
    nodes.push(...page.plan.nodes);
    next = page.next;
  }
  return { ...first.plan, nodes };
}

/**
 * A cancelled sweep cancels the trainings it started through its cancellation scope; those
 * it attached to (started by an earlier run) are not its children, so it asks them itself,
 * while still running and unaffected by its own cancellation.
 */
async function cancelAttached(workflowIds: Set<string>): Promise<void> {
  await CancellationScope.nonCancellable(() =>
    Promise.all(
      [...workflowIds].map((id) =>
        getExternalWorkflowHandle(id)
          .cancel()
          .catch(() => undefined),
      ),
    ),
  );
}

/** Whether this run's history has reached the bound at which it continues as new. */
function historyFull(limit: HistoryLimit): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= limit.events || info.historySize >= limit.bytes;
}

/**
 * A training runs as its own child workflow (its own page and search attributes in the UI).
 * It outlives a run that continues as new (ABANDON), and the next run attaches to it;
 * cancelling the sweep still cancels it, through the cancellation scope.
 */
function startTraining(
  dag: SweepPlan,
  node: PlannedNode,
  model: ModelLabels,
  { input, project, workflowId }: { input: NodeActivityInput; project: string; workflowId: string },
) {
  return startChild(training, {
    workflowId,
    args: [{ input, options: nodeActivityOptions(dag, node, project) }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    staticSummary: node.summary,
    typedSearchAttributes: [
      { key: SweepName, value: dag.sweep },
      { key: Architecture, value: model.architecture },
      { key: LatentDim, value: model.latentDim },
      { key: Stage, value: 'training' },
      // A Dag planned before setting axes existed (a closed run resumed) has none.
      { key: Axes, value: axisKeywords(model.axes ?? {}) },
    ],
  });
}
