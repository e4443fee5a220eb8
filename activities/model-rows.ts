// One row per trained model, from the train node's params and summary: the report's model
// table and the CLI's models.csv are both made from these rows.
import type { TrainParams } from '../definitions/dag.js';
import type { Cell } from './csv.js';

/** The columns of `--out DIR/models.csv` (issue 5), in order. */
export const MODELS_CSV_COLUMNS = [
  'model',
  'architecture',
  'latentDim',
  'background',
  'best_epoch',
  'val_loss',
  'val_mse',
  'val_kl',
  'epochs',
  'seconds',
  'backend',
  'attempts',
] as const;

export type ModelRow = Record<(typeof MODELS_CSV_COLUMNS)[number], Cell>;

/** The order architectures appear in, everywhere. */
export const ARCHITECTURES = ['AE', 'VAE', 'DVAE'];

/** Matrix order for every table and page: training set, then AE, VAE, DVAE, then latent dimension. */
export function compareModels(a: { architecture: string; latentDim: number; background: string }, b: typeof a): number {
  return (
    a.background.localeCompare(b.background) ||
    ARCHITECTURES.indexOf(a.architecture) - ARCHITECTURES.indexOf(b.architecture) ||
    a.latentDim - b.latentDim
  );
}

/** A train node as the tables see it; summary is absent when the training failed or was skipped. */
export interface TrainedModel {
  params: Pick<TrainParams, 'model' | 'architecture' | 'latentDim' | 'background'>;
  summary?: Record<string, unknown>;
}

export function modelRow({ params, summary = {} }: TrainedModel): ModelRow {
  const num = (key: string) => (typeof summary[key] === 'number' ? (summary[key] as number) : null);
  return {
    model: params.model,
    architecture: params.architecture,
    latentDim: params.latentDim,
    background: params.background,
    best_epoch: num('bestEpoch'),
    val_loss: num('valLoss'),
    val_mse: num('valMse'),
    // The plain AE has no KL term; an empty cell says "not applicable", not zero.
    val_kl: params.architecture === 'AE' ? null : num('valKl'),
    epochs: num('epochs'),
    seconds: num('seconds'),
    backend: typeof summary.backend === 'string' ? summary.backend : null,
    attempts: num('attempts'),
  };
}
