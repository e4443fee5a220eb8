// The `train` node: one autoencoder (AE, VAE or DVAE) trained with the thesis procedure
// on the train split of its background samples, in a child process, checkpointed every
// epoch and resumed from the checkpoint on a retry. Writes model/, history.json and
// summary.json; exports the loader the scorer uses.
import { copyFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeRunner } from '../context.js';
import { requestedBackend } from './backend.js';
import { findTrainingInputs } from './data.js';
import { trainInChild, type TrainHeartbeat } from './supervise.js';
import { validateTrainParams } from './settings.js';

export { loadModel, type TrainedModel, type ModelDescriptor } from './model-artifact.js';
export { hasGpuBackend } from './backend.js';

export const CHECKPOINT_FILE = 'checkpoint.bin';

export const runTrain: NodeRunner<'train'> = async (ctx) => {
  const params = ctx.node.params;
  validateTrainParams(params);
  requestedBackend(params.training.backend);
  const inputs = findTrainingInputs(ctx.node.id, ctx.inputs);
  const checkpointPath = join(ctx.workDir, CHECKPOINT_FILE);
  await adoptHeartbeatCheckpoint(ctx.heartbeatDetails, checkpointPath);
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const result = await trainInChild(
    {
      nodeId: ctx.node.id,
      model: params.model,
      architecture: params.architecture,
      latentDim: params.latentDim,
      features: params.features,
      settings: params.training,
      inputs,
      checkpointPath,
      outDir: ctx.outDir,
    },
    { heartbeat: (details) => ctx.heartbeat(details), log: ctx.log, signal: ctx.signal },
  );
  const summary = {
    ...result,
    attempts: ctx.attempt,
    architecture: params.architecture,
    latentDim: params.latentDim,
  };
  await writeFile(join(ctx.outDir, 'summary.json'), JSON.stringify(summary, null, 2));
  return summary;
};

/**
 * The work directory normally holds the checkpoint a retry resumes from; when the previous
 * attempt ran where that directory is not shared, its heartbeat still names its checkpoint,
 * which is taken over if it can be read from here.
 */
async function adoptHeartbeatCheckpoint(details: unknown, checkpointPath: string): Promise<void> {
  const previous = (details as Partial<TrainHeartbeat> | undefined)?.checkpoint;
  if (typeof previous === 'string' && previous !== checkpointPath && !existsSync(checkpointPath) && existsSync(previous)) {
    await copyFile(previous, checkpointPath);
  }
}
