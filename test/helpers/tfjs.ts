// Tests that compute with tfjs ops themselves (reference gradients, the KL and Adam checks)
// run them on the TensorFlow.js backend the product would use, not tfjs's cpu default (which
// also prints the "install the node backend" banner).
import { useBackend, type Backend } from '../../activities/train/backend.js';

export async function useTfjsBackend(): Promise<Backend> {
  try {
    return await useBackend('tensorflow');
  } catch {
    return useBackend('wasm');
  }
}
