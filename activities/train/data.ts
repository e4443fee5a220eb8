// The training data of one model: the train split (split == 0) of the preselected events of
// its background samples, standardised with the fitted scaler (thesis Eq. 5.2), with the
// per-event weights normalised to mean 1 so the loss scale does not depend on luminosity.
import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import type { InputArtifact } from '../engine/context.js';
import { readScaler, SCALER_FILE, standardise } from '../fit-scaler/format.js';
import { numericColumn, readTable } from '../lib/parquet.js';
import { EVENTS_FILE, preselectSummary } from '../preselect/format.js';
import type { TrainingData } from './trainer.js';

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
    .map((input) => ({ sample: preselectSummary(input).sample, path: join(input.dir, EVENTS_FILE) }))
    // A fixed order, so the same samples give the same training whatever order they arrive in.
    .sort((a, b) => (a.sample < b.sample ? -1 : a.sample > b.sample ? 1 : 0));
  const scalers = inputs.filter((input) => input.kind === 'fitScaler');
  if (events.length === 0 || scalers.length !== 1) {
    throw new Error(
      `train node ${nodeId} needs the preselect artifacts of its background samples and one fitScaler artifact; ` +
        `it got ${inputs.map((i) => `${i.kind} ${i.nodeId}`).join(', ') || 'no inputs'} (a bug in the DAG compiler)`,
    );
  }
  return { events, scalerPath: join(scalers[0]!.dir, SCALER_FILE), scalerArtifact: scalers[0]!.nodeId };
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
        throw new UserError(
          `${where}: event row ${r} has weight ${w}; weights must be finite and >= 0 — check the sample's weight setting and the preselection.`,
        );
      }
      featureColumns.forEach((column, j) => {
        const value = column[r]!;
        if (!Number.isFinite(value)) {
          throw new UserError(
            `${where}: feature ${features[j]} is ${value} in event row ${r}; remove such events with a preselection cut or fix the input ntuple.`,
          );
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
    throw new UserError(
      `the training events of ${inputs.events.map((e) => e.sample).join(', ')} all have weight 0; check the samples' weights.`,
    );
  }
  return {
    features,
    rows,
    x: standardise(columns, rows, scaler),
    weights: Float32Array.from(weights, (w) => (w * rows) / total),
  };
}
