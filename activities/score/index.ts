// The `score` node: every sample through one trained model. Per event the reconstruction MSE
// in scaled feature space and the latent coordinates (VAE/DVAE at the latent mean, no
// sampling), next to the event id, weight and split; background keeps only its held-out test
// split, signals all their events. Also samples.json: what each sample is and how many of its
// events preselection kept, so the scan can state efficiencies without the preselect artifacts.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InputArtifact, NodeRunner } from '../engine/context.js';
import { readScaler, SCALER_FILE, standardise, type Scaler } from '../fit-scaler/format.js';
import { numericColumn, readTable, writeTable, type Column } from '../lib/parquet.js';
import { EVENTS_FILE, preselectSummary } from '../preselect/format.js';
import { loadModel, type TrainedModel } from '../train/format.js';
import { SAMPLES_FILE, SCORES_FILE, latentColumn, type SampleInfo } from './format.js';

export const runScore: NodeRunner<'score'> = async (ctx) => {
  const params = ctx.node.params;
  const train = ctx.inputs.find((input) => input.kind === 'train');
  if (!train) throw new Error(`score ${ctx.node.id}: no train artifact among its inputs (a bug in the DAG compiler)`);
  const model = await loadModel(train.dir, ctx.backend);
  try {
    const { features, latentDim } = model.descriptor;
    const scaler = await scalerFor(ctx.inputs, model);
    const samples = ctx.inputs.filter((input) => input.kind === 'preselect');
    const parts: ScoredPart[] = [];
    for (const input of samples) {
      parts.push(await scoreSample(input, model, scaler, features, latentDim));
      ctx.heartbeat({ samples: parts.length, of: samples.length });
    }
    await writeTable(join(ctx.outDir, SCORES_FILE), joinParts(parts, latentDim));
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
async function scalerFor(inputs: InputArtifact[], model: TrainedModel): Promise<Scaler> {
  const fitted = inputs.find((input) => input.kind === 'fitScaler');
  return fitted ? readScaler(join(fitted.dir, SCALER_FILE), model.descriptor.features) : model.descriptor.scaler;
}

interface ScoredPart {
  sample: string;
  event: Float64Array;
  weight: Float64Array;
  split: Uint8Array;
  mse: Float32Array;
  /** Row-major, latentDim values per event. */
  latent: Float32Array;
}

async function scoreSample(
  input: InputArtifact,
  model: TrainedModel,
  scaler: Scaler,
  features: string[],
  latentDim: number,
): Promise<ScoredPart> {
  const sample = preselectSummary(input);
  const path = join(input.dir, EVENTS_FILE);
  const where = `${path} (sample ${sample.sample})`;
  const table = await readTable(path, ['event', 'weight', 'split', ...features]);
  const split = numericColumn(table, 'split', where);
  // Background: only the held-out test split is scored; training events would flatter the model.
  const rows: number[] = [];
  for (let r = 0; r < table.numRows; r++) if (sample.kind === 'signal' || split[r] === 1) rows.push(r);
  const pick = (name: string) => {
    const column = numericColumn(table, name, where);
    return Float64Array.from(rows, (r) => column[r]);
  };
  const x = standardise(features.map(pick), rows.length, scaler);
  const { mse, latent } = rows.length > 0 ? model.score(x) : { mse: new Float32Array(0), latent: new Float32Array(0) };
  return {
    sample: sample.sample,
    event: pick('event'),
    weight: pick('weight'),
    split: Uint8Array.from(rows, (r) => split[r]),
    mse,
    latent: latent.subarray(0, rows.length * latentDim),
  };
}

function joinParts(parts: ScoredPart[], latentDim: number) {
  const n = parts.reduce((sum, p) => sum + p.event.length, 0);
  const columns: Record<string, Column> = {
    sample: new Array<string>(n),
    event: new Float64Array(n),
    weight: new Float64Array(n),
    split: new Uint8Array(n),
    mse: new Float64Array(n),
  };
  const latent = Array.from({ length: latentDim }, () => new Float64Array(n));
  let offset = 0;
  for (const part of parts) {
    const m = part.event.length;
    (columns.sample as string[]).fill(part.sample, offset, offset + m);
    (columns.event as Float64Array).set(part.event, offset);
    (columns.weight as Float64Array).set(part.weight, offset);
    (columns.split as Uint8Array).set(part.split, offset);
    (columns.mse as Float64Array).set(part.mse, offset);
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
