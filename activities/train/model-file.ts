// The trained model on disk, and the loader the scorer uses.
//
//   model/model.json            descriptor: architecture, latentDim, features, scaler, backend, ...
//   model/encoder/model.json    tfjs Layers model (Sequential of Dense layers) + weights.bin
//   model/decoder/model.json    idem
//
// Encoder and decoder are plain tfjs Layers artifacts, so tf.loadLayersModel (and the
// tensorflowjs converter to Keras) read them directly. VAE/DVAE encoders output
// [mean | log-variance] (2 x latentDim); the DVAE decoder takes softmax(z).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isVariational, type Architecture } from '../../core/models.js';
import { concatArrays } from '../lib/typed-arrays.js';
import { ensureBackend } from './backend.js';
import type { Scaler } from '../fit-scaler/format.js';
import { decoderInput, type DenseShape, type NetworkShape } from './network.js';

export const MODEL_FORMAT = 'anomaly-sweep/autoencoder@1';

export interface ModelDescriptor {
  format: typeof MODEL_FORMAT;
  model: string;
  architecture: Architecture;
  latentDim: number;
  features: string[];
  hiddenLayers: number[];
  encoder: string;
  decoder: string;
  /** The standardisation the model expects its inputs in (thesis Eq. 5.2). */
  scaler: Scaler & { artifact: string };
  /** DVAE only: the Dirichlet prior's alpha per latent variable. */
  dirichletAlpha?: number[];
  trainedWith: { backend: string; bestEpoch: number; valLoss: number; seed: number };
}

type WeightArtifacts = Required<Pick<tf.io.ModelArtifacts, 'modelTopology' | 'weightSpecs' | 'weightData'>>;

function sequential(layers: DenseShape[]): tf.Sequential {
  return tf.sequential({
    layers: layers.map((l, i) =>
      tf.layers.dense({
        name: l.name,
        units: l.units,
        activation: l.relu ? 'relu' : 'linear',
        ...(i === 0 ? { inputShape: [l.inputs] } : {}),
      }),
    ),
  });
}

async function writeLayers(dir: string, layers: DenseShape[], weights: Float32Array): Promise<void> {
  const model = sequential(layers);
  try {
    let offset = 0;
    const values = layers.flatMap((l) => {
      const kernel = tf.tensor2d(weights.subarray(offset, offset + l.inputs * l.units), [l.inputs, l.units]);
      offset += l.inputs * l.units;
      const bias = tf.tensor1d(weights.subarray(offset, offset + l.units));
      offset += l.units;
      return [kernel, bias];
    });
    model.setWeights(values);
    tf.dispose(values);
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
        const manifest = [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }];
        const json = {
          format: 'layers-model',
          generatedBy: artifacts.generatedBy,
          modelTopology: artifacts.modelTopology,
          weightsManifest: manifest,
        };
        await writeFile(join(dir, 'model.json'), JSON.stringify(json));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
  } finally {
    model.dispose();
  }
}

/** Writes `weights` (the flat layout of network.ts) as model/ under `dir`. */
export async function writeModel(
  dir: string,
  shape: NetworkShape,
  weights: Float32Array,
  descriptor: Omit<ModelDescriptor, 'format' | 'encoder' | 'decoder' | 'architecture' | 'latentDim'>,
): Promise<void> {
  const encoderSize = shape.blocks.slice(0, 2 * shape.encoder.length).reduce((a, b) => a + b, 0);
  await writeLayers(join(dir, 'encoder'), shape.encoder, weights.subarray(0, encoderSize));
  await writeLayers(join(dir, 'decoder'), shape.decoder, weights.subarray(encoderSize));
  const full: ModelDescriptor = {
    format: MODEL_FORMAT,
    architecture: shape.architecture,
    latentDim: shape.latentDim,
    encoder: 'encoder/model.json',
    decoder: 'decoder/model.json',
    ...descriptor,
  };
  await writeFile(join(dir, 'model.json'), JSON.stringify(full, null, 2));
}

async function readLayers(path: string): Promise<tf.LayersModel> {
  const json = JSON.parse(await readFile(path, 'utf8')) as {
    modelTopology: tf.io.ModelArtifacts['modelTopology'];
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const [group] = json.weightsManifest;
  const bytes = await readFile(join(path, '..', group!.paths[0]!));
  const artifacts: WeightArtifacts = {
    modelTopology: json.modelTopology!,
    weightSpecs: group!.weights,
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  };
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

/** A trained model, evaluated in scaled feature space; inputs are row-major float32 rows. */
export interface TrainedModel {
  descriptor: ModelDescriptor;
  /** Latent mean per event (rows x latentDim); `latent` is what a scan of latent:<i> reads:
   *  the mean itself for AE and VAE, its softmax (a point on the simplex) for the DVAE. */
  encode(x: Float32Array): { mean: Float32Array; latent: Float32Array };
  /** Decoder output at the latent mean (no sampling). */
  reconstruct(x: Float32Array): Float32Array;
  /** Per-event reconstruction MSE over the features at the latent mean. */
  mse(x: Float32Array): Float32Array;
  /** mse and latent in one pass. */
  score(x: Float32Array): { mse: Float32Array; latent: Float32Array };
  dispose(): void;
}

const CHUNK_ROWS = 16384;

/** Loads the model of a train artifact (`dir` is the artifact or its model/ directory). */
export async function readModel(dir: string): Promise<TrainedModel> {
  const modelDir = existsSync(join(dir, 'model', 'model.json')) ? join(dir, 'model') : dir;
  const descriptorPath = join(modelDir, 'model.json');
  if (!existsSync(descriptorPath)) throw new Error(`no trained model in ${dir} (expected model/model.json)`);
  const descriptor = JSON.parse(await readFile(descriptorPath, 'utf8')) as ModelDescriptor;
  if (descriptor.format !== MODEL_FORMAT) throw new Error(`${descriptorPath} has format ${descriptor.format}, expected ${MODEL_FORMAT}`);
  await ensureBackend();
  const encoder = await readLayers(join(modelDir, descriptor.encoder));
  const decoder = await readLayers(join(modelDir, descriptor.decoder));
  const width = descriptor.features.length;
  const latentDim = descriptor.latentDim;

  /** Runs `f` on chunks of rows and concatenates each named output's rows. */
  function chunked<K extends string>(x: Float32Array, keys: K[], f: (rows: tf.Tensor2D) => Record<K, tf.Tensor>): Record<K, Float32Array> {
    if (x.length % width !== 0) throw new Error(`input has ${x.length} values, not a multiple of ${width} features`);
    const rows = x.length / width;
    const parts = keys.map(() => [] as Float32Array[]);
    for (let start = 0; start < rows; start += CHUNK_ROWS) {
      const end = Math.min(rows, start + CHUNK_ROWS);
      const outputs = tf.tidy(() => f(tf.tensor2d(x.subarray(start * width, end * width), [end - start, width])));
      keys.forEach((key, i) => parts[i]!.push(outputs[key].dataSync() as Float32Array));
      tf.dispose(Object.values(outputs) as tf.Tensor[]);
    }
    return Object.fromEntries(keys.map((key, i) => [key, concatArrays(parts[i]!, Float32Array)])) as Record<K, Float32Array>;
  }

  const latentMean = (x: tf.Tensor2D) => {
    const encoded = encoder.predict(x) as tf.Tensor2D;
    return isVariational(descriptor.architecture) ? (tf.slice(encoded, [0, 0], [-1, latentDim]) as tf.Tensor2D) : encoded;
  };
  const passes = (x: tf.Tensor2D) => {
    const mean = latentMean(x);
    const latent = decoderInput(descriptor.architecture, mean);
    const reconstruction = decoder.predict(latent) as tf.Tensor2D;
    return { mean, latent, reconstruction, mse: tf.mean(tf.squaredDifference(reconstruction, x), 1) };
  };

  return {
    descriptor,
    encode: (x) =>
      chunked(x, ['mean', 'latent'], (rows) => {
        const { mean, latent } = passes(rows);
        return { mean, latent };
      }),
    reconstruct: (x) => chunked(x, ['reconstruction'], (rows) => ({ reconstruction: passes(rows).reconstruction })).reconstruction,
    mse: (x) => chunked(x, ['mse'], (rows) => ({ mse: passes(rows).mse })).mse,
    score: (x) =>
      chunked(x, ['mse', 'latent'], (rows) => {
        const { mse, latent } = passes(rows);
        return { mse, latent };
      }),
    dispose: () => {
      encoder.dispose();
      decoder.dispose();
    },
  };
}
