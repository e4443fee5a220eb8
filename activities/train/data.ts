// The training data of one model: the train split (split == 0) of the preselected events of
// its background samples, standardised with the fitted scaler (thesis Eq. 5.2), with the
// per-event weights normalised to mean 1 so the loss scale does not depend on luminosity.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PreselectParams } from '../../definitions/dag.js';
import type { InputArtifact } from '../context.js';
import { UserError } from '../errors.js';
import { numericColumn, readTable } from '../parquet.js';
import type { TrainingData } from './trainer.js';

export interface Scaler {
  features: string[];
  mean: number[];
  std: number[];
}

/** Where a training node's inputs are, found among its dependencies by kind. */
export interface TrainingInputs {
  events: { sample: string; path: string }[];
  scalerPath: string;
  /** Node id of the fitScaler artifact, recorded in the model. */
  scalerArtifact: string;
}

export function findTrainingInputs(nodeId: string, inputs: InputArtifact[]): TrainingInputs {
  const events = inputs
    .filter((input) => input.kind === 'preselect')
    .map((input) => ({ sample: (input.params as PreselectParams).sample.name, path: join(input.dir, 'events.parquet') }))
    // A fixed order, so the same samples give the same training whatever order they arrive in.
    .sort((a, b) => (a.sample < b.sample ? -1 : a.sample > b.sample ? 1 : 0));
  const scalers = inputs.filter((input) => input.kind === 'fitScaler');
  if (events.length === 0 || scalers.length !== 1) {
    throw new Error(
      `train node ${nodeId} needs the preselect artifacts of its background samples and one fitScaler artifact; ` +
        `it got ${inputs.map((i) => `${i.kind} ${i.nodeId}`).join(', ') || 'no inputs'} (a bug in the DAG compiler)`,
    );
  }
  return { events, scalerPath: join(scalers[0]!.dir, 'scaler.json'), scalerArtifact: scalers[0]!.nodeId };
}

export async function readScaler(path: string, features: string[]): Promise<Scaler> {
  const scaler = JSON.parse(await readFile(path, 'utf8')) as Scaler;
  if (JSON.stringify(scaler.features) !== JSON.stringify(features)) {
    throw new UserError(
      `${path} scales the features [${scaler.features.join(', ')}] but the model uses [${features.join(', ')}]; ` +
        `fit the scaler on the same features list (re-run fitScaler).`,
    );
  }
  scaler.std.forEach((std, i) => {
    if (!(std > 0) || !Number.isFinite(std) || !Number.isFinite(scaler.mean[i]!)) {
      throw new UserError(
        `${path}: feature ${features[i]} has mean ${scaler.mean[i]} and standard deviation ${std}; a constant or ` +
          `non-finite feature cannot be standardised — remove it from features or fix its values in the preselection.`,
      );
    }
  });
  return scaler;
}

/** Standardises feature columns into row-major float32 rows: (x - mean) / std. */
export function standardise(columns: ArrayLike<number>[], rows: number, scaler: Scaler): Float32Array {
  const width = columns.length;
  const out = new Float32Array(rows * width);
  columns.forEach((column, j) => {
    const mean = scaler.mean[j]!;
    const std = scaler.std[j]!;
    for (let r = 0; r < rows; r++) out[r * width + j] = (column[r]! - mean) / std;
  });
  return out;
}

export async function loadTrainingData(inputs: TrainingInputs, features: string[], folds: number): Promise<TrainingData> {
  const scaler = await readScaler(inputs.scalerPath, features);
  const columns: number[][] = features.map(() => []);
  const weights: number[] = [];
  for (const { sample, path } of inputs.events) {
    const table = await readTable(path, [...features, 'weight', 'split']);
    const where = `${path} (sample ${sample})`;
    const split = numericColumn(table, 'split', where);
    const weight = numericColumn(table, 'weight', where);
    const featureColumns = features.map((f) => numericColumn(table, f, where));
    for (let r = 0; r < table.numRows; r++) {
      if (split[r] !== 0) continue;
      const w = weight[r]!;
      if (!Number.isFinite(w) || w < 0) {
        throw new UserError(`${where}: event row ${r} has weight ${w}; weights must be finite and >= 0 — check the sample's weight setting and the preselection.`);
      }
      featureColumns.forEach((column, j) => {
        const value = column[r]!;
        if (!Number.isFinite(value)) {
          throw new UserError(`${where}: feature ${features[j]} is ${value} in event row ${r}; remove such events with a preselection cut or fix the input ntuple.`);
        }
        columns[j]!.push(value);
      });
      weights.push(w);
    }
  }
  const rows = weights.length;
  if (rows < folds) {
    throw new UserError(
      `the training split of ${inputs.events.map((e) => e.sample).join(', ')} holds ${rows} events, fewer than training.folds (${folds}); ` +
        `generate more events, loosen the preselection or lower preselection.testFraction.`,
    );
  }
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) {
    throw new UserError(`the training events of ${inputs.events.map((e) => e.sample).join(', ')} all have weight 0; check the samples' weights.`);
  }
  return {
    features,
    rows,
    x: standardise(columns, rows, scaler),
    weights: Float32Array.from(weights, (w) => (w * rows) / total),
  };
}
