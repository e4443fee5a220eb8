// The `score` node: every sample through one trained model. Per event the reconstruction MSE
// in scaled feature space and the latent coordinates (VAE/DVAE at the latent mean, no
// sampling), or a supervised model's output (its log-odds of signal), next to the event id,
// weight and split; every sample keeps only its held-out split. Also samples.json: what each sample is and how many of its
// events preselection kept, so the scan can state efficiencies without the preselect artifacts.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSupervised } from '../../core/models.js';
import type { InputArtifact, NodeContext, NodeRunner } from '../engine/context.js';
import { readScaler, SCALER_FILE, standardise, type Scaler } from '../fit-scaler/format.js';
import { numericColumn, readTable, writeTable, type Column } from '../lib/parquet.js';
import { EVENTS_FILE, preselectSummary } from '../preselect/format.js';
import { loadClassifier, loadModel } from '../train/format.js';
import { OUTPUT_COLUMN, SAMPLES_FILE, SCORES_FILE, latentColumn, type SampleInfo } from './format.js';

/** What scoring needs of a model, autoencoder or classifier. */
interface Scoring {
  descriptor: { features: string[]; scaler: Scaler };
  backend: string;
  /** Column of scores.parquet the score goes to: `mse`, or a supervised model's `output`. */
  column: string;
  latentDim: number;
  evaluate(x: Float32Array): Promise<{ score: Float32Array; latent: Float32Array }>;
  dispose(): void;
}

async function openModel(ctx: NodeContext<'score'>, trainDir: string): Promise<Scoring> {
  if (isSupervised(ctx.node.params.architecture)) {
    const classifier = await loadClassifier(trainDir, ctx.backend, ctx.workDir, ctx.signal);
    const latent = new Float32Array(0);
    return { ...classifier, column: OUTPUT_COLUMN, latentDim: 0, evaluate: async (x) => ({ score: await classifier.score(x), latent }) };
  }
  const model = await loadModel(trainDir, ctx.backend);
  const evaluate = async (x: Float32Array) => {
    const { mse, latent } = model.score(x);
    return { score: mse, latent };
  };
  return { ...model, column: 'mse', latentDim: model.descriptor.latentDim, evaluate, dispose: () => model.dispose() };
}

export const runScore: NodeRunner<'score'> = async (ctx) => {
  const params = ctx.node.params;
  const train = ctx.inputs.find((input) => input.kind === 'train');
  if (!train) throw new Error(`score ${ctx.node.id}: no train artifact among its inputs (a bug in the DAG compiler)`);
  const model = await openModel(ctx, train.dir);
  try {
    const { latentDim } = model;
    const { features } = model.descriptor;
    const scaler = await scalerFor(ctx.inputs, model.descriptor);
    const samples = ctx.inputs.filter((input) => input.kind === 'preselect');
    const parts: ScoredPart[] = [];
    for (const input of samples) {
      parts.push(await scoreSample(input, model, scaler, features, latentDim));
      ctx.heartbeat({ samples: parts.length, of: samples.length });
    }
    await writeTable(join(ctx.outDir, SCORES_FILE), joinParts(parts, model.column, latentDim));
    const infos = samples.map(sampleInfo);
    await writeFile(join(ctx.outDir, SAMPLES_FILE), JSON.stringify(infos, null, 2));
    const events = parts.reduce((n, p) => n + p.event.length, 0);
    ctx.log(`scored ${events} events of ${samples.length} samples with ${params.model} on ${model.backend}`);
    return { model: params.model, samples: samples.length, events, latentDim, backend: model.backend };
  } finally {
    model.dispose();
  }
};

/** The fitted scaler of the model's training set; the one stored in the model when the node has none. */
async function scalerFor(inputs: InputArtifact[], descriptor: Scoring['descriptor']): Promise<Scaler> {
  const fitted = inputs.find((input) => input.kind === 'fitScaler');
  return fitted ? readScaler(join(fitted.dir, SCALER_FILE), descriptor.features) : descriptor.scaler;
}

interface ScoredPart {
  sample: string;
  event: Float64Array;
  weight: Float64Array;
  split: Uint8Array;
  score: Float32Array;
  /** Row-major, latentDim values per event. */
  latent: Float32Array;
}

async function scoreSample(
  input: InputArtifact,
  model: Scoring,
  scaler: Scaler,
  features: string[],
  latentDim: number,
): Promise<ScoredPart> {
  const sample = preselectSummary(input);
  const path = join(input.dir, EVENTS_FILE);
  const where = `${path} (sample ${sample.sample})`;
  const table = await readTable(path, ['event', 'weight', 'split', ...features]);
  const split = numericColumn(table, 'split', where);
  // Only the held-out split is scored: training events would flatter the model (the
  // background's for an autoencoder, the signal's too for a supervised model).
  const rows: number[] = [];
  for (let r = 0; r < table.numRows; r++) if (split[r] === 1) rows.push(r);
  const pick = (name: string) => {
    const column = numericColumn(table, name, where);
    return Float64Array.from(rows, (r) => column[r]);
  };
  const x = standardise(features.map(pick), rows.length, scaler);
  const { score, latent } = rows.length > 0 ? await model.evaluate(x) : { score: new Float32Array(0), latent: new Float32Array(0) };
  return {
    sample: sample.sample,
    event: pick('event'),
    weight: pick('weight'),
    split: Uint8Array.from(rows, (r) => split[r]),
    score,
    latent: latent.subarray(0, rows.length * latentDim),
  };
}

function joinParts(parts: ScoredPart[], scoreColumn: string, latentDim: number) {
  const n = parts.reduce((sum, p) => sum + p.event.length, 0);
  const columns: Record<string, Column> = {
    sample: new Array<string>(n),
    event: new Float64Array(n),
    weight: new Float64Array(n),
    split: new Uint8Array(n),
    [scoreColumn]: new Float64Array(n),
  };
  const latent = Array.from({ length: latentDim }, () => new Float64Array(n));
  let offset = 0;
  for (const part of parts) {
    const m = part.event.length;
    (columns.sample as string[]).fill(part.sample, offset, offset + m);
    (columns.event as Float64Array).set(part.event, offset);
    (columns.weight as Float64Array).set(part.weight, offset);
    (columns.split as Uint8Array).set(part.split, offset);
    (columns[scoreColumn] as Float64Array).set(part.score, offset);
    for (let i = 0; i < m; i++) for (let d = 0; d < latentDim; d++) latent[d][offset + i] = part.latent[i * latentDim + d];
    offset += m;
  }
  latent.forEach((column, d) => (columns[latentColumn(d)] = column));
  return { numRows: n, columns };
}

/** What the scan needs to know of a sample, from its preselect node. */
function sampleInfo(input: InputArtifact): SampleInfo {
  const s = preselectSummary(input);
  return {
    name: s.sample,
    kind: s.kind,
    process: s.process,
    mChi1: s.mChi1,
    mHprime: s.mHprime,
    generated: s.generated,
    generatedWeighted: s.generatedWeighted,
    selected: s.selected,
    selectedWeighted: s.selectedWeighted,
  };
}
