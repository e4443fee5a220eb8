// The public face of the sweep workflows: names, ids, task queues, search attributes,
// query and update definitions. Pure definitions, shared by workflow code and the client.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { TrainParams } from '../core/dag.js';
import { modelId } from '../core/models.js';
import type { NodeProgress } from '../core/node-io.js';

/** Task queue that carries workflow tasks (sweeps and trainings); node activities use `cpu`/`gpu`. */
export const WORKFLOW_TASK_QUEUE = 'sweep';

/**
 * Task queue names carry an optional prefix so independent deployments (or parallel test
 * files) can share one namespace: workers serve `<prefix>sweep`, `<prefix>cpu`,
 * `<prefix>gpu`, and a sweep finds its prefix in the name of its own task queue.
 */
export function taskQueueName(prefix: string, queue: string): string {
  return `${prefix}${queue}`;
}

export function taskQueuePrefix(workflowTaskQueue: string): string {
  return workflowTaskQueue.endsWith(WORKFLOW_TASK_QUEUE) ? workflowTaskQueue.slice(0, -WORKFLOW_TASK_QUEUE.length) : '';
}

export const progressQuery = defineQuery<NodeProgress[]>('progress');
/** Puts failed and skipped nodes of a live sweep back to pending; returns their ids. */
export const retryFailedUpdate = defineUpdate<string[]>('retryFailed');

export const SweepName = defineSearchAttributeKey('SweepName', SearchAttributeType.KEYWORD);
export const Architecture = defineSearchAttributeKey('Architecture', SearchAttributeType.KEYWORD);
export const LatentDim = defineSearchAttributeKey('LatentDim', SearchAttributeType.INT);
export const Stage = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);

/** Name and type of every custom search attribute, for registering them on a server. */
export const SEARCH_ATTRIBUTES = [SweepName, Architecture, LatentDim, Stage];

export function sweepWorkflowId(sweep: string): string {
  return `sweep/${sweep}`;
}

export function trainingWorkflowId(
  sweep: string,
  params: Pick<TrainParams, 'background' | 'architecture' | 'latentDim'> & { model?: string },
): string {
  return `sweep/${sweep}/${params.background}/${modelId(params)}`;
}
