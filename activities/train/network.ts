// The three autoencoders of thesis Sec. 5.1.3 as functions of one flat parameter vector:
// encoder dense layers (ReLU) -> latent (AE) or mean and log-variance (VAE, DVAE);
// decoder dense layers (ReLU, mirrored) -> the features, linear output. The DNN classifier
// of the supervised baselines is the same kind of stack: its `encoder` is the whole network
// (hidden ReLU layers -> one logit per output), its decoder is empty. The flat layout
// (per layer: kernel [in, out] row-major, then bias; encoder first) is the layout of the
// optimiser, the weight average, the checkpoint, the fused kernel and a Keras/tfjs
// Sequential model's weights. This file is the shape and the initial weights only, free of
// TensorFlow.js, so the fused path never loads it; tfjs-network.ts computes the network
// with tfjs tensors.
import { isVariational, type ModelArchitecture } from '../../core/models.js';
import type { Rng } from '../lib/rng.js';

export interface DenseShape {
  name: string;
  inputs: number;
  units: number;
  relu: boolean;
}

/** The models made of dense layers: the autoencoders and the DNN classifier (the BDT is XGBoost's). */
export type NetworkArchitecture = Exclude<ModelArchitecture, 'BDT'>;

export interface NetworkShape {
  architecture: NetworkArchitecture;
  inputDim: number;
  /** Width of the encoder's output: the latent space of an autoencoder, the logits of the DNN. */
  latentDim: number;
  encoder: DenseShape[];
  decoder: DenseShape[];
  /** Sizes of the flat blocks: kernel, bias of each layer, encoder then decoder. */
  blocks: number[];
  size: number;
}

export function networkShape(architecture: NetworkArchitecture, inputDim: number, latentDim: number, hidden: number[]): NetworkShape {
  const encoderOut = isVariational(architecture) ? 2 * latentDim : latentDim;
  const encoder = denseStack('encoder', [inputDim, ...hidden, encoderOut]);
  const decoder = architecture === 'DNN' ? [] : denseStack('decoder', [latentDim, ...[...hidden].reverse(), inputDim]);
  const blocks = [...encoder, ...decoder].flatMap((l) => [l.inputs * l.units, l.units]);
  return { architecture, inputDim, latentDim, encoder, decoder, blocks, size: blocks.reduce((a, b) => a + b, 0) };
}

function denseStack(prefix: string, widths: number[]): DenseShape[] {
  return widths.slice(1).map((units, i) => ({
    name: `${prefix}_${i}`,
    inputs: widths[i]!,
    units,
    relu: i < widths.length - 2,
  }));
}

/** PyTorch's nn.Linear default (the thesis' framework): kernel and bias ~ U(+-1/sqrt(fan_in)). */
export function initialWeights(shape: NetworkShape, rng: Rng): Float32Array {
  const weights = new Float32Array(shape.size);
  let offset = 0;
  for (const layer of [...shape.encoder, ...shape.decoder]) {
    const bound = 1 / Math.sqrt(layer.inputs);
    const count = (layer.inputs + 1) * layer.units;
    for (let i = 0; i < count; i++) weights[offset + i] = (2 * rng.uniform() - 1) * bound;
    offset += count;
  }
  return weights;
}
