// One training as its own workflow, so the Temporal UI lists every model with its
// architecture, latent dimension and stage. It runs the `train` activity on the node's
// queue (`gpu`) with the retry policy and heartbeat timeout of the definition. A workflow
// cannot see its activity's heartbeats, so the activity signals it once per epoch; the
// workflow shows that as its current details and answers the `trainingProgress` query.
import { proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes, type ActivityOptions } from '@temporalio/workflow';
import type { NodeActivities, NodeActivityInput, NodeActivityResult } from '../core/node-io.js';
import { describeTrainingProgress, type TrainingProgress } from '../core/training-progress.js';
import { Stage, trainingProgressQuery, trainingProgressSignal } from './api.js';

export interface TrainingInput {
  input: NodeActivityInput;
  options: ActivityOptions;
}

export async function training({ input, options }: TrainingInput): Promise<NodeActivityResult> {
  let progress: TrainingProgress | null = null;
  setHandler(trainingProgressQuery, () => progress);
  setHandler(trainingProgressSignal, (report) => {
    progress = report;
    setCurrentDetails(`training: ${describeTrainingProgress(report)} (as of ${report.at.slice(11, 19)} UTC)`);
  });
  setCurrentDetails(`waiting for a free slot on the ${options.taskQueue} task queue`);
  const { train } = proxyActivities<NodeActivities>(options);
  try {
    const result = await train(input);
    upsertSearchAttributes([{ key: Stage, value: result.cacheHit ? 'cached' : 'done' }]);
    setCurrentDetails(outcomeDetails(result));
    return result;
  } catch (err) {
    upsertSearchAttributes([{ key: Stage, value: 'failed' }]);
    throw err;
  }
}

/** What the UI shows for a finished training: where it ended and on which backend. */
function outcomeDetails({ summary, cacheHit }: NodeActivityResult): string {
  const s = summary as { bestEpoch?: number; valLoss?: number; epochs?: number; backend?: string; seconds?: number };
  const loss = typeof s.valLoss === 'number' ? s.valLoss.toPrecision(4) : '?';
  return (
    `${cacheHit ? 'cached; ' : ''}best epoch ${s.bestEpoch ?? '?'} of ${s.epochs ?? '?'}, validation loss ${loss}, ` +
    `trained on ${s.backend ?? '?'} in ${typeof s.seconds === 'number' ? Math.round(s.seconds) : '?'} s`
  );
}
