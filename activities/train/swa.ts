// Stochastic weight averaging over an epoch (thesis Sec. 5.2, torchcontrib SWA): the weights
// after every optimiser step of the epoch are summed, and at the end of the epoch the model
// takes their mean.
import * as tf from '@tensorflow/tfjs';
import { readFloat32 } from './tensors.js';

export interface AverageState {
  sum: Float32Array;
  count: number;
}

export class WeightAverage {
  private readonly sum: tf.Variable;
  private count: number;

  constructor(size: number, state?: AverageState) {
    this.sum = tf.variable(state ? tf.tensor1d(state.sum) : tf.zeros([size]), false);
    this.count = state?.count ?? 0;
  }

  add(weights: tf.Tensor): void {
    tf.tidy(() => this.sum.assign(tf.add(this.sum, weights)));
    this.count += 1;
  }

  get steps(): number {
    return this.count;
  }

  /** Mean of the weights added since the last reset (a new tensor). */
  mean(): tf.Tensor {
    if (this.count === 0) throw new Error('WeightAverage.mean() before any add()');
    return tf.tidy(() => tf.div(this.sum, this.count));
  }

  reset(): void {
    tf.tidy(() => this.sum.assign(tf.zerosLike(this.sum)));
    this.count = 0;
  }

  async snapshot(): Promise<AverageState> {
    return { sum: await readFloat32(this.sum), count: this.count };
  }

  dispose(): void {
    this.sum.dispose();
  }
}
