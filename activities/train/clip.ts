// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_ (tfjs has none):
// scale every gradient by min(1, maxNorm / (norm + 1e-6)), norm over all of them together.
import * as tf from '@tensorflow/tfjs';

const NORM_EPSILON = 1e-6;

export function clipByGlobalNorm<T extends tf.Tensor>(grads: T[], maxNorm: number): { clipped: T[]; norm: tf.Scalar } {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, NORM_EPSILON)));
    return { clipped: grads.map((g) => tf.mul(g, scale) as T), norm };
  });
}
