// The three autoencoders of thesis Sec. 5.1.3 as functions of one flat parameter vector:
// encoder dense layers (ReLU) -> latent (AE) or mean and log-variance (VAE, DVAE);
// decoder dense layers (ReLU, mirrored) -> the features, linear output. The flat layout
// (per layer: kernel [in, out] row-major, then bias; encoder first) is the layout of the
// optimiser, the weight average, the checkpoint and a Keras/tfjs Sequential model's weights.
import * as tf from '@tensorflow/tfjs';
import { isVariational, type Architecture } from '../../core/models.js';
import { gaussianKl, type PriorTensors } from './kl.js';
import type { Rng } from '../lib/rng.js';

export interface DenseShape {
  name: string;
  inputs: number;
  units: number;
  relu: boolean;
}

export interface NetworkShape {
  architecture: Architecture;
  inputDim: number;
  latentDim: number;
  encoder: DenseShape[];
  decoder: DenseShape[];
  /** Sizes of the flat blocks: kernel, bias of each layer, encoder then decoder. */
  blocks: number[];
  size: number;
}

export function networkShape(architecture: Architecture, inputDim: number, latentDim: number, hidden: number[]): NetworkShape {
  const encoderOut = isVariational(architecture) ? 2 * latentDim : latentDim;
  const encoder = denseStack('encoder', [inputDim, ...hidden, encoderOut]);
  const decoder = denseStack('decoder', [latentDim, ...[...hidden].reverse(), inputDim]);
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

export interface DenseLayer {
  shape: DenseShape;
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
}

/** Views of the flat vector as layers; gradients flow back to `params` through the split. */
export function unpack(shape: NetworkShape, params: tf.Tensor): { encoder: DenseLayer[]; decoder: DenseLayer[] } {
  const parts = tf.split(params, shape.blocks);
  const layers = [...shape.encoder, ...shape.decoder].map((layer, i) => ({
    shape: layer,
    kernel: tf.reshape(parts[2 * i]!, [layer.inputs, layer.units]) as tf.Tensor2D,
    bias: parts[2 * i + 1] as tf.Tensor1D,
  }));
  return { encoder: layers.slice(0, shape.encoder.length), decoder: layers.slice(shape.encoder.length) };
}

type DenseOp = (x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;
const denseOps = new Map<string, DenseOp>();

/** Backends whose own dense gradient is fast: TensorFlow runs transposed matMuls natively. */
const NATIVE_DENSE_GRADIENT = new Set(['tensorflow']);

/**
 * y = act(x W + b). On wasm (and cpu) with a hand-written gradient that uses only
 * untransposed matMuls: the wasm backend runs transposed matMuls (tfjs's own dense
 * gradient) as a naive loop, ~8x slower than an explicit transpose followed by XNNPACK;
 * the bias gradient, a column sum, is a product with a row of ones for the same reason
 * (wasm reduces axis 0 by transposing first). The network input needs no gradient, which
 * saves the first layer's input-gradient product. On TensorFlow, tfjs's own gradient
 * measured 10-20% faster than this one, so it is kept there.
 */
function denseOp(relu: boolean, inputGrad: boolean): DenseOp {
  const activation = relu ? 'relu' : 'linear';
  if (NATIVE_DENSE_GRADIENT.has(tf.getBackend())) return (a, b, bias) => tf.fused.matMul({ a, b, bias, activation }) as tf.Tensor2D;
  const key = `${relu}/${inputGrad}`;
  let op = denseOps.get(key);
  if (!op) {
    const custom = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [x, kernel, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
      const y = tf.fused.matMul({ a: x, b: kernel, bias, activation });
      save(relu ? [x, kernel, y] : [x, kernel]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, ks, ys] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D?];
          const dz = (ys ? tf.mul(dy, tf.step(ys)) : dy) as tf.Tensor2D;
          const dx = inputGrad ? tf.matMul(dz, tf.transpose(ks)) : tf.zerosLike(xs);
          const biasGrad = tf.reshape(tf.matMul(tf.ones([1, dz.shape[0]]) as tf.Tensor2D, dz), [-1]);
          return [dx, tf.matMul(tf.transpose(xs), dz), biasGrad];
        },
      };
    });
    op = (x, kernel, bias) => custom(x, kernel, bias) as tf.Tensor2D;
    denseOps.set(key, op);
  }
  return op;
}

function applyStack(x: tf.Tensor2D, layers: DenseLayer[], inputGrad: boolean): tf.Tensor2D {
  let h = x;
  layers.forEach((layer, i) => {
    h = denseOp(layer.shape.relu, inputGrad || i > 0)(h, layer.kernel, layer.bias);
  });
  return h;
}

/** What the decoder sees of a latent point: the point itself, or for the DVAE its softmax. */
export function decoderInput(architecture: Architecture, z: tf.Tensor2D): tf.Tensor2D {
  return architecture === 'DVAE' ? tf.softmax(z) : z;
}

export interface LossTerms {
  /** Per-event reconstruction MSE over the features, [rows]. */
  mse: tf.Tensor1D;
  /** Per-event KL to the prior, [rows]; null for the AE. */
  kl: tf.Tensor1D | null;
}

/**
 * Per-event loss terms of a batch. `noise` ([rows, latentDim] standard normal) drives the
 * reparameterised sample z = mu + exp(logVar / 2) * noise of the variational models.
 */
export function lossTerms(
  shape: NetworkShape,
  params: tf.Tensor,
  x: tf.Tensor2D,
  noise: tf.Tensor2D | null,
  prior: PriorTensors | null,
): LossTerms {
  const { encoder, decoder } = unpack(shape, params);
  const encoded = applyStack(x, encoder, false);
  let z = encoded;
  let kl: tf.Tensor1D | null = null;
  if (isVariational(shape.architecture)) {
    if (!noise || !prior) throw new Error(`${shape.architecture} needs noise and a prior`);
    const [mu, logVar] = tf.split(encoded, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), noise));
    kl = gaussianKl(mu, logVar, prior);
  }
  const reconstruction = applyStack(decoderInput(shape.architecture, z), decoder, true);
  return { mse: tf.mean(tf.squaredDifference(reconstruction, x), 1) as tf.Tensor1D, kl };
}
