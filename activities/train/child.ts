// Entry of the child process that runs one training (forked by supervise.ts). Numerics
// block the event loop and tfjs-node is reported to crash inside worker threads, so each
// training gets its own process; it loses nothing when killed, as every epoch is
// checkpointed, and on a 'stop' message it checkpoints mid-epoch and exits.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useBackend } from './backend.js';
import { loadTrainingData, readScaler } from './data.js';
import { writeModel } from './model-artifact.js';
import { dirichletAlpha } from './prior.js';
import type { ChildMessage, ParentMessage, TrainJob, TrainResult } from './protocol.js';
import { Trainer } from './trainer.js';

let stopRequested = false;

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

async function train(job: TrainJob): Promise<void> {
  const backend = await useBackend(job.settings.backend);
  const data = await loadTrainingData(job.inputs, job.features, job.settings.folds);
  const log = (message: string) => void send({ type: 'log', message });
  const config = { model: job.model, architecture: job.architecture, latentDim: job.latentDim, settings: job.settings, backend };
  const trainer = await Trainer.open(config, data, job.checkpointPath, log);
  await send({ type: 'started', backend, epochsDone: trainer.epochsCompleted, events: data.rows });
  const outcome = await trainer.run(job.checkpointPath, {
    onEpoch: (row, best) => send({ type: 'epoch', row, best }),
    onProgress: (progress) => void send({ type: 'progress', progress }),
    shouldStop: () => stopRequested,
  });
  if (outcome === 'stopped') {
    await send({ type: 'stopped', ...trainer.position });
    return;
  }
  const best = trainer.bestEpoch!;
  const history = trainer.epochHistory();
  const scaler = await readScaler(job.inputs.scalerPath, job.features);
  await writeModel(join(job.outDir, 'model'), trainer.shape, trainer.bestWeights(), {
    model: job.model,
    features: job.features,
    hiddenLayers: job.settings.hiddenLayers,
    scaler: { ...scaler, artifact: job.inputs.scalerArtifact },
    ...(job.architecture === 'DVAE' && { dirichletAlpha: dirichletAlpha(job.latentDim, job.settings.dirichletAlpha) }),
    trainedWith: { backend, bestEpoch: best.epoch, valLoss: best.loss, seed: job.settings.seed },
  });
  await writeFile(join(job.outDir, 'history.json'), JSON.stringify(history, null, 1));
  const result: TrainResult = {
    bestEpoch: best.epoch,
    valLoss: best.loss,
    valMse: best.mse,
    valKl: best.kl,
    epochs: history.length,
    seconds: history.reduce((s, row) => s + row.seconds, 0),
    backend,
    stopReason: trainer.reasonStopped!,
    events: data.rows,
  };
  trainer.dispose();
  await send({ type: 'done', result });
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'stop') {
    stopRequested = true;
    return;
  }
  train(message.job)
    .catch((err: Error) => send({ type: 'failed', userError: err.name === 'UserError', message: err.message, stack: err.stack }))
    .finally(() => process.exit(0));
});

// The parent is gone (worker killed): stop at once. The last epoch's checkpoint is on disk,
// and a second training process must never race a retry for the same checkpoint file.
process.on('disconnect', () => process.exit(0));
