// Per-event KL divergence of the encoder's diagonal Gaussian N(mu, exp(logVar)) to a
// diagonal Gaussian prior, summed over latent dimensions:
//   KL = 1/2 sum_k [ (exp(logVar_k) + (mu_k - m_k)^2) / v_k - 1 + log v_k - logVar_k ]
// With m = 0, v = 1 this is the VAE term of thesis Eq. 5.5; with the Laplace prior it is the
// DVAE term (Eq. 5.12 with its typos fixed).
import * as tf from '@tensorflow/tfjs';
import type { GaussianPrior } from './prior.js';

/** Prior constants as tensors, made once per training and kept. */
export interface PriorTensors {
  mean: tf.Tensor1D;
  inverseVariance: tf.Tensor1D;
  /** sum_k (log v_k - 1), the part of the KL that depends on the prior only. */
  constant: tf.Scalar;
}

export function priorTensors(prior: GaussianPrior): PriorTensors {
  const constant = prior.variance.reduce((s, v) => s + Math.log(v) - 1, 0);
  return tf.tidy(() => ({
    mean: tf.keep(tf.tensor1d(prior.mean)),
    inverseVariance: tf.keep(tf.tensor1d(prior.variance.map((v) => 1 / v))),
    constant: tf.keep(tf.scalar(constant)),
  }));
}

export function disposePrior(prior: PriorTensors): void {
  tf.dispose([prior.mean, prior.inverseVariance, prior.constant]);
}

/** KL per row of mu/logVar ([rows, K]) -> [rows]. */
export function gaussianKl(mu: tf.Tensor2D, logVar: tf.Tensor2D, prior: PriorTensors): tf.Tensor1D {
  return tf.tidy(() => {
    const spread = tf.add(tf.exp(logVar), tf.squaredDifference(mu, prior.mean));
    const perDim = tf.sub(tf.mul(spread, prior.inverseVariance), logVar);
    return tf.mul(tf.add(tf.sum(perDim, 1), prior.constant), 0.5) as tf.Tensor1D;
  });
}
