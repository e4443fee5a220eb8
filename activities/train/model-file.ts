// The trained model on disk, and the loader the scorer uses.
//
//   model/model.json            descriptor: architecture, latentDim, features, scaler, backend, ...
//   model/encoder/model.json    tfjs Layers model (Sequential of Dense layers) + weights.bin
//   model/decoder/model.json    idem
//
// Encoder and decoder are plain tfjs Layers artifacts (written by model-writer.ts), so
// tf.loadLayersModel and the tensorflowjs converter to Keras read them directly. VAE/DVAE
// encoders output [mean | log-variance] (2 x latentDim); the DVAE decoder takes softmax(z).
// The loader needs no TensorFlow.js: the weights of both Layers models, in their manifests'
// order, are the flat vector of network.ts, which the scoring backend (backend.ts: the fused
// kernel unless a tfjs backend is asked for) evaluates directly.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackendSetting } from '../../core/dag.js';
import { isVariational, type Architecture } from '../../core/models.js';
import type { Scaler } from '../fit-scaler/format.js';
import { useBackend } from './backend.js';
import { networkShape, type DenseShape } from './network.js';
import { standardNormal } from './prior.js';

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

/** A trained model, evaluated in scaled feature space; inputs are row-major float32 rows. */
export interface TrainedModel {
  descriptor: ModelDescriptor;
  /** The backend that scores (backend.ts names). */
  backend: string;
  /**
   * Per event the reconstruction MSE over the features at the latent mean (no sampling),
   * and the latent output: the mean itself for AE and VAE, its softmax (a point on the
   * simplex) for the DVAE; rows x latentDim.
   */
  score(x: Float32Array): { mse: Float32Array; latent: Float32Array };
  dispose(): void;
}

/** Rows per scoring call of the fused kernel (its staging areas are sized for this). */
const SCORE_ROWS = 1024;

/** The weights of one Layers model (model.json + its weights file) as one flat array, checked against `layers`. */
export async function readLayerWeights(path: string, layers: DenseShape[]): Promise<Float32Array> {
  const json = JSON.parse(await readFile(path, 'utf8')) as {
    weightsManifest?: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
  };
  const group = json.weightsManifest?.[0];
  const expected = layers.flatMap((l) => [[l.inputs, l.units], [l.units]]);
  const shapes = group?.weights.map((w) => (w.dtype === 'float32' ? w.shape : [NaN])) ?? [];
  if (!group || group.paths.length !== 1 || JSON.stringify(shapes) !== JSON.stringify(expected)) {
    throw new Error(
      `${path}: the weights manifest does not describe float32 ${JSON.stringify(expected)} in one file; the model artifact is damaged (sweep verify --repair sets it aside)`,
    );
  }
  const bytes = await readFile(join(path, '..', group.paths[0]!));
  const floats = expected.reduce((n, shape) => n + shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.byteLength !== 4 * floats) {
    throw new Error(`${path}: ${group.paths[0]} has ${bytes.byteLength} bytes, the manifest ${4 * floats}; the model artifact is damaged`);
  }
  // Copy into a fresh, aligned buffer: the file buffer's offset need not be 4-aligned.
  return new Float32Array(new Uint8Array(bytes).buffer);
}

/**
 * Loads the model of a train artifact (`dir` is the artifact or its model/ directory) for
 * scoring on `backend` (the worker's --backend; default auto, i.e. the fused kernel).
 */
export async function readModel(dir: string, backend?: BackendSetting): Promise<TrainedModel> {
  const modelDir = existsSync(join(dir, 'model', 'model.json')) ? join(dir, 'model') : dir;
  const descriptorPath = join(modelDir, 'model.json');
  if (!existsSync(descriptorPath)) throw new Error(`no trained model in ${dir} (expected model/model.json)`);
  const descriptor = JSON.parse(await readFile(descriptorPath, 'utf8')) as ModelDescriptor;
  if (descriptor.format !== MODEL_FORMAT) throw new Error(`${descriptorPath} has format ${descriptor.format}, expected ${MODEL_FORMAT}`);
  const { architecture, latentDim, features, hiddenLayers } = descriptor;
  const shape = networkShape(architecture, features.length, latentDim, hiddenLayers);
  const encoder = await readLayerWeights(join(modelDir, descriptor.encoder), shape.encoder);
  const decoder = await readLayerWeights(join(modelDir, descriptor.decoder), shape.decoder);
  const params = new Float32Array(shape.size);
  params.set(encoder, 0);
  params.set(decoder, encoder.length);
  const numerics = await useBackend('auto', backend);
  // Scoring decodes the latent mean, so the prior does not enter it; an engine of a
  // variational model still takes one.
  const prior = isVariational(architecture) ? standardNormal(latentDim) : null;
  const scorer = numerics.createScorer(
    { architecture, inputDim: features.length, latentDim, hiddenLayers, maxRows: SCORE_ROWS, prior, klWeight: 0, clipNorm: 0, swa: false },
    params,
  );
  return {
    descriptor,
    backend: numerics.name,
    score(x) {
      if (x.length % features.length !== 0) throw new Error(`input has ${x.length} values, not a multiple of ${features.length} features`);
      return scorer.score(x);
    },
    dispose: () => scorer.dispose(),
  };
}
