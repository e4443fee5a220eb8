// Three epochs of the Trainer on the fused engine against the same Trainer on the tfjs
// engine, same seed and data (so the same initial weights, permutations, batches and noise):
// every architecture's per-epoch losses and final weights agree within float tolerance.
//
// Tolerances, from measurements of this loop on 900, 1500 and 4000 events. The plain-JS tfjs
// cpu backend rounds every float32 operation exactly, as the kernel does; only the
// summation orders differ (the kernel sums each product's inner index in order and its loss
// sums in float64), and the two agree to at most 2.6e-7 in the losses and 2.5e-7 in the
// weights: the bound is 1e-6. tfjs wasm (XNNPACK) sums its products in blocked orders with
// fused multiply-adds and drifts on its own: on 4000 events its losses moved up to 2.5e-4
// from the cpu backend's and the fused engine's alike (the VAE's weights 2e-3, along a flat
// direction of its loss), on the 900 events here 2.3e-6. So against wasm the bound is 1e-3:
// wide enough for wasm's own rounding, far below what a wrong gradient, a missed clipping
// or a different noise draw does (1e-2 and more after one epoch).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackendSetting } from '../../core/dag.js';
import type { Architecture } from '../../core/models.js';
import { useBackend } from '../../activities/train/backend.js';
import { Trainer, type HistoryRow } from '../../activities/train/trainer.js';
import { settings, trainingData } from './fixtures.js';
import { NATIVE, NATIVE_SKIP, relativeL2 } from './fused-helpers.js';

interface Run {
  backend: string;
  initial: Float32Array;
  history: HistoryRow[];
  params: Float32Array;
}

const data = trainingData(900, 4, 2);
const s = settings({
  epochs: 3,
  folds: 3,
  batchSize: 128,
  learningRate: 1e-3,
  plateau: { enabled: false, factor: 0.1, patience: 1, threshold: 0, minLr: 0 },
  earlyStopping: { enabled: false, patience: 1 },
});

const runs = new Map<string, Promise<Run>>();

/** Three epochs of one architecture on one backend; each once per file. */
function run(setting: BackendSetting, architecture: Architecture, latentDim: number): Promise<Run> {
  const key = `${setting}/${architecture}`;
  if (!runs.has(key)) runs.set(key, train(setting, architecture, latentDim));
  return runs.get(key)!;
}

async function train(setting: BackendSetting, architecture: Architecture, latentDim: number): Promise<Run> {
  const backend = await useBackend(setting);
  const dir = await mkdtemp(join(tmpdir(), 'fused-trainer-'));
  const checkpoint = join(dir, 'checkpoint.bin');
  const trainer = await Trainer.open(
    { model: `${architecture}-l${latentDim}`, architecture, latentDim, settings: s, backend },
    data,
    checkpoint,
  );
  try {
    const initial = await trainer.currentWeights();
    await trainer.run(checkpoint);
    return { backend: backend.name, initial, history: trainer.epochHistory(), params: await trainer.currentWeights() };
  } finally {
    trainer.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

const TERMS = ['trainLoss', 'trainMse', 'trainKl', 'valLoss', 'valMse', 'valKl'] as const;

/** Largest relative difference of the per-epoch loss terms (KL terms of the AE are 0 on both sides). */
function lossDifference(a: HistoryRow[], b: HistoryRow[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.flatMap((row, i) => TERMS.map((t) => (b[i]![t] === 0 ? Math.abs(row[t]) : Math.abs(row[t] / b[i]![t] - 1)))));
}

const CASES = [
  ['AE', 3],
  ['VAE', 2],
  ['DVAE', 4],
] as const;

function trainerTests(fused: 'fused-native' | 'fused-wasm'): void {
  for (const [architecture, latentDim] of CASES) {
    it(`${architecture} l${latentDim}: three epochs give tfjs's losses and weights (cpu backend 1e-6, wasm backend 1e-3)`, async () => {
      const got = await run(fused, architecture, latentDim);
      expect(got.backend).toMatch(fused === 'fused-native' ? /^fused-native \(/ : /^fused-wasm \(simd128\)$/);
      expect(got.history.map((row) => row.backend)).toEqual(Array(3).fill(got.backend));
      // The losses must move, or agreeing would prove nothing about the gradients.
      expect(got.history[2]!.trainLoss).toBeLessThan(got.history[0]!.trainLoss);
      expect(relativeL2(got.params, got.initial), 'how far the weights moved').toBeGreaterThan(1e-2);
      const cpu = await run('cpu', architecture, latentDim);
      expect(got.initial).toEqual(cpu.initial);
      expect(lossDifference(got.history, cpu.history), 'losses against the tfjs cpu backend').toBeLessThan(1e-6);
      expect(relativeL2(got.params, cpu.params), 'weights against the tfjs cpu backend').toBeLessThan(1e-6);
      const wasm = await run('wasm', architecture, latentDim);
      expect(lossDifference(got.history, wasm.history), 'losses against the tfjs wasm backend').toBeLessThan(1e-3);
      expect(relativeL2(got.params, wasm.params), 'weights against the tfjs wasm backend').toBeLessThan(1e-3);
    });
  }
}

describe('Trainer on the fused engine against the tfjs engine, wasm build', () => trainerTests('fused-wasm'));

describe.skipIf(!NATIVE.available)(`Trainer on the fused engine against the tfjs engine, native build${NATIVE_SKIP}`, () => {
  trainerTests('fused-native');

  it('native and wasm builds train to the same bits', async () => {
    for (const [architecture, latentDim] of CASES) {
      const [native, wasm] = [await run('fused-native', architecture, latentDim), await run('fused-wasm', architecture, latentDim)];
      expect(native.params).toEqual(wasm.params);
      const losses = (r: Run) => r.history.map(({ seconds: _s, backend: _b, ...rest }) => rest);
      expect(losses(native)).toEqual(losses(wasm));
    }
  });
});
