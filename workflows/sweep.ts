// The one generic workflow: interprets any Dag. It receives a reference to the Dag in the
// artifact store and asks its planSweep activity for the plan (every node without its
// params), so no definition is too big for a workflow argument. Every node whose
// dependencies are done starts (within the Dag's limits); a failed node skips what depends
// on it and the sweep still finishes, returning the failures instead of throwing. A node
// that finds an input artifact gone or damaged sends that dependency back to be computed.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  executeChild,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { PlannedNode, SweepPlan } from '../core/dag.js';
import type { NodeActivities, NodeActivityInput, NodeActivityResult, SweepActivities, SweepInput, SweepResult } from '../core/node-io.js';
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

export async function sweep(input: SweepInput): Promise<SweepResult> {
  const { planSweep } = proxyActivities<SweepActivities>({
    startToCloseTimeout: '2 minutes',
    retry: { maximumAttempts: 5, initialInterval: '1 second' },
  });
  const dag = await planSweep(input.dag);
  const problems = dagProblems(dag);
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`invalid DAG: ${problems.join('; ')}`, 'InvalidDag');

  const state = new SweepState(dag);
  const project = projectOfQueue(workflowInfo().taskQueue);
  // Bumped whenever a node settles or an update resets nodes, to wake the scheduling loop.
  let changes = 0;
  setHandler(progressQuery, () => state.snapshot());
  setHandler(retryFailedUpdate, () => {
    const reset = state.resetFailed();
    changes += 1;
    return reset;
  });
  upsertSearchAttributes([
    { key: SweepName, value: dag.sweep },
    { key: Stage, value: 'running' },
  ]);

  const launch = (node: PlannedNode) => {
    state.start(node.id, now());
    const activityInput: NodeActivityInput = { dag: dag.dag, nodeId: node.id, inputs: state.inputsOf(node.id) };
    runNode(dag, node, activityInput, project)
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
        changes += 1;
      });
  };

  try {
    for (;;) {
      for (const node of state.ready()) launch(node);
      setCurrentDetails(state.describe());
      // The retryFailed handler bumps `changes`, so a reset arriving now keeps the loop going.
      if (state.finished() && allHandlersFinished()) break;
      const seen = changes;
      await condition(() => changes !== seen);
    }
  } catch (err) {
    if (isCancellation(err)) upsertSearchAttributes([{ key: Stage, value: 'cancelled' }]);
    throw err;
  }

  const result = state.result();
  upsertSearchAttributes([{ key: Stage, value: result.failures.length > 0 ? 'failed' : 'done' }]);
  return result;
}

function now(): string {
  return new Date().toISOString();
}

/** Training runs as its own child workflow (its own page and search attributes in the UI). */
function runNode(dag: SweepPlan, node: PlannedNode, input: NodeActivityInput, project: string): Promise<NodeActivityResult> {
  if (node.model) {
    return executeChild(training, {
      workflowId: trainingWorkflowId(workflowInfo().workflowId, node.model),
      args: [{ input, options: nodeActivityOptions(dag, node, project) }],
      staticSummary: node.summary,
      typedSearchAttributes: [
        { key: SweepName, value: dag.sweep },
        { key: Architecture, value: node.model.architecture },
        { key: LatentDim, value: node.model.latentDim },
        { key: Stage, value: 'training' },
        { key: Axes, value: axisKeywords(node.model.axes) },
      ],
    });
  }
  const activities = proxyActivities<NodeActivities>(nodeActivityOptions(dag, node, project));
  return activities[node.kind](input);
}
