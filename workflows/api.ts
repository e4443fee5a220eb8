// The public face of the sweep workflows: names, ids, task queues, search attributes,
// query and update definitions. Pure definitions, shared by workflow code and the client.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { TrainParams } from '../core/dag.js';
import { modelId } from '../core/models.js';
import { NODE_PROGRESS_SIGNAL, type NodeProgress } from '../core/node-io.js';
import type { TrainingProgress } from '../core/training-progress.js';

/** Task queue that carries workflow tasks (sweeps and trainings); node activities use `cpu`/`gpu`. */
export const WORKFLOW_TASK_QUEUE = 'sweep';

/**
 * Task queue names carry the project (client/project.ts), so independent stores (or parallel
 * test files) can share one server: workers serve `<project>/sweep`, `<project>/cpu`,
 * `<project>/gpu`, and a sweep finds its prefix in the name of its own task queue.
 */
export function taskQueueName(project: string, queue: string): string {
  return `${project}/${queue}`;
}

/** The project of a sweep, from the name of its own task queue (`<project>/sweep`). */
export function projectOfQueue(workflowTaskQueue: string): string {
  return workflowTaskQueue.slice(0, workflowTaskQueue.length - WORKFLOW_TASK_QUEUE.length - 1);
}

export const progressQuery = defineQuery<NodeProgress[]>('progress');
/** Sent by the train activity once per epoch (the engine's node-progress signal). */
export const trainingProgressSignal = defineSignal<[TrainingProgress]>(NODE_PROGRESS_SIGNAL);
/** The latest progress of a training workflow; null until its activity has reported. */
export const trainingProgressQuery = defineQuery<TrainingProgress | null>('trainingProgress');
/** Puts failed and skipped nodes of a live sweep back to pending; returns their ids. */
export const retryFailedUpdate = defineUpdate<string[]>('retryFailed');

export const SweepName = defineSearchAttributeKey('SweepName', SearchAttributeType.KEYWORD);
export const Architecture = defineSearchAttributeKey('Architecture', SearchAttributeType.KEYWORD);
export const LatentDim = defineSearchAttributeKey('LatentDim', SearchAttributeType.INT);
export const Stage = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);
/** The varying settings of a training, one keyword each (`seed=3`, `beta=0.01`), to filter by in the UI. */
export const Axes = defineSearchAttributeKey('Axes', SearchAttributeType.KEYWORD_LIST);

/** Name and type of every custom search attribute, for registering them on a server. */
export const SEARCH_ATTRIBUTES = [SweepName, Architecture, LatentDim, Stage, Axes];

/** `<project>/sweep/<name>`: the project keeps sweeps of the same name from different stores apart. */
export function sweepWorkflowId(project: string, sweep: string): string {
  return `${project}/sweep/${sweep}`;
}

/** A training's workflow id: its sweep's id, the training set and the model (with its varying settings; a supervised model by its name). */
export function trainingWorkflowId(
  sweepId: string,
  params: Pick<TrainParams, 'background' | 'architecture' | 'latentDim' | 'axes'> & { model?: string },
): string {
  return `${sweepId}/${params.background}/${modelId(params)}`;
}
