// The `train` node of a supervised baseline: background (class 0) against the train split of
// the signal points it names. The DNN trains with the thesis loop on the tfjs engine
// (checkpointed every epoch, resumed on a retry, like the autoencoders); the BDT is XGBoost
// (bdt.ts), whose 100 trees on this data take seconds, so a retry simply trains again. Both
// write model/ (classifier-file.ts), summary.json, and training-events.parquet: which events
// of which samples trained the model, so anyone can check that no held-out event did.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SupervisedParams, TrainParams } from '../../core/dag.js';
import { UserError } from '../../core/errors.js';
import type { SupervisedArchitecture } from '../../core/models.js';
import { trainingSettingsProblems } from '../../definitions/training-settings.js';
import type { NodeContext } from '../engine/context.js';
import { readScaler } from '../fit-scaler/format.js';
import { writeTable } from '../lib/parquet.js';
import { useBackend } from './backend.js';
import { trainBdt } from './bdt.js';
import { CLASSIFIER_FORMAT, NETWORK_FILE, XGBOOST_FILE, type ClassifierDescriptor } from './classifier-file.js';
import { findTrainingInputs, loadSupervisedData, type LoadedTraining } from './data.js';
import {
  CHECKPOINT_FILE,
  HISTORY_FILE,
  MODEL_DIR,
  SUMMARY_FILE,
  TRAINING_EVENTS_FILE,
  type TrainHeartbeat,
  type TrainSummary,
} from './format.js';
import { Trainer, trainingProgress } from './trainer.js';

type SupervisedTrain = TrainParams & { architecture: SupervisedArchitecture; supervised: SupervisedParams };
/** What the DNN's and the BDT's descriptors share. */
type DescriptorBase = Omit<ClassifierDescriptor, 'architecture' | 'file' | 'trainedWith'>;

export async function runSupervised(ctx: NodeContext<'train'>, params: SupervisedTrain): Promise<Record<string, unknown>> {
  const { classes } = params.supervised;
  const problems = params.architecture === 'DNN' ? trainingSettingsProblems(params.training) : [];
  if (problems.length > 0) {
    throw new UserError(
      `model ${params.model}: invalid training settings — ${problems.join('; ')}. Fix them in the definition and submit it again.`,
    );
  }
  const inputs = findTrainingInputs(ctx.node.id, ctx.inputs);
  const loaded = await loadSupervisedData(inputs, classes, params.features, params.training.folds);
  const outputs = classes.length === 1 ? 1 : classes.length + 1;
  const log = (message: string) => ctx.log(`${params.model}: ${message}`);
  const modelDir = join(ctx.outDir, MODEL_DIR);
  await mkdir(modelDir, { recursive: true });
  const scaler = await readScaler(inputs.scalerPath, params.features);
  const base: DescriptorBase = {
    format: CLASSIFIER_FORMAT,
    model: params.model,
    features: params.features,
    classes,
    outputs,
    scaler: { ...scaler, artifact: inputs.scalerArtifact },
  };
  const started = performance.now();
  let summary: TrainSummary;
  if (params.architecture === 'BDT') {
    const bdt = params.supervised.bdt!;
    log(`training XGBoost (${bdt.trees} trees, depth ${bdt.maxDepth}) on ${loaded.data.rows} events`);
    const version = await trainBdt(
      {
        x: loaded.data.x,
        labels: loaded.origin.label,
        weights: loaded.data.weights,
        features: params.features,
        outputs,
        settings: bdt,
        seed: params.training.seed,
      },
      join(modelDir, XGBOOST_FILE),
      ctx.workDir,
      ctx.signal,
      (tree) => ctx.heartbeat({ tree, of: bdt.trees }),
    );
    const descriptor: ClassifierDescriptor = {
      ...base,
      architecture: 'BDT',
      file: XGBOOST_FILE,
      trainedWith: { xgboost: version, ...bdt, seed: params.training.seed },
    };
    await writeFile(join(modelDir, 'model.json'), JSON.stringify(descriptor, null, 2));
    summary = summaryOf(params, ctx.attempt, loaded, {
      backend: `xgboost ${version}`,
      epochs: bdt.trees,
      seconds: (performance.now() - started) / 1000,
    });
  } else {
    summary = await trainDnn(ctx, params, loaded, outputs, modelDir, base, log);
  }
  await writeTable(join(ctx.outDir, TRAINING_EVENTS_FILE), {
    numRows: loaded.data.rows,
    columns: { sample: loaded.origin.sample, event: loaded.origin.event, label: loaded.origin.label },
  });
  await writeFile(join(ctx.outDir, SUMMARY_FILE), JSON.stringify(summary, null, 2));
  return { ...summary };
}

async function trainDnn(
  ctx: NodeContext<'train'>,
  params: SupervisedTrain,
  loaded: LoadedTraining,
  outputs: number,
  modelDir: string,
  base: DescriptorBase,
  log: (message: string) => void,
): Promise<TrainSummary> {
  const checkpointPath = join(ctx.workDir, CHECKPOINT_FILE);
  const backend = await useBackend(params.training.backend, ctx.backend, 'classifier');
  const config = { model: params.model, architecture: 'DNN' as const, latentDim: outputs, settings: params.training, backend };
  const trainer = await Trainer.open(config, loaded.data, checkpointPath, log);
  const state: TrainHeartbeat = { epoch: trainer.epochsCompleted, bestLoss: trainer.bestEpoch?.loss ?? null, checkpoint: checkpointPath };
  log(`training ${loaded.data.rows} events on ${backend.name}${state.epoch > 0 ? `, resuming after epoch ${state.epoch}` : ''}`);
  ctx.heartbeat({ ...state });
  const reportProgress = () =>
    ctx.progress(trainingProgress(trainer, params.training.epochs, (params.training.folds - 1) * loaded.data.rows, backend.name));
  reportProgress();
  const outcome = await trainer.run(checkpointPath, {
    onEpoch: (row, best) => {
      state.epoch = row.epoch;
      state.bestLoss = best.loss;
      ctx.heartbeat({ ...state });
      reportProgress();
      log(
        `epoch ${row.epoch}/${params.training.epochs} val cross-entropy ${row.valLoss.toPrecision(5)} (best ${best.loss.toPrecision(5)} at ${best.epoch})`,
      );
    },
    shouldStop: () => ctx.signal.aborted,
  });
  if (outcome === 'stopped') {
    trainer.dispose();
    throw ctx.signal.reason ?? new Error(`training of ${params.model} was cancelled`);
  }
  const best = trainer.bestEpoch!;
  const history = trainer.epochHistory();
  const { writeClassifierNetwork } = await import('./model-writer.js');
  await writeClassifierNetwork(join(modelDir, 'network'), trainer.shape, trainer.bestWeights());
  trainer.dispose();
  const descriptor: ClassifierDescriptor = {
    ...base,
    architecture: 'DNN',
    file: NETWORK_FILE,
    hiddenLayers: params.training.hiddenLayers,
    trainedWith: { backend: backend.name, bestEpoch: best.epoch, valLoss: best.loss, seed: params.training.seed },
  };
  await writeFile(join(modelDir, 'model.json'), JSON.stringify(descriptor, null, 2));
  await writeFile(join(ctx.outDir, HISTORY_FILE), JSON.stringify(history, null, 1));
  return {
    ...summaryOf(params, ctx.attempt, loaded, {
      backend: backend.name,
      epochs: history.length,
      seconds: history.reduce((s, row) => s + row.seconds, 0),
    }),
    bestEpoch: best.epoch,
    valLoss: best.loss,
    valMse: best.mse,
    stopReason: trainer.reasonStopped!,
  };
}

/** The summary every training reports; a supervised model's validation loss is its cross-entropy (none for the BDT). */
function summaryOf(
  params: SupervisedTrain,
  attempts: number,
  loaded: LoadedTraining,
  run: { backend: string; epochs: number; seconds: number },
): TrainSummary {
  return {
    model: params.model,
    architecture: params.architecture,
    latentDim: 0,
    background: params.background,
    axes: params.axes,
    settings: {},
    bestEpoch: run.epochs,
    valLoss: NaN,
    valMse: NaN,
    valKl: 0,
    epochs: run.epochs,
    seconds: run.seconds,
    backend: run.backend,
    stopReason: 'max-epochs',
    events: loaded.data.rows,
    attempts,
    signalEvents: loaded.origin.label.reduce((n, label) => n + (label > 0 ? 1 : 0), 0),
    trainedOn: params.supervised.classes.flatMap((c) => c.samples),
  };
}
