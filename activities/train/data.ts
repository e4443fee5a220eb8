// The training data of one model: the train split (split == 0) of the preselected events of
// its samples, standardised with the fitted scaler (thesis Eq. 5.2), with the per-event
// weights normalised to mean 1 so the loss scale does not depend on luminosity. An
// autoencoder learns its background samples; a supervised model (DNN, BDT) the same
// background as class 0 against the train split of its signal points, each class weighted
// to the same total so neither dominates the loss. The held-out split (split == 1) of every
// sample is never read here: the scans measure efficiencies on it alone.
import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import type { InputArtifact } from '../engine/context.js';
import { readScaler, SCALER_FILE, standardise } from '../fit-scaler/format.js';
import { numericColumn, readTable } from '../lib/parquet.js';
import { EVENTS_FILE, preselectSummary } from '../preselect/format.js';
import type { TrainingData } from './trainer.js';

/** Where a training node's inputs are, found among its dependencies by kind. */
export interface TrainingInputs {
  events: { sample: string; kind: 'background' | 'signal'; path: string }[];
  scalerPath: string;
  /** Node id of the fitScaler artifact, recorded in the model. */
  scalerArtifact: string;
}

export function findTrainingInputs(nodeId: string, inputs: InputArtifact[]): TrainingInputs {
  const events = inputs
    .filter((input) => input.kind === 'preselect')
    .map((input) => {
      const summary = preselectSummary(input);
      return { sample: summary.sample, kind: summary.kind, path: join(input.dir, EVENTS_FILE) };
    })
    // A fixed order, so the same samples give the same training whatever order they arrive in.
    .sort((a, b) => (a.sample < b.sample ? -1 : a.sample > b.sample ? 1 : 0));
  const scalers = inputs.filter((input) => input.kind === 'fitScaler');
  if (!events.some((e) => e.kind === 'background') || scalers.length !== 1) {
    throw new Error(
      `train node ${nodeId} needs the preselect artifacts of its background samples and one fitScaler artifact; ` +
        `it got ${inputs.map((i) => `${i.kind} ${i.nodeId}`).join(', ') || 'no inputs'} (a bug in the DAG compiler)`,
    );
  }
  return { events, scalerPath: join(scalers[0]!.dir, SCALER_FILE), scalerArtifact: scalers[0]!.nodeId };
}

/** The train split of one sample: feature columns, weights and event ids, checked. */
async function readTrainSplit(path: string, sample: string, features: string[]) {
  const table = await readTable(path, ['event', ...features, 'weight', 'split']);
  const where = `${path} (sample ${sample})`;
  const split = numericColumn(table, 'split', where);
  const weight = numericColumn(table, 'weight', where);
  const event = numericColumn(table, 'event', where);
  const featureColumns = features.map((f) => numericColumn(table, f, where));
  const columns: number[][] = features.map(() => []);
  const weights: number[] = [];
  const events: number[] = [];
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
    events.push(event[r]!);
  }
  return { columns, weights, events };
}

/** Training events with their origin: the data, and per row the sample and event id (the classifiers record them). */
export interface LoadedTraining {
  data: TrainingData;
  origin: { sample: string[]; event: Float64Array; label: Int32Array };
}

/**
 * Reads the train split of `samples` (each with its class: 0 for an autoencoder's
 * background) and weights them: with several classes each class's weights are scaled to the
 * same total, then all to mean 1.
 */
async function loadLabelled(
  inputs: TrainingInputs,
  samples: { sample: string; path: string; label: number }[],
  features: string[],
  folds: number,
): Promise<LoadedTraining> {
  const scaler = await readScaler(inputs.scalerPath, features);
  const columns: number[][] = features.map(() => []);
  const weights: number[] = [];
  const sample: string[] = [];
  const events: number[] = [];
  const labels: number[] = [];
  for (const s of samples) {
    const part = await readTrainSplit(s.path, s.sample, features);
    // Element by element: a spread of a large sample would overflow the call stack.
    for (let i = 0; i < part.weights.length; i++) {
      part.columns.forEach((column, j) => columns[j]!.push(column[i]!));
      weights.push(part.weights[i]!);
      events.push(part.events[i]!);
      sample.push(s.sample);
      labels.push(s.label);
    }
  }
  const names = samples.map((s) => s.sample).join(', ');
  const rows = weights.length;
  if (rows < folds) {
    throw new UserError(
      `the training split of ${names} holds ${rows} events, fewer than training.folds (${folds}); ` +
        `generate more events, loosen the preselection or lower preselection.testFraction.`,
    );
  }
  const classes = Math.max(...labels) + 1;
  const classTotal = new Float64Array(classes);
  labels.forEach((label, i) => (classTotal[label] += weights[i]!));
  classTotal.forEach((total, label) => {
    if (!(total > 0)) {
      const members = samples.filter((s) => s.label === label).map((s) => s.sample);
      throw new UserError(
        `the training events of ${members.join(', ')} all have weight 0, or none of their events passed the preselection ` +
          `into the training split; check the samples' weights, the preselection and preselection.testFraction.`,
      );
    }
  });
  // Every class gets the same total (rows / classes), so the mean weight is 1.
  const w = Float32Array.from(weights, (v, i) => (v * rows) / (classes * classTotal[labels[i]!]!));
  return {
    data: { features, rows, x: standardise(columns, rows, scaler), weights: w },
    origin: { sample, event: Float64Array.from(events), label: Int32Array.from(labels) },
  };
}

/** An autoencoder's training data: the train split of its background samples. */
export async function loadTrainingData(inputs: TrainingInputs, features: string[], folds: number): Promise<TrainingData> {
  const background = inputs.events.filter((e) => e.kind === 'background').map((e) => ({ ...e, label: 0 }));
  return (await loadLabelled(inputs, background, features, folds)).data;
}

/**
 * A supervised model's training data: background (class 0) against the signal points of
 * each class (1, 2, ... in the order of `classes`). With one signal class the target is 0/1
 * (one output); with several it is one-hot over background and the classes.
 */
export async function loadSupervisedData(
  inputs: TrainingInputs,
  classes: { name: string; samples: string[] }[],
  features: string[],
  folds: number,
): Promise<LoadedTraining> {
  const labelOf = new Map(classes.flatMap((c, i) => c.samples.map((s) => [s, i + 1] as const)));
  const samples = inputs.events.flatMap((e) => {
    const label = e.kind === 'background' ? 0 : labelOf.get(e.sample);
    return label === undefined ? [] : [{ ...e, label }];
  });
  const loaded = await loadLabelled(inputs, samples, features, folds);
  const outputs = classes.length === 1 ? 1 : classes.length + 1;
  const targets = new Float32Array(loaded.data.rows * outputs);
  loaded.origin.label.forEach((label, i) => {
    if (outputs === 1) targets[i] = label;
    else targets[i * outputs + label] = 1;
  });
  return { ...loaded, data: { ...loaded.data, targets } };
}
