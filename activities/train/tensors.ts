// Reading tensors back into JavaScript. Copies, because the cpu backend hands out its own
// storage and a checkpoint must not change when training goes on.
import type * as tf from '@tensorflow/tfjs';

export async function readFloat32(tensor: tf.Tensor): Promise<Float32Array> {
  return Float32Array.from((await tensor.data()) as Float32Array);
}
