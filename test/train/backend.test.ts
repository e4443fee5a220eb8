// The backend chooser: explicit choices, the worker flag over the definition, and the
// automatic order tfjs-node-gpu > tfjs-node > wasm > cpu.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../activities/train/backend.js';
import { hasGpuBackend } from '../../activities/lib/host.js';

async function importable(pkg: string): Promise<boolean> {
  try {
    await import(pkg);
    return true;
  } catch {
    return false;
  }
}

describe('backend chooser', () => {
  it('uses the backend asked for', async () => {
    expect(await useBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await useBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it("lets the worker's --backend override the definition, and names it when it cannot be used", async () => {
    expect(await useBackend('wasm', 'cpu')).toBe('cpu');
    const native = await importable('@tensorflow/tfjs-node');
    if (!native) {
      await expect(useBackend('wasm', 'tensorflow')).rejects.toMatchObject({
        code: 'input',
        message: expect.stringMatching(/backend "tensorflow", requested by the worker's --backend flag, is not available on this host/),
      });
    }
  });

  it('picks the best backend present on auto', async () => {
    const gpu = await importable('@tensorflow/tfjs-node-gpu');
    const native = gpu || (await importable('@tensorflow/tfjs-node'));
    const expected = gpu ? 'tensorflow-gpu' : native ? 'tensorflow' : 'wasm';
    expect(await useBackend('auto')).toBe(expected);
    expect(tf.getBackend()).toBe(native ? 'tensorflow' : 'wasm');
    expect(await hasGpuBackend()).toBe(gpu);
  });
});
