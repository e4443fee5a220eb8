// Activity options of a node: its task queue, the retry policy and heartbeat timeout the
// definition gives its kind, and a one-line summary for the Temporal UI.
import type { ActivityOptions } from '@temporalio/workflow';
import type { PlannedNode, SweepPlan } from '../core/dag.js';
import { ARTIFACT_LOST } from '../core/node-io.js';
import { taskQueueName } from './api.js';

// Liveness comes from heartbeats; this only bounds a single attempt that heartbeats forever.
const MAX_ATTEMPT_DURATION = '14 days';

export function nodeActivityOptions(dag: SweepPlan, node: PlannedNode, project: string): ActivityOptions {
  const retry = dag.retry[node.kind];
  return {
    taskQueue: taskQueueName(project, node.queue),
    activityId: node.id,
    summary: node.summary,
    startToCloseTimeout: MAX_ATTEMPT_DURATION,
    heartbeatTimeout: retry.heartbeatTimeoutSeconds * 1000,
    retry: {
      maximumAttempts: retry.maximumAttempts,
      initialInterval: retry.initialIntervalSeconds * 1000,
      backoffCoefficient: retry.backoffCoefficient,
      maximumInterval: retry.maximumIntervalSeconds * 1000,
      nonRetryableErrorTypes: ['UserError', 'EngineError', ARTIFACT_LOST],
    },
  };
}
