// The networks of network.ts computed with TensorFlow.js tensors, for the tfjs engine
// (tfjs-engine.ts) and as the autodiff reference the fused kernel is tested against: the
// loss terms of a batch with a hand-written dense gradient, and scoring at the latent mean;
// for the DNN classifier its cross-entropy and its output.
import * as tf from '@tensorflow/tfjs';
import { isVariational } from '../../core/models.js';
import { gaussianKl, type PriorTensors } from './kl.js';
import type { DenseShape, NetworkArchitecture, NetworkShape } from './network.js';

export interface DenseLayer {
  shape: DenseShape;
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
  /** kernel^T, given where the backend transposes explicitly (see dense) and the layer's input gradient is needed. */
  kernelT?: tf.Tensor2D;
}

export interface NetworkLayers {
  encoder: DenseLayer[];
  decoder: DenseLayer[];
}

/**
 * The layers over `blocks` (the flat vector cut at shape.blocks: kernel, bias per layer,
 * 1-D), so a gradient taken with respect to the blocks comes out in the flat layout by one
 * concat. `kernelsT` are the transposed kernels of every layer but the first, in order.
 */
export function layersOf(shape: NetworkShape, blocks: tf.Tensor1D[], kernelsT?: tf.Tensor2D[]): NetworkLayers {
  const layers = [...shape.encoder, ...shape.decoder].map((layer, i): DenseLayer => ({
    shape: layer,
    kernel: tf.reshape(blocks[2 * i]!, [layer.inputs, layer.units]),
    bias: blocks[2 * i + 1]!,
    ...(kernelsT && i > 0 && { kernelT: kernelsT[i - 1] }),
  }));
  return { encoder: layers.slice(0, shape.encoder.length), decoder: layers.slice(shape.encoder.length) };
}

/** Views of a flat parameter tensor as layers; gradients flow back to `params` through the split. */
export function unpack(shape: NetworkShape, params: tf.Tensor): NetworkLayers {
  return layersOf(shape, tf.split(params, shape.blocks) as tf.Tensor1D[]);
}

/**
 * Blocks (and, with `transposed`, the transposed kernels) of flat weights held in
 * JavaScript, as new tensors. Cheaper than tf.split on wasm, whose split copies the whole
 * input out of the module's memory once per part (about 2 ms per step here).
 */
export function blocksOf(
  shape: NetworkShape,
  weights: Float32Array,
  transposed: boolean,
): { blocks: tf.Tensor1D[]; kernelsT?: tf.Tensor2D[] } {
  const blocks: tf.Tensor1D[] = [];
  const kernelsT: tf.Tensor2D[] = [];
  let offset = 0;
  [...shape.encoder, ...shape.decoder].forEach((layer, i) => {
    const kernel = weights.subarray(offset, offset + layer.inputs * layer.units);
    blocks.push(tf.tensor1d(kernel), tf.tensor1d(weights.subarray(offset + kernel.length, offset + kernel.length + layer.units)));
    if (transposed && i > 0) kernelsT.push(tf.tensor2d(transpose(kernel, layer.inputs, layer.units), [layer.units, layer.inputs]));
    offset += kernel.length + layer.units;
  });
  return transposed ? { blocks, kernelsT } : { blocks };
}

/** A row-major [rows x cols] matrix transposed, in JavaScript. */
export function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c]!;
  return out;
}

/**
 * y = act(x W + b) with a hand-written gradient, in the form that is cheapest on the
 * backend (measured, README "Backends"):
 *  - TensorFlow (tfjs-node) runs transposed matMuls natively, so the backward products use
 *    matMul's transpose flags; the ReLU mask is sign(y), one kernel (y >= 0 after the ReLU),
 *    where tfjs's own gradient uses step(), which tfjs-node composes of five kernels and
 *    two uploads.
 *  - wasm (and cpu) run a transposed matMul as a naive loop (~7x slower than an explicit
 *    transpose followed by XNNPACK), so the products are untransposed: the kernels'
 *    transposes come with the layers (made in JavaScript, blocksOf) and the network input's
 *    with the batch (`xT`); only the hidden activations are transposed here. The bias
 *    gradient, a column sum, is a product with a row of ones (wasm reduces axis 0 by
 *    transposing first).
 * The network input needs no gradient, which saves the first layer's input product.
 */
function dense(layer: DenseLayer, x: tf.Tensor2D, xT: tf.Tensor2D | undefined, first: boolean): tf.Tensor2D {
  const { relu } = layer.shape;
  const flags = tf.getBackend() === 'tensorflow';
  const forward = (a: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D) =>
    tf.fused.matMul({ a, b: kernel, bias, activation: relu ? 'relu' : 'linear' }) as tf.Tensor2D;
  // Tensors the gradient needs go through save(): the engine keeps them until the backward
  // pass, while the forward pass's other intermediates (the kernel's reshape among them)
  // may be freed by then. The batch and the transposed kernels are made outside the tape.
  const grads = (dy: tf.Tensor, a: tf.Tensor2D, aT: tf.Tensor2D | undefined, y: tf.Tensor2D | undefined) => {
    const dz = (y ? tf.mul(dy, flags ? tf.sign(y) : tf.step(y)) : dy) as tf.Tensor2D;
    const kernelGrad = flags ? tf.matMul(a, dz, true, false) : tf.matMul(aT ?? tf.transpose(a), dz);
    const biasGrad = flags ? tf.sum(dz, 0) : tf.reshape(tf.matMul(tf.ones([1, dz.shape[0]]) as tf.Tensor2D, dz), [-1]);
    return { dz, kernelGrad, biasGrad };
  };
  if (first) {
    // x is the batch, a constant: the op's inputs are the kernel and bias only.
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [kernel, bias, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
      const y = forward(x, kernel, bias);
      save(relu ? [y] : []);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const g = grads(dy, x, xT, saved[0] as tf.Tensor2D | undefined);
          return [g.kernelGrad, g.biasGrad];
        },
      };
    });
    return op(layer.kernel, layer.bias) as tf.Tensor2D;
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [a, kernel, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const y = forward(a, kernel, bias);
    save(relu ? [a, kernel, y] : [a, kernel]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [as, ks, ys] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D?];
        const g = grads(dy, as, undefined, ys);
        const inputGrad = flags ? tf.matMul(g.dz, ks, false, true) : tf.matMul(g.dz, layer.kernelT ?? tf.transpose(ks));
        return [inputGrad, g.kernelGrad, g.biasGrad];
      },
    };
  });
  return op(x, layer.kernel, layer.bias) as tf.Tensor2D;
}

function applyStack(x: tf.Tensor2D, layers: DenseLayer[], input: boolean, xT?: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  layers.forEach((layer, i) => {
    h = dense(layer, h, i === 0 ? xT : undefined, input && i === 0);
  });
  return h;
}

/** What the decoder sees of a latent point: the point itself, or for the DVAE its softmax. */
function decoderInput(architecture: NetworkArchitecture, z: tf.Tensor2D): tf.Tensor2D {
  return architecture === 'DVAE' ? tf.softmax(z) : z;
}

export interface LossTerms {
  /** Per-event data term, [rows]: the reconstruction MSE over the features; the DNN's cross-entropy. */
  mse: tf.Tensor1D;
  /** Per-event KL to the prior, [rows]; null for the AE. */
  kl: tf.Tensor1D | null;
}

/** A batch of events: x [rows, inputDim], optionally its transpose (saves a transpose on wasm), and the noise. */
export interface Batch {
  x: tf.Tensor2D;
  xT?: tf.Tensor2D;
  /** [rows, latentDim] standard normal, driving the reparameterised sample of the VAE/DVAE; null for the AE and the DNN. */
  noise: tf.Tensor2D | null;
  /** DNN only: [rows, outputs], the class (0/1 with one output, one-hot with several). */
  targets?: tf.Tensor2D;
}

/**
 * Per-event loss terms of a batch: z = mu + exp(logVar / 2) * noise for the variational
 * models, KL to the prior.
 */
export function lossTerms(shape: NetworkShape, layers: NetworkLayers, batch: Batch, prior: PriorTensors | null): LossTerms {
  const encoded = applyStack(batch.x, layers.encoder, true, batch.xT);
  if (shape.architecture === 'DNN') {
    if (!batch.targets) throw new Error('the DNN needs targets');
    return { mse: crossEntropy(encoded, batch.targets), kl: null };
  }
  let z = encoded;
  let kl: tf.Tensor1D | null = null;
  if (isVariational(shape.architecture)) {
    if (!batch.noise || !prior) throw new Error(`${shape.architecture} needs noise and a prior`);
    const [mu, logVar] = tf.split(encoded, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), batch.noise));
    kl = gaussianKl(mu, logVar, prior);
  }
  const reconstruction = applyStack(decoderInput(shape.architecture, z), layers.decoder, false);
  return { mse: tf.mean(tf.squaredDifference(reconstruction, batch.x), 1) as tf.Tensor1D, kl };
}

/**
 * Per-event cross-entropy of logits against targets, in the forms that stay finite for any
 * logit: one output (sigmoid, binary) max(z, 0) - z y + log(1 + exp(-|z|)); several
 * (softmax, multiclass) logsumexp(z) - sum_k y_k z_k.
 */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Tensor1D {
  if (logits.shape[1] === 1) {
    const z = tf.reshape(logits, [-1]);
    const y = tf.reshape(targets, [-1]);
    return tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))) as tf.Tensor1D;
  }
  return tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, targets), 1)) as tf.Tensor1D;
}

/**
 * The DNN's score per event: the log-odds of "signal" against background, so a cut on it is
 * a cut on the classifier's output that keeps its resolution where the sigmoid saturates
 * in float32. One output: the logit itself; several (class 0 the background): logsumexp of
 * the signal classes' logits minus the background's, i.e. log((1 - p_background) / p_background).
 */
export function classifierScore(layers: NetworkLayers, x: tf.Tensor2D): tf.Tensor1D {
  const logits = applyStack(x, layers.encoder, true);
  if (logits.shape[1] === 1) return tf.reshape(logits, [-1]) as tf.Tensor1D;
  const [background, signals] = tf.split(logits, [1, logits.shape[1] - 1], 1) as [tf.Tensor2D, tf.Tensor2D];
  return tf.sub(tf.logSumExp(signals, 1), tf.reshape(background, [-1])) as tf.Tensor1D;
}

/**
 * Scoring at the latent mean (no sampling): per-event MSE of decoding the mean (DVAE: its
 * softmax) and the latent output (the mean; for the DVAE its softmax, a point on the simplex).
 */
export function latentScore(shape: NetworkShape, layers: NetworkLayers, x: tf.Tensor2D): { mse: tf.Tensor1D; latent: tf.Tensor2D } {
  const encoded = applyStack(x, layers.encoder, true);
  const mean = isVariational(shape.architecture) ? (tf.slice(encoded, [0, 0], [-1, shape.latentDim]) as tf.Tensor2D) : encoded;
  const latent = decoderInput(shape.architecture, mean);
  const reconstruction = applyStack(latent, layers.decoder, false);
  return { mse: tf.mean(tf.squaredDifference(reconstruction, x), 1) as tf.Tensor1D, latent };
}
