// The backend chooser: explicit choices, the worker flag over the definition, and the
// automatic order tfjs-node-gpu > tfjs-node > wasm > cpu.
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { hasGpuBackend, useBackend } from '../../activities/train/backend.js';

async function importable(pkg: string): Promise<boolean> {
  try {
    await import(pkg);
    return true;
  } catch {
    return false;
  }
}

afterEach(() => {
  delete process.env.SWEEP_BACKEND;
});

describe('backend chooser', () => {
  it('uses the backend asked for', async () => {
    expect(await useBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await useBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it("lets the worker's --backend (SWEEP_BACKEND) override the definition", async () => {
    process.env.SWEEP_BACKEND = 'cpu';
    expect(await useBackend('wasm')).toBe('cpu');
    process.env.SWEEP_BACKEND = 'fast';
    await expect(useBackend('wasm')).rejects.toMatchObject({ name: 'UserError', message: expect.stringMatching(/SWEEP_BACKEND .* is "fast"; use one of auto, tensorflow, wasm, cpu/) });
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
