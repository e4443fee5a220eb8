// Writes a trained model as the files model-file.ts describes: encoder and decoder as tfjs
// Layers models (Sequential of Dense layers, model.json + weights.bin), so tf.loadLayersModel
// and the tensorflowjs converter to Keras read them directly, and the descriptor beside
// them. TensorFlow.js writes the Layers files; the readers (model-file.ts) do not need it.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MODEL_FORMAT, type ModelDescriptor } from './model-file.js';
import type { DenseShape, NetworkShape } from './network.js';

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
  // After a fused training this is tfjs's only use in the process, on its plain cpu backend,
  // whose first use prints a banner recommending tfjs-node into the node's log; production
  // mode keeps tfjs quiet (it turns off warnings and nothing this writer relies on).
  tf.enableProdMode();
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
  const { architecture } = shape;
  if (architecture === 'DNN') throw new Error('writeModel writes autoencoders; a DNN is written by writeClassifierNetwork');
  const encoderSize = shape.blocks.slice(0, 2 * shape.encoder.length).reduce((a, b) => a + b, 0);
  await writeLayers(join(dir, 'encoder'), shape.encoder, weights.subarray(0, encoderSize));
  await writeLayers(join(dir, 'decoder'), shape.decoder, weights.subarray(encoderSize));
  const full: ModelDescriptor = {
    format: MODEL_FORMAT,
    architecture,
    latentDim: shape.latentDim,
    encoder: 'encoder/model.json',
    decoder: 'decoder/model.json',
    ...descriptor,
  };
  await writeFile(join(dir, 'model.json'), JSON.stringify(full, null, 2));
}

/** Writes the DNN's weights (its one dense stack) as a tfjs Layers model in `dir`. */
export async function writeClassifierNetwork(dir: string, shape: NetworkShape, weights: Float32Array): Promise<void> {
  await writeLayers(dir, shape.encoder, weights);
}
