// Synthetic inputs for training tests: background "samples" whose 20 features are noisy
// linear functions of a few hidden factors (so a wider latent space reconstructs better),
// written as the preselect and fitScaler artifacts a train node receives.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DagNode, TrainingSettings } from '../../core/dag.js';
import type { Architecture } from '../../core/models.js';
import { PRESETS } from '../../definitions/presets.js';
import type { InputArtifact, NodeContext } from '../../activities/engine/context.js';
import { writeTable } from '../../activities/lib/parquet.js';
import { Rng } from '../../activities/lib/rng.js';
import type { TrainingData } from '../../activities/train/trainer.js';
import { preselectSummary } from '../helpers/artifacts.js';

export const FEATURES = Array.from({ length: 20 }, (_, i) => `f${i}`);

/** Rows of correlated features: x = A z + noise, z ~ N(0, 1)^factors, plus weights. */
export function correlatedEvents(rows: number, factors: number, seed: number): { columns: Float64Array[]; weights: Float64Array } {
  const rng = Rng.fromSeed(seed);
  const mixing = rng.fillNormal(new Float32Array(FEATURES.length * factors));
  const z = new Float32Array(factors);
  const noise = new Float32Array(FEATURES.length);
  const columns = FEATURES.map(() => new Float64Array(rows));
  const weights = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    rng.fillNormal(z);
    rng.fillNormal(noise);
    FEATURES.forEach((_, j) => {
      let value = 10 + 0.05 * noise[j]!;
      for (let k = 0; k < factors; k++) value += mixing[j * factors + k]! * z[k]!;
      columns[j]![r] = value;
    });
    weights[r] = r % 3 === 0 ? 3 : 1;
  }
  return { columns, weights };
}

/** The same events as TrainingData for in-process trainer tests (standardised per column). */
export function trainingData(rows: number, factors: number, seed: number): TrainingData {
  const { columns, weights } = correlatedEvents(rows, factors, seed);
  const x = new Float32Array(rows * FEATURES.length);
  columns.forEach((column, j) => {
    const mean = column.reduce((a, b) => a + b, 0) / rows;
    const std = Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / rows);
    for (let r = 0; r < rows; r++) x[r * FEATURES.length + j] = (column[r]! - mean) / std;
  });
  const total = weights.reduce((a, b) => a + b, 0);
  return { features: FEATURES, rows, x, weights: Float32Array.from(weights, (w) => (w * rows) / total) };
}

/** The fast preset on the default backend (auto: the fused kernel) with a fixed seed. */
export function settings(overrides: Partial<TrainingSettings> = {}): TrainingSettings {
  return { ...PRESETS.fast, backend: 'auto', seed: 7, ...overrides };
}

/**
 * A train node's inputs on disk: two background samples (events.parquet, a quarter of
 * each in the test split) and a scaler.json fitted on their train split.
 */
export async function writeInputs(rows: number, factors: number, seed = 1): Promise<InputArtifact[]> {
  const root = await mkdtemp(join(tmpdir(), 'train-inputs-'));
  const inputs: InputArtifact[] = [];
  const sums = FEATURES.map(() => ({ w: 0, x: 0, xx: 0 }));
  for (const [s, name] of ['bkgA', 'bkgB'].entries()) {
    const { columns, weights } = correlatedEvents(rows, factors, seed * 10 + s);
    const split = Uint8Array.from({ length: rows }, (_, r) => (r % 4 === 3 ? 1 : 0));
    const dir = join(root, name);
    await mkdir(dir);
    const table = {
      numRows: rows,
      columns: {
        event: Int32Array.from({ length: rows }, (_, r) => r),
        ...Object.fromEntries(FEATURES.map((f, j) => [f, columns[j]!])),
        weight: weights,
        split,
      },
    };
    await writeTable(join(dir, 'events.parquet'), table);
    for (let r = 0; r < rows; r++) {
      if (split[r] !== 0) continue;
      columns.forEach((column, j) => {
        const acc = sums[j]!;
        acc.w += weights[r]!;
        acc.x += weights[r]! * column[r]!;
        acc.xx += weights[r]! * column[r]! ** 2;
      });
    }
    inputs.push({ nodeId: `preselect/${name}`, kind: 'preselect', dir, summary: preselectSummary(name) });
  }
  const mean = sums.map((s) => s.x / s.w);
  const std = sums.map((s, j) => Math.sqrt(s.xx / s.w - mean[j]! ** 2));
  const scalerDir = join(root, 'scaler');
  await mkdir(scalerDir);
  await writeFile(join(scalerDir, 'scaler.json'), JSON.stringify({ features: FEATURES, mean, std }));
  inputs.push({ nodeId: 'fitScaler/all', kind: 'fitScaler', dir: scalerDir, summary: {} });
  return inputs;
}

export interface RecordingContext extends NodeContext<'train'> {
  heartbeats: unknown[];
  reports: unknown[];
  logs: string[];
  abort: AbortController;
}

/** A NodeContext as the engine would build it, recording heartbeats, progress reports and log lines. */
export async function trainContext(
  inputs: InputArtifact[],
  options: {
    architecture?: Architecture;
    latentDim?: number;
    training?: Partial<TrainingSettings>;
    workDir?: string;
    attempt?: number;
  } = {},
): Promise<RecordingContext> {
  const architecture = options.architecture ?? 'AE';
  const latentDim = options.latentDim ?? 3;
  const model = `${architecture}-l${latentDim}`;
  const node: DagNode<'train'> = {
    id: `train/all/${model}`,
    kind: 'train',
    queue: 'gpu',
    dependsOn: inputs.map((i) => i.nodeId),
    params: {
      model,
      architecture,
      latentDim,
      background: 'all',
      axes: {},
      samples: ['bkgA', 'bkgB'],
      features: FEATURES,
      training: settings(options.training),
    },
    cacheKey: 'test',
    codeVersion: 'test',
    summary: model,
  };
  const heartbeats: unknown[] = [];
  const reports: unknown[] = [];
  const logs: string[] = [];
  const abort = new AbortController();
  return {
    node,
    inputs,
    outDir: await mkdtemp(join(tmpdir(), 'train-out-')),
    workDir: options.workDir ?? (await mkdtemp(join(tmpdir(), 'train-work-'))),
    dataRoot: tmpdir(),
    allowedRoots: [tmpdir()],
    attempt: options.attempt ?? 1,
    heartbeatDetails: undefined,
    heartbeat: (details) => heartbeats.push(details),
    progress: (details) => reports.push(details),
    signal: abort.signal,
    log: (message) => logs.push(message),
    heartbeats,
    reports,
    logs,
    abort,
  };
}
