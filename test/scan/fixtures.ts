// Small synthetic artifacts on disk, written with the real Parquet writer, for the scan and
// report tests: a score artifact per model and a train artifact with a plausible history.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DagNode, NodeKind, NodeParamsByKind, ScanParams, TrainParams } from '../../core/dag.js';
import { settingsOf, type Architecture } from '../../core/models.js';
import { PRESETS } from '../../definitions/presets.js';
import type { InputArtifact, NodeContext } from '../../activities/engine/context.js';
import { writeTable } from '../../activities/lib/parquet.js';
import { SAMPLES_FILE, SCORES_FILE, type SampleInfo } from '../../activities/score/format.js';
import { randomSource } from './random.js';

export const BACKGROUND = [
  { process: 'tautau', events: 900, weight: 2.5, mse: 0.08 },
  { process: 'eemumu', events: 700, weight: 0.8, mse: 0.2 },
  { process: 'uubar', events: 500, weight: 1.5, mse: 0.05 },
] as const;
export const MASSES = [0.5, 1, 2.5, 3];
export const EXAMPLES = [
  { name: 'light', mChi1: 0.5, mHprime: 0.5 },
  { name: 'heavy', mChi1: 2.5, mHprime: 2.5 },
  { name: 'splitting', mChi1: 3, mHprime: 0.5 },
];

const created: string[] = [];

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `scan-test-${prefix}-`));
  created.push(dir);
  return dir;
}

/** Removes every directory tempDir made (call from afterAll). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export interface ModelSpec {
  architecture: Architecture;
  latentDim: number;
}

export function modelName(spec: ModelSpec): string {
  return `all/${spec.architecture}-l${spec.latentDim}`;
}

/**
 * A score artifact: background (train and test split) and a signal grid m_h' <= m_chi1 whose
 * light points stand out in the MSE and in z0. Returns the directory.
 */
export async function writeScoreArtifact(dir: string, spec: ModelSpec, seed = 1): Promise<string> {
  const rng = randomSource(seed);
  const rows = {
    sample: [] as string[],
    event: [] as number[],
    weight: [] as number[],
    split: [] as number[],
    mse: [] as number[],
    z: Array.from({ length: spec.latentDim }, () => [] as number[]),
  };
  const samples: SampleInfo[] = [];
  const add = (sample: string, n: number, weight: number, split: (i: number) => number, mse: (i: number) => number, shift: number) => {
    for (let i = 0; i < n; i++) {
      rows.sample.push(sample);
      rows.event.push(i);
      rows.weight.push(weight);
      rows.split.push(split(i));
      rows.mse.push(mse(i));
      rows.z.forEach((column, d) => column.push(rng.normal() + (d === 0 ? shift : 0)));
    }
  };
  for (const b of BACKGROUND) {
    // Every third event is training data, which the scan must ignore: give it absurd scores.
    add(
      b.process,
      b.events,
      b.weight,
      (i) => (i % 3 === 0 ? 0 : 1),
      (i) => (i % 3 === 0 ? 1e6 : b.mse * Math.exp(0.6 * rng.normal())),
      0,
    );
    samples.push({
      name: b.process,
      kind: 'background',
      process: b.process,
      mChi1: null,
      mHprime: null,
      generated: b.events * 4,
      generatedWeighted: b.events * 4 * b.weight,
      selected: b.events,
      selectedWeighted: b.events * b.weight,
    });
  }
  for (const mChi1 of MASSES) {
    for (const mHprime of MASSES.filter((m) => m <= mChi1)) {
      const name = `idmdh_mchi1_${mChi1}_mhprime_${mHprime}`;
      const n = 150;
      const lightness = 1 / (mChi1 + mHprime);
      add(
        name,
        n,
        0.01,
        () => 1,
        () => 0.1 * (1 + 4 * lightness) * Math.exp(0.5 * rng.normal()),
        2 * lightness,
      );
      samples.push({
        name,
        kind: 'signal',
        process: 'idmdh',
        mChi1,
        mHprime,
        generated: 500,
        generatedWeighted: 5,
        selected: n,
        selectedWeighted: n * 0.01,
      });
    }
  }
  const n = rows.sample.length;
  const columns: Record<string, Float64Array | Uint8Array | Int32Array | string[]> = {
    sample: rows.sample,
    event: Int32Array.from(rows.event),
    weight: Float64Array.from(rows.weight),
    split: Uint8Array.from(rows.split),
    mse: Float64Array.from(rows.mse),
  };
  rows.z.forEach((column, d) => (columns[`z${d}`] = Float64Array.from(column)));
  await mkdir(dir, { recursive: true });
  await writeTable(join(dir, SCORES_FILE), { numRows: n, columns });
  await writeFile(join(dir, SAMPLES_FILE), JSON.stringify(samples));
  return dir;
}

/** A train artifact's history.json with falling losses and one learning-rate drop. */
export async function writeTrainArtifact(dir: string, spec: ModelSpec): Promise<Record<string, unknown>> {
  const epochs = 30;
  const history = Array.from({ length: epochs }, (_, e) => {
    const mse = 0.05 + 0.5 / (1 + e) / spec.latentDim;
    const kl = spec.architecture === 'AE' ? undefined : 0.3 / (1 + 0.1 * e);
    return {
      epoch: e + 1,
      lr: e < 20 ? 1e-3 : 1e-4,
      seconds: 1.5,
      train: { loss: mse + (kl ?? 0) * 0.1, mse, ...(kl === undefined ? {} : { kl }) },
      val: { loss: mse * 1.05 + (kl ?? 0) * 0.1, mse: mse * 1.05 },
    };
  });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'history.json'), JSON.stringify(history));
  const last = history[epochs - 1];
  return {
    model: modelName(spec),
    architecture: spec.architecture,
    latentDim: spec.latentDim,
    background: 'all',
    axes: {},
    settings: settingsOf(trainParams(spec).training),
    bestEpoch: 27,
    valLoss: last.val.loss,
    valMse: last.val.mse,
    valKl: spec.architecture === 'AE' ? 0 : 0.1,
    epochs,
    seconds: 45,
    backend: 'cpu',
    attempts: 1,
  };
}

export function scanParams(spec: ModelSpec, score = 'mse'): ScanParams {
  return {
    model: modelName(spec),
    architecture: spec.architecture,
    latentDim: spec.latentDim,
    background: 'all',
    axes: {},
    settings: {},
    score,
    punziA: 1,
    quantiles: [0.01, 0.99],
    steps: 100,
  };
}

export function trainParams(spec: ModelSpec): TrainParams {
  return {
    model: modelName(spec),
    architecture: spec.architecture,
    latentDim: spec.latentDim,
    background: 'all',
    axes: {},
    samples: BACKGROUND.map((b) => b.process),
    features: [],
    training: { ...PRESETS.fast, seed: 1 },
  };
}

export function input(kind: NodeKind, nodeId: string, dir: string, summary: Record<string, unknown> = {}): InputArtifact {
  return { nodeId, kind, dir, summary };
}

/** The context the engine hands a runner, with a fresh staging directory. */
export async function nodeContext<K extends NodeKind>(
  kind: K,
  params: NodeParamsByKind[K],
  inputs: InputArtifact[],
): Promise<NodeContext<K>> {
  const outDir = await tempDir(`${kind}-out`);
  const node: DagNode<K> = {
    id: `${kind}/test`,
    kind,
    queue: 'cpu',
    dependsOn: inputs.map((i) => i.nodeId),
    params,
    cacheKey: 'test',
    codeVersion: 'test',
    summary: kind,
  };
  return {
    node,
    inputs,
    outDir,
    workDir: await tempDir(`${kind}-work`),
    dataRoot: outDir,
    allowedRoots: [outDir],
    attempt: 1,
    heartbeatDetails: undefined,
    heartbeat: () => {},
    progress: () => {},
    signal: new AbortController().signal,
    log: () => {},
  };
}
