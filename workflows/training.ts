// One training as its own workflow, so the Temporal UI lists every model with its
// architecture, latent dimension and stage. It runs the `train` activity on the node's
// queue (`gpu`) with the retry policy and heartbeat timeout of the definition.
import { proxyActivities, upsertSearchAttributes, type ActivityOptions } from '@temporalio/workflow';
import type { NodeActivityInput, NodeActivityResult } from '../definitions/node-io.js';
import { Stage } from './api.js';

export interface TrainingInput {
  input: NodeActivityInput;
  options: ActivityOptions;
}

export async function training({ input, options }: TrainingInput): Promise<NodeActivityResult> {
  const { train } = proxyActivities<{ train(input: NodeActivityInput): Promise<NodeActivityResult> }>(options);
  try {
    const result = await train(input);
    upsertSearchAttributes([{ key: Stage, value: result.cacheHit ? 'cached' : 'done' }]);
    return result;
  } catch (err) {
    upsertSearchAttributes([{ key: Stage, value: 'failed' }]);
    throw err;
  }
}
