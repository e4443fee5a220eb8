// Shared by the fused-* and tfjs-gradient tests: random problems (weights, events, noise,
// prior) and the reference gradient of the trainer's batch objective by tfjs autodiff.
import * as tf from '@tensorflow/tfjs';
import type { Architecture } from '../../core/models.js';
import type { EngineSpec } from '../../activities/train/engine.js';
import { loadFused, nativeStatus, type FusedBackend } from '../../activities/train/fused/index.js';
import { initialWeights, networkShape, type NetworkShape } from '../../activities/train/network.js';
import { disposePrior, gaussianKl, priorTensors, type PriorTensors } from '../../activities/train/kl.js';
import { dirichletAlpha, laplaceDirichlet, standardNormal, type GaussianPrior } from '../../activities/train/prior.js';
import { Rng } from '../../activities/lib/rng.js';

export const INPUT_DIM = 20;

export interface Problem {
  spec: EngineSpec;
  shape: NetworkShape;
  rows: number;
  params: Float32Array;
  x: Float32Array;
  w: Float32Array;
  noise: Float32Array | null;
}

export function priorFor(architecture: Architecture, latentDim: number): GaussianPrior | null {
  if (architecture === 'AE') return null;
  return architecture === 'DVAE' ? laplaceDirichlet(dirichletAlpha(latentDim, { others: 0.9, last: 0.1 })) : standardNormal(latentDim);
}

/**
 * Random weights (PyTorch's init, optionally scaled up so the latent spread and the KL
 * matter), standard normal events, weights in [0.2, 3), noise.
 */
export function problem(
  architecture: Architecture,
  latentDim: number,
  options: {
    hidden?: number[];
    rows?: number;
    maxRows?: number;
    seed?: number;
    klWeight?: number;
    clipNorm?: number;
    swa?: boolean;
    weightScale?: number;
  } = {},
): Problem {
  const hidden = options.hidden ?? [100, 100, 100];
  const rows = options.rows ?? 256;
  const rng = Rng.fromSeed(options.seed ?? 11);
  const shape = networkShape(architecture, INPUT_DIM, latentDim, hidden);
  const params = initialWeights(shape, rng);
  if (options.weightScale) for (let i = 0; i < params.length; i++) params[i]! *= options.weightScale;
  const x = rng.fillNormal(new Float32Array(rows * INPUT_DIM));
  const w = Float32Array.from({ length: rows }, () => rng.range(0.2, 3));
  const noise = architecture === 'AE' ? null : rng.fillNormal(new Float32Array(rows * latentDim));
  const spec: EngineSpec = {
    architecture,
    inputDim: INPUT_DIM,
    latentDim,
    hiddenLayers: hidden,
    maxRows: options.maxRows ?? Math.max(rows, 1),
    prior: priorFor(architecture, latentDim),
    klWeight: architecture === 'AE' ? 0 : (options.klWeight ?? 0.7),
    clipNorm: options.clipNorm ?? 0,
    swa: options.swa ?? true,
  };
  return { spec, shape, rows, params, x, w, noise };
}

/**
 * Per-event [mse, kl] of a batch written with plain tfjs ops (matMul, add, relu, split, exp,
 * softmax; kl.ts gaussianKl), so tf.grad takes tfjs's own gradient of every op. The product's
 * two hand-written gradients (the fused kernel, tfjs-network.ts dense) are tested against
 * it, never against each other.
 */
function plainLossTerms(shape: NetworkShape, theta: tf.Tensor1D, x: tf.Tensor2D, noise: tf.Tensor2D | null, prior: PriorTensors | null) {
  const parts = tf.split(theta, shape.blocks);
  let next = 0;
  const stack = (input: tf.Tensor2D, layers: NetworkShape['encoder']) =>
    layers.reduce((h, layer) => {
      const y = tf.add(tf.matMul(h, tf.reshape(parts[next++]!, [layer.inputs, layer.units])), parts[next++]!) as tf.Tensor2D;
      return layer.relu ? tf.relu(y) : y;
    }, input);
  const encoded = stack(x, shape.encoder);
  if (shape.architecture === 'AE') return { mse: tf.mean(tf.squaredDifference(stack(encoded, shape.decoder), x), 1), kl: null };
  const [mu, logVar] = tf.split(encoded, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
  const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), noise!)) as tf.Tensor2D;
  const reconstruction = stack(shape.architecture === 'DVAE' ? tf.softmax(z) : z, shape.decoder);
  return { mse: tf.mean(tf.squaredDifference(reconstruction, x), 1), kl: gaussianKl(mu, logVar, prior!) };
}

/** Objective value, gradient and [sum w*mse, sum w*kl, sum w] by tfjs autodiff of plainLossTerms. */
export function referenceGradient(p: Problem, params: Float32Array = p.params): { value: number; grad: Float32Array; sums: Float32Array } {
  const prior = p.spec.prior ? priorTensors(p.spec.prior) : null;
  try {
    return tf.tidy(() => {
      const x = tf.tensor2d(p.x, [p.rows, INPUT_DIM]);
      const w = tf.tensor1d(p.w);
      const noise = p.noise ? tf.tensor2d(p.noise, [p.rows, p.spec.latentDim]) : null;
      let sums: tf.Tensor | undefined;
      const f = (theta: tf.Tensor) => {
        const terms = plainLossTerms(p.shape, theta as tf.Tensor1D, x, noise, prior);
        const s = tf.stack([tf.sum(tf.mul(terms.mse, w)), terms.kl ? tf.sum(tf.mul(terms.kl, w)) : tf.scalar(0), tf.sum(w)]);
        sums = tf.keep(s);
        return tf.div(tf.sum(tf.mul(s, tf.tensor1d([1, p.spec.klWeight, 0]))), p.rows) as tf.Scalar;
      };
      const { value, grad } = tf.valueAndGrad(f)(tf.tensor1d(params));
      const out = { value: value.dataSync()[0]!, grad: Float32Array.from(grad.dataSync()), sums: Float32Array.from(sums!.dataSync()) };
      sums!.dispose();
      return out;
    });
  } finally {
    if (prior) disposePrior(prior);
  }
}

/** ||a - b|| / ||b|| in double. */
export function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(diff / norm);
}

/** Largest |a - b| / max(|b|, floor). */
export function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor));
  return worst;
}

/** Index of the first element whose bits differ (Object.is), -1 when identical. */
export function firstDifference(a: Float32Array | Float64Array, b: Float32Array | Float64Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** The kernels this host has: wasm always; native when built from the current sources. */
export const NATIVE = nativeStatus();
export const NATIVE_SKIP = NATIVE.available ? '' : ` (skipped: ${NATIVE.reason})`;

export async function kernels(): Promise<FusedBackend[]> {
  const wasm = await loadFused('wasm');
  return NATIVE.available ? [await loadFused('native'), wasm] : [wasm];
}
