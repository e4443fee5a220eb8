// Scoring through the fused kernel: the model files a training writes (tfjs Layers models)
// read by tf.loadLayersModel and evaluated by tfjs give the fused kernel's per-event MSE of
// decoding the latent mean (DVAE: its softmax) and its latent output (the mean; for the DVAE
// its softmax); loadModel, which reads the same files without TensorFlow.js, scores with the
// fused kernel by default and with tfjs when a tfjs backend is asked for.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Architecture } from '../../core/models.js';
import { loadFused, type FusedKind } from '../../activities/train/fused/index.js';
import { loadModel } from '../../activities/train/format.js';
import { writeModel } from '../../activities/train/model-writer.js';
import { FEATURES } from './fixtures.js';
import { firstDifference, NATIVE, NATIVE_SKIP, problem } from './fused-helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const CASES: [Architecture, number][] = [
  ['AE', 1],
  ['AE', 8],
  ['VAE', 1],
  ['VAE', 16],
  ['DVAE', 2],
  ['DVAE', 16],
];

/** One Layers model file as tf.loadLayersModel reads it. */
async function layersModel(path: string): Promise<tf.LayersModel> {
  const json = JSON.parse(await readFile(path, 'utf8')) as {
    modelTopology: tf.io.ModelArtifacts['modelTopology'];
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const bytes = await readFile(join(path, '..', json.weightsManifest[0]!.paths[0]!));
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology!,
      weightSpecs: json.weightsManifest[0]!.weights,
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    }),
  );
}

/** MSE and latent output at the latent mean, by the Layers models. */
async function layersScore(dir: string, architecture: Architecture, latentDim: number, x: Float32Array) {
  await tf.setBackend('cpu');
  const [encoder, decoder] = [await layersModel(join(dir, 'encoder', 'model.json')), await layersModel(join(dir, 'decoder', 'model.json'))];
  const out = tf.tidy(() => {
    const input = tf.tensor2d(x, [x.length / FEATURES.length, FEATURES.length]);
    const encoded = encoder.predict(input) as tf.Tensor2D;
    const mean = architecture === 'AE' ? encoded : encoded.slice([0, 0], [-1, latentDim]);
    const latent = architecture === 'DVAE' ? tf.softmax(mean) : mean;
    const mse = tf.mean(tf.squaredDifference(decoder.predict(latent) as tf.Tensor2D, input), 1);
    return { mse: mse.dataSync() as Float32Array, latent: latent.dataSync() as Float32Array };
  });
  encoder.dispose();
  decoder.dispose();
  return out;
}

function largestDifference(got: Float32Array, expected: Float32Array, floor: number): number {
  expect(got.length).toBe(expected.length);
  return got.reduce((worst, v, i) => Math.max(worst, Math.abs(v - expected[i]!) / Math.max(Math.abs(expected[i]!), floor)), 0);
}

function scoreTests(kind: FusedKind): void {
  for (const [architecture, latentDim] of CASES) {
    it(`${architecture} l${latentDim}: mse and latent of 1000 events equal the Layers files' through tfjs`, async () => {
      const kernel = await loadFused(kind);
      // Larger weights than the initial ones, so the latent means spread.
      const p = problem(architecture, latentDim, { rows: 1000, maxRows: 256, weightScale: 2, seed: latentDim });
      const dir = await mkdtemp(join(tmpdir(), 'fused-score-'));
      dirs.push(dir);
      await writeModel(join(dir, 'model'), p.shape, p.params, {
        model: `${architecture}-l${latentDim}`,
        features: FEATURES,
        hiddenLayers: p.spec.hiddenLayers,
        scaler: { features: FEATURES, mean: FEATURES.map(() => 0), std: FEATURES.map(() => 1), artifact: 'fitScaler/all' },
        ...(architecture === 'DVAE' && { dirichletAlpha: [...Array(latentDim - 1).fill(0.9), 0.1] }),
        trainedWith: { backend: kernel.name, bestEpoch: 1, valLoss: 1, seed: 1 },
      });
      const expected = await layersScore(join(dir, 'model'), architecture, latentDim, p.x);
      const engine = kernel.createEngine(p.spec);
      const got = engine.score(p.x, p.params);
      expect(largestDifference(got.mse, expected.mse, 1e-3), 'largest relative mse difference').toBeLessThan(1e-5);
      expect(largestDifference(got.latent, expected.latent, 1), 'largest latent difference').toBeLessThan(1e-5);
      if (architecture === 'DVAE') {
        for (let r = 0; r < 1000; r += 97)
          expect(got.latent.subarray(r * latentDim, (r + 1) * latentDim).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
      // loadModel reads the flat weights back from the same files: the kernel's very numbers.
      const model = await loadModel(dir, kind === 'native' ? 'fused-native' : 'fused-wasm');
      expect(model.backend).toBe(kernel.name);
      const loaded = model.score(p.x);
      model.dispose();
      expect(firstDifference(loaded.mse, got.mse)).toBe(-1);
      expect(firstDifference(loaded.latent, got.latent)).toBe(-1);
    });
  }
}

describe('fused scoring, wasm build', () => scoreTests('wasm'));

describe.skipIf(!NATIVE.available)(`fused scoring, native build${NATIVE_SKIP}`, () => scoreTests('native'));

describe('loadModel', () => {
  it('scores with the fused kernel by default and with tfjs on a tfjs backend, to the same numbers', async () => {
    const p = problem('VAE', 3, { rows: 500, weightScale: 2 });
    const dir = await mkdtemp(join(tmpdir(), 'fused-score-'));
    dirs.push(dir);
    await writeModel(join(dir, 'model'), p.shape, p.params, {
      model: 'VAE-l3',
      features: FEATURES,
      hiddenLayers: p.spec.hiddenLayers,
      scaler: { features: FEATURES, mean: FEATURES.map(() => 0), std: FEATURES.map(() => 1), artifact: 'fitScaler/all' },
      trainedWith: { backend: 'cpu', bestEpoch: 1, valLoss: 1, seed: 1 },
    });
    const fused = await loadModel(dir);
    expect(fused.backend).toMatch(/^fused-/);
    const tfjs = await loadModel(dir, 'cpu');
    expect(tfjs.backend).toBe('cpu');
    const [a, b] = [fused.score(p.x), tfjs.score(p.x)];
    expect(largestDifference(a.mse, b.mse, 1e-3)).toBeLessThan(1e-5);
    expect(largestDifference(a.latent, b.latent, 1)).toBeLessThan(1e-5);
    expect(() => fused.score(p.x.subarray(0, 30))).toThrow(/30 values, not a multiple of 20 features/);
  });

  it('says what is wrong with a model whose weights do not match its descriptor', async () => {
    const p = problem('AE', 2, { rows: 10 });
    const dir = await mkdtemp(join(tmpdir(), 'fused-score-'));
    dirs.push(dir);
    const descriptor = {
      model: 'AE-l2',
      features: FEATURES,
      hiddenLayers: p.spec.hiddenLayers,
      scaler: { features: FEATURES, mean: FEATURES.map(() => 0), std: FEATURES.map(() => 1), artifact: 'fitScaler/all' },
      trainedWith: { backend: 'cpu', bestEpoch: 1, valLoss: 1, seed: 1 },
    };
    await writeModel(join(dir, 'model'), p.shape, p.params, descriptor);
    const path = join(dir, 'model', 'model.json');
    const json = JSON.parse(await readFile(path, 'utf8')) as { hiddenLayers: number[] };
    await writeFile(path, JSON.stringify({ ...json, hiddenLayers: [100, 50, 100] }));
    await expect(loadModel(dir)).rejects.toThrow(
      /encoder\/model\.json: the weights manifest does not describe float32 .* the model artifact is damaged/,
    );
  });
});
