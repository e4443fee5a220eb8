import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScoreParams } from '../../core/dag.js';
import type { Architecture } from '../../core/models.js';
import type { InputArtifact } from '../../activities/engine/context.js';
import { readTable, writeTable } from '../../activities/lib/parquet.js';
import { runScore } from '../../activities/score/index.js';
import type { SampleInfo } from '../../activities/score/format.js';
import { useTfjsBackend } from '../helpers/tfjs.js';
import { writeModel } from '../../activities/train/model-writer.js';
import { networkShape } from '../../activities/train/network.js';
import { input, nodeContext, removeTempDirs, tempDir } from './fixtures.js';
import { randomSource } from './random.js';
import { preselectSummary } from '../helpers/artifacts.js';

const FEATURES = ['a_E', 'a_px', 'b_E', 'b_px'];
const HIDDEN = [6, 5];
const SCALER = { features: FEATURES, mean: [5, 0, 3, -1], std: [2, 1, 0.5, 4] };

// The models below are written on the backend scoring computes on, not tfjs's plain JavaScript default.
beforeAll(() => useTfjsBackend());

interface Layer {
  kernel: Float32Array;
  bias: Float32Array;
  inputs: number;
  units: number;
  relu: boolean;
}

/** A random but real model (what train writes), plus its layers for an independent forward pass. */
async function writeRandomModel(dir: string, architecture: Architecture, latentDim: number) {
  const shape = networkShape(architecture, FEATURES.length, latentDim, HIDDEN);
  const rng = randomSource(latentDim + architecture.length);
  const weights = Float32Array.from({ length: shape.size }, () => rng.uniform(-0.8, 0.8));
  await writeModel(join(dir, 'model'), shape, weights, {
    model: `${architecture}-l${latentDim}`,
    features: FEATURES,
    hiddenLayers: HIDDEN,
    scaler: { ...SCALER, artifact: 'fitScaler/all' },
    trainedWith: { backend: 'cpu', bestEpoch: 1, valLoss: 1, seed: 1 },
  });
  let offset = 0;
  const layers = (shapes: typeof shape.encoder): Layer[] =>
    shapes.map((l) => {
      const kernel = weights.slice(offset, offset + l.inputs * l.units);
      offset += l.inputs * l.units;
      const bias = weights.slice(offset, offset + l.units);
      offset += l.units;
      return { kernel, bias, inputs: l.inputs, units: l.units, relu: l.relu };
    });
  return { encoder: layers(shape.encoder), decoder: layers(shape.decoder) };
}

function forward(layers: Layer[], x: number[]): number[] {
  return layers.reduce((h, layer) => {
    const out = Array.from(layer.bias, Number);
    for (let j = 0; j < layer.units; j++) for (let i = 0; i < layer.inputs; i++) out[j] += h[i] * layer.kernel[i * layer.units + j];
    return layer.relu ? out.map((v) => Math.max(0, v)) : out;
  }, x);
}

/** Score of one raw event, by hand: standardise, encode to the mean, (softmax,) decode, MSE. */
function expectedScore(net: { encoder: Layer[]; decoder: Layer[] }, architecture: Architecture, latentDim: number, raw: number[]) {
  const x = raw.map((v, j) => (v - SCALER.mean[j]) / SCALER.std[j]);
  const mean = forward(net.encoder, x).slice(0, latentDim);
  const exp = mean.map((v) => Math.exp(v - Math.max(...mean)));
  const latent = architecture === 'DVAE' ? exp.map((v) => v / exp.reduce((a, b) => a + b, 0)) : mean;
  const y = forward(net.decoder, latent);
  return { mse: y.reduce((s, v, j) => s + (v - x[j]) ** 2, 0) / FEATURES.length, latent };
}

/** A preselect artifact: events.parquet with the features, weight, split, and its summary. */
async function preselectInput(root: string, name: string, kind: 'background' | 'signal', n: number, seed: number): Promise<InputArtifact> {
  const rng = randomSource(seed);
  const dir = join(root, `preselect-${name}`);
  await mkdir(dir, { recursive: true });
  const columns: Record<string, Float64Array | Uint8Array | Int32Array> = {
    event: Int32Array.from({ length: n }, (_, i) => 1000 + i),
    ...Object.fromEntries(
      FEATURES.map((f, j) => [f, Float64Array.from({ length: n }, () => SCALER.mean[j] + SCALER.std[j] * rng.normal())]),
    ),
    weight: Float64Array.from({ length: n }, () => (kind === 'signal' ? 0.01 : rng.pick([1.5, 3]))),
    split: Uint8Array.from({ length: n }, (_, i) => (kind === 'signal' || i % 4 === 0 ? 1 : 0)),
  };
  await writeTable(join(dir, 'events.parquet'), { numRows: n, columns });
  const summary = preselectSummary(name, {
    kind,
    process: kind === 'signal' ? 'idmdh' : name,
    ...(kind === 'signal' ? { mChi1: 1, mHprime: 0.5 } : {}),
    generated: 4 * n,
    generatedWeighted: 4 * n * 0.01,
    selected: n,
    selectedWeighted: n * 0.01,
  });
  return input('preselect', `preselect/${name}`, dir, summary);
}

afterAll(removeTempDirs);

describe('runScore', () => {
  for (const [architecture, latentDim] of [
    ['AE', 2],
    ['VAE', 3],
    ['DVAE', 3],
  ] as const) {
    it(`${architecture}: MSE in scaled space and latent mean per event, background test split only`, async () => {
      const root = await tempDir(`score-${architecture}`);
      const net = await writeRandomModel(join(root, 'train'), architecture, latentDim);
      const scalerDir = join(root, 'scaler');
      await mkdir(scalerDir, { recursive: true });
      await writeFile(join(scalerDir, 'scaler.json'), JSON.stringify(SCALER));
      const params: ScoreParams = { model: `${architecture}-l${latentDim}`, architecture, latentDim, background: 'all', axes: {} };
      const samples = [
        await preselectInput(root, 'tautau', 'background', 40, 1),
        await preselectInput(root, 'idmdh_1_0.5', 'signal', 15, 2),
      ];
      const ctx = await nodeContext('score', params, [
        input('train', 'train/x', join(root, 'train')),
        input('fitScaler', 'fitScaler/all', scalerDir),
        ...samples,
      ]);
      const summary = await runScore(ctx);
      expect(summary).toMatchObject({ samples: 2, events: 10 + 15, latentDim });

      const scores = await readTable(join(ctx.outDir, 'scores.parquet'));
      expect(Object.keys(scores.columns)).toEqual([
        'sample',
        'event',
        'weight',
        'split',
        'mse',
        ...Array.from({ length: latentDim }, (_, d) => `z${d}`),
      ]);
      const names = scores.columns.sample as string[];
      expect(names.filter((s) => s === 'tautau')).toHaveLength(10);
      expect(Array.from(scores.columns.split as Uint8Array).every((s) => s === 1)).toBe(true);

      for (const sampleInput of samples) {
        const events = await readTable(join(sampleInput.dir, 'events.parquet'));
        const eventIds = Array.from(events.columns.event as Int32Array);
        for (let r = 0; r < scores.numRows; r++) {
          if (names[r] !== sampleInput.summary.sample) continue;
          const row = eventIds.indexOf((scores.columns.event as Float64Array)[r]);
          expect((events.columns.split as Uint8Array)[row]).toBe(1);
          expect((scores.columns.weight as Float64Array)[r]).toBe((events.columns.weight as Float64Array)[row]);
          const expected = expectedScore(
            net,
            architecture,
            latentDim,
            FEATURES.map((f) => (events.columns[f] as Float64Array)[row]),
          );
          expect((scores.columns.mse as Float64Array)[r]).toBeCloseTo(expected.mse, 4);
          expected.latent.forEach((z, d) => expect((scores.columns[`z${d}`] as Float64Array)[r]).toBeCloseTo(z, 4));
        }
      }

      const infos = JSON.parse(await readFile(join(ctx.outDir, 'samples.json'), 'utf8')) as SampleInfo[];
      expect(infos).toEqual([
        {
          name: 'tautau',
          kind: 'background',
          process: 'tautau',
          mChi1: null,
          mHprime: null,
          generated: 160,
          generatedWeighted: 1.6,
          selected: 40,
          selectedWeighted: 0.4,
        },
        {
          name: 'idmdh_1_0.5',
          kind: 'signal',
          process: 'idmdh',
          mChi1: 1,
          mHprime: 0.5,
          generated: 60,
          generatedWeighted: 0.6,
          selected: 15,
          selectedWeighted: 0.15,
        },
      ]);
    });
  }
});
