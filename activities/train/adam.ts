// Adam over one flat parameter vector, with PyTorch's update rule (eps 1e-8 added after
// the bias-corrected square root). Not tf.train.adam: that one runs ~12 small kernels per
// variable per step (about 200 here, a third of a wasm step) and re-derives its bias
// corrections with pow() on setWeights, so a resumed run would drift from an uninterrupted
// one. On one flat vector the update is a dozen kernels and the state is three arrays and
// a step count, restored bit for bit.
import * as tf from '@tensorflow/tfjs';
import { readFloat32 } from './tensors.js';

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

export interface AdamState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

export class FlatAdam {
  private step: number;
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;

  constructor(size: number, state?: AdamState) {
    this.step = state?.step ?? 0;
    this.m = tf.variable(state ? tf.tensor1d(state.m) : tf.zeros([size]), false);
    this.v = tf.variable(state ? tf.tensor1d(state.v) : tf.zeros([size]), false);
  }

  /** params <- params - lr * mHat / (sqrt(vHat) + eps). */
  apply(params: tf.Variable, grad: tf.Tensor, lr: number): void {
    this.step += 1;
    const stepSize = lr / (1 - BETA1 ** this.step);
    const inverseRootCorrection = 1 / Math.sqrt(1 - BETA2 ** this.step);
    tf.tidy(() => {
      const m = tf.add(tf.mul(this.m, BETA1), tf.mul(grad, 1 - BETA1));
      const v = tf.add(tf.mul(this.v, BETA2), tf.mul(tf.square(grad), 1 - BETA2));
      const denominator = tf.add(tf.mul(tf.sqrt(v), inverseRootCorrection), EPSILON);
      params.assign(tf.sub(params, tf.mul(tf.div(m, denominator), stepSize)));
      this.m.assign(m);
      this.v.assign(v);
    });
  }

  async snapshot(): Promise<AdamState> {
    return { step: this.step, m: await readFloat32(this.m), v: await readFloat32(this.v) };
  }

  dispose(): void {
    tf.dispose([this.m, this.v]);
  }
}
