// The `train` node: one autoencoder (AE, VAE or DVAE) trained with the thesis procedure on
// the train split of its background samples, checkpointed every epoch and resumed from the
// checkpoint on a retry. Runs in the node's child process (the engine's child-process
// runner), where a cancellation checkpoints mid-epoch before the process ends. Writes
// model/, history.json and summary.json (format.ts).
import { copyFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import { isSupervised, latentDimProblem, settingsOf, type Architecture } from '../../core/models.js';
import { trainingSettingsProblems } from '../../definitions/training-settings.js';
import type { NodeContext, NodeRunner } from '../engine/context.js';
import { readScaler } from '../fit-scaler/format.js';
import { useBackend } from './backend.js';
import { findTrainingInputs, loadTrainingData } from './data.js';
import { CHECKPOINT_FILE, HISTORY_FILE, MODEL_DIR, SUMMARY_FILE, type TrainHeartbeat, type TrainSummary } from './format.js';
import { dirichletAlpha } from './prior.js';
import { Trainer, trainingProgress } from './trainer.js';

export const runTrain: NodeRunner<'train'> = async (ctx) => {
  const params = ctx.node.params;
  if (isSupervised(params.architecture)) {
    if (!params.supervised)
      throw new Error(`train node ${ctx.node.id}: a ${params.architecture} without its signal classes (a bug in the DAG compiler)`);
    const { runSupervised } = await import('./supervised.js');
    return runSupervised(ctx, { ...params, architecture: params.architecture, supervised: params.supervised });
  }
  const architecture = params.architecture;
  checkParams(ctx, architecture);
  const checkpointPath = join(ctx.workDir, CHECKPOINT_FILE);
  await adoptHeartbeatCheckpoint(ctx.heartbeatDetails, checkpointPath);
  const backend = await useBackend(params.training.backend, ctx.backend);
  const inputs = findTrainingInputs(ctx.node.id, ctx.inputs);
  const data = await loadTrainingData(inputs, params.features, params.training.folds);
  const log = (message: string) => ctx.log(`${params.model}: ${message}`);
  const config = {
    model: params.model,
    architecture,
    latentDim: params.latentDim,
    settings: params.training,
    backend,
  };
  const trainer = await Trainer.open(config, data, checkpointPath, log);
  const state: TrainHeartbeat = { epoch: trainer.epochsCompleted, bestLoss: trainer.bestEpoch?.loss ?? null, checkpoint: checkpointPath };
  log(
    `training ${data.rows} events on ${backend.name}${state.epoch > 0 ? `, resuming after epoch ${state.epoch}` : ''} (${backend.description})`,
  );
  ctx.heartbeat({ ...state });
  const reportProgress = () =>
    ctx.progress(trainingProgress(trainer, params.training.epochs, (params.training.folds - 1) * data.rows, backend.name));
  reportProgress();
  const outcome = await trainer.run(checkpointPath, {
    onEpoch: (row, best) => {
      state.epoch = row.epoch;
      state.bestLoss = best.loss;
      delete state.progress;
      ctx.heartbeat({ ...state });
      reportProgress();
      log(
        `epoch ${row.epoch}/${params.training.epochs} val loss ${row.valLoss.toPrecision(5)} (best ${best.loss.toPrecision(5)} at ` +
          `${best.epoch}), lr ${row.lr.toExponential(2)}, ${row.seconds.toFixed(1)} s`,
      );
    },
    onProgress: (progress) => {
      state.progress = progress;
      ctx.heartbeat({ ...state });
    },
    shouldStop: () => ctx.signal.aborted,
  });
  if (outcome === 'stopped') {
    const { epoch, fold, step } = trainer.position;
    log(`stopped in epoch ${epoch} before step ${step + 1} of fold ${fold + 1}; the checkpoint holds everything up to there`);
    trainer.dispose();
    throw ctx.signal.reason ?? new Error(`training of ${params.model} was cancelled`);
  }
  const best = trainer.bestEpoch!;
  const history = trainer.epochHistory();
  const scaler = await readScaler(inputs.scalerPath, params.features);
  // TensorFlow.js writes the Layers files; imported here so a fused training loads it only now.
  const { writeModel } = await import('./model-writer.js');
  await writeModel(join(ctx.outDir, MODEL_DIR), trainer.shape, trainer.bestWeights(), {
    model: params.model,
    features: params.features,
    hiddenLayers: params.training.hiddenLayers,
    scaler: { ...scaler, artifact: inputs.scalerArtifact },
    ...(params.architecture === 'DVAE' && { dirichletAlpha: dirichletAlpha(params.latentDim, params.training.dirichletAlpha) }),
    trainedWith: { backend: backend.name, bestEpoch: best.epoch, valLoss: best.loss, seed: params.training.seed },
  });
  trainer.dispose();
  await writeFile(join(ctx.outDir, HISTORY_FILE), JSON.stringify(history, null, 1));
  const summary: TrainSummary = {
    model: params.model,
    architecture: params.architecture,
    latentDim: params.latentDim,
    background: params.background,
    axes: params.axes,
    settings: settingsOf(params.training),
    bestEpoch: best.epoch,
    valLoss: best.loss,
    valMse: best.mse,
    valKl: best.kl,
    epochs: history.length,
    seconds: history.reduce((s, row) => s + row.seconds, 0),
    backend: backend.name,
    stopReason: trainer.reasonStopped!,
    events: data.rows,
    attempts: ctx.attempt,
  };
  await writeFile(join(ctx.outDir, SUMMARY_FILE), JSON.stringify(summary, null, 2));
  return { ...summary };
};

/** Bad hyperparameters fail the node before anything runs, every problem in one message. */
function checkParams(ctx: NodeContext<'train'>, architecture: Architecture): void {
  const params = ctx.node.params;
  const problems = trainingSettingsProblems(params.training);
  const latent = latentDimProblem(architecture, params.latentDim);
  if (latent) problems.unshift(`${latent}; exclude it in models.exclude`);
  if (params.features.length === 0) problems.push('features is empty; list the input features');
  if (problems.length > 0) {
    throw new UserError(
      `model ${params.model}: invalid training settings — ${problems.join('; ')}. Fix them in the definition and submit it again.`,
    );
  }
}

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
