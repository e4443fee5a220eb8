// What a `train` artifact holds, for the kinds and tables that read it (score, report, the
// CLI's models.csv): its files, its summary, the heartbeat of a running training, and the
// model loader. Kept light: the loader (and the scoring kernel) come in only when called.
import type { BackendSetting, ModelLabels } from '../../core/dag.js';
import { isVariational, SETTING_COLUMNS, settingCells, type ModelArchitecture, type ModelAxes } from '../../core/models.js';
import type { Cell } from '../lib/csv.js';
import type { TrainedModel } from './model-file.js';
import type { ClassifierModel } from './classifier-file.js';
import { join } from 'node:path';

/**
 * model/model.json (descriptor) with model/encoder and model/decoder as tfjs Layers models;
 * a supervised model's files are those of classifier-file.ts.
 */
export const MODEL_DIR = 'model';
/** Supervised models: sample, event and class of every training event (never a held-out one). */
export const TRAINING_EVENTS_FILE = 'training-events.parquet';
/** One row per epoch (HistoryRow of trainer.ts). */
export const HISTORY_FILE = 'history.json';
/** The summary below, also written as a file for whoever opens the artifact by hand. */
export const SUMMARY_FILE = 'summary.json';
/** The training's checkpoint in its work directory (not part of the artifact). */
export const CHECKPOINT_FILE = 'checkpoint.bin';

export type StopReason = 'max-epochs' | 'early-stopping';

/** What a finished training reports (the node summary). */
export interface TrainSummary {
  model: string;
  architecture: ModelArchitecture;
  latentDim: number;
  background: string;
  axes: ModelAxes;
  /** Every setting a matrix can vary, as this training used it. */
  settings: ModelAxes;
  bestEpoch: number;
  valLoss: number;
  valMse: number;
  valKl: number;
  epochs: number;
  seconds: number;
  backend: string;
  stopReason: StopReason;
  events: number;
  attempts: number;
  /** Supervised models: how many of the training events are signal, and the signal samples they come from. */
  signalEvents?: number;
  trainedOn?: string[];
}

/** Heartbeat details of a running training: enough for a retry to know where it stands. */
export interface TrainHeartbeat {
  /** Epochs completed (and checkpointed). */
  epoch: number;
  bestLoss: number | null;
  checkpoint: string;
  /** Position inside the running epoch, when known. */
  progress?: EpochProgress;
}

/** Where a running epoch stands. */
export interface EpochProgress {
  /** Epoch in progress (1-based). */
  epoch: number;
  fold: number;
  step: number;
  stepsInFold: number;
}

/**
 * Loads the model of a train artifact (`dir` is the artifact or its model/ directory) for
 * scoring; `backend` is the worker's --backend (default: the fused kernel).
 */
export async function loadModel(dir: string, backend?: BackendSetting): Promise<TrainedModel> {
  const { readModel } = await import('./model-file.js');
  return readModel(dir, backend);
}

export type { TrainedModel } from './model-file.js';

/**
 * Loads the supervised model of a train artifact for scoring (classifier-file.ts); the BDT
 * runs XGBoost with its arrays in `workDir`.
 */
export async function loadClassifier(
  dir: string,
  backend: BackendSetting | undefined,
  workDir: string,
  signal: AbortSignal,
): Promise<ClassifierModel> {
  const { readClassifier } = await import('./classifier-file.js');
  return readClassifier(join(dir, MODEL_DIR), backend, workDir, signal);
}

export type { ClassifierModel } from './classifier-file.js';

/** The columns of `--out DIR/models.csv`, in order. */
export const MODELS_CSV_COLUMNS = [
  'model',
  'architecture',
  'latentDim',
  'background',
  ...SETTING_COLUMNS,
  'best_epoch',
  'val_loss',
  'val_mse',
  'val_kl',
  'epochs',
  'seconds',
  'backend',
  'attempts',
  'trained_on',
  'signal_events',
] as const;

export type ModelRow = Record<(typeof MODELS_CSV_COLUMNS)[number], Cell>;

/** A train node as the tables see it; summary is absent when the training failed or was skipped. */
export interface ModelOutcome {
  params: ModelLabels & { settings: ModelAxes };
  summary?: Record<string, unknown>;
}

export function modelRow({ params, summary = {} }: ModelOutcome): ModelRow {
  const num = (key: string) => (typeof summary[key] === 'number' ? (summary[key] as number) : null);
  return {
    model: params.model,
    architecture: params.architecture,
    latentDim: params.latentDim,
    background: params.background,
    ...settingCells(params.architecture, params.settings),
    best_epoch: num('bestEpoch'),
    val_loss: num('valLoss'),
    val_mse: num('valMse'),
    // The AE and the supervised models have no KL term; an empty cell says "not applicable", not zero.
    val_kl: isVariational(params.architecture) ? num('valKl') : null,
    epochs: num('epochs'),
    seconds: num('seconds'),
    backend: typeof summary.backend === 'string' ? summary.backend : null,
    attempts: num('attempts'),
    // A supervised model's signal samples and how many of its training events are signal; empty for an autoencoder.
    trained_on: Array.isArray(summary.trainedOn) ? summary.trainedOn.join(' ') : null,
    signal_events: num('signalEvents'),
  };
}
