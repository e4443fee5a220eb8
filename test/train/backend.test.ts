// The backend chooser: explicit choices, the worker flag over the definition, the names
// models.csv records, and the automatic order fused native > fused wasm > tfjs-node-gpu >
// tfjs-node > tfjs wasm > cpu.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../activities/train/backend.js';
import { nativeStatus } from '../../activities/train/fused/index.js';
import { hasGpuBackend } from '../../activities/lib/host.js';

async function importable(pkg: string): Promise<boolean> {
  try {
    await import(pkg);
    return true;
  } catch {
    return false;
  }
}

const NATIVE = nativeStatus().available;
const NATIVE_NAME = /^fused-native \((avx512|avx|sse|neon)\)$/;

describe('backend chooser', () => {
  it('uses the tfjs backend asked for', async () => {
    expect((await useBackend('cpu')).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await useBackend('wasm')).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('uses the fused kernel asked for, named after the instructions it runs on', async () => {
    expect((await useBackend('fused-wasm')).name).toBe('fused-wasm (simd128)');
    if (NATIVE) {
      expect((await useBackend('fused-native')).name).toMatch(NATIVE_NAME);
    } else {
      await expect(useBackend('fused-native')).rejects.toMatchObject({
        code: 'input',
        message: expect.stringMatching(
          /backend "fused-native", requested by training\.backend in the definition, is not available on this host .*node scripts\/build-fused\.js/,
        ),
      });
    }
    expect((await useBackend('fused')).name).toMatch(NATIVE ? NATIVE_NAME : /^fused-wasm/);
  });

  it("lets the worker's --backend override the definition, and names it when it cannot be used", async () => {
    expect((await useBackend('fused', 'cpu')).name).toBe('cpu');
    if (!(await importable('@tensorflow/tfjs-node'))) {
      await expect(useBackend('wasm', 'tensorflow')).rejects.toMatchObject({
        code: 'input',
        message: expect.stringMatching(
          /backend "tensorflow", requested by the worker's --backend flag, is not available on this host.*npm run setup:native/,
        ),
      });
    }
    if (!(await importable('@tensorflow/tfjs-node-gpu'))) {
      await expect(useBackend('auto', 'tensorflow-gpu')).rejects.toMatchObject({
        code: 'input',
        message: expect.stringMatching(/backend "tensorflow-gpu".*npm run setup:native -- --gpu/),
      });
    }
  });

  it('picks the fused kernel on auto: native where it is built, else its WebAssembly build', async () => {
    const auto = await useBackend('auto');
    expect(auto.name).toMatch(NATIVE ? NATIVE_NAME : /^fused-wasm \(simd128\)$/);
    expect(auto.description).toMatch(NATIVE ? /^native \(/ : /^wasm \(SIMD128/);
  });

  it('picks the best TensorFlow package present for tensorflow', async () => {
    const gpu = await importable('@tensorflow/tfjs-node-gpu');
    const native = gpu || (await importable('@tensorflow/tfjs-node'));
    if (native) {
      expect((await useBackend('tensorflow')).name).toBe(gpu ? 'tensorflow-gpu' : 'tensorflow');
      expect(tf.getBackend()).toBe('tensorflow');
    } else {
      await expect(useBackend('tensorflow')).rejects.toMatchObject({ code: 'input' });
    }
    expect(await hasGpuBackend()).toBe(gpu);
  });
});
