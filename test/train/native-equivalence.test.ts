// The native TensorFlow backend (@tensorflow/tfjs-node, built by `npm run setup:native`)
// against wasm: the same seed gives bit-identical initial weights, and three epochs of the
// training loop give the same losses up to float32 rounding. The backends sum in different
// orders (oneDNN vs XNNPACK kernels), so the losses agree to ~1e-5 relative here, not bit for
// bit; 1e-4 leaves room for that while any wrong kernel or gradient is off by far more.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../core/models.js';
import { useBackend } from '../../activities/train/backend.js';
import { Trainer, type HistoryRow } from '../../activities/train/trainer.js';
import { settings, trainingData } from './fixtures.js';

const RELATIVE_TOLERANCE = 1e-4;
const EPOCHS = 3;
const LOSS_TERMS = ['trainLoss', 'trainMse', 'trainKl', 'valLoss', 'valMse', 'valKl'] as const;

// On Ampere and newer GPUs cuBLAS/cuDNN would multiply in TF32 (10-bit mantissa) by default.
process.env.NVIDIA_TF32_OVERRIDE = '0';

/** Why the native backend cannot run here, or undefined when it can. */
async function nativeProblem(): Promise<string | undefined> {
  try {
    await useBackend('tensorflow');
    return undefined;
  } catch (err) {
    // The chooser's own message speaks to a user of the definition; here one line with the cause and the fix.
    const cause = /\((tensorflow-gpu: .*)\)\. Install/.exec((err as Error).message)?.[1] ?? (err as Error).message;
    return `no native TensorFlow backend loads here (${cause}); \`npm run setup:native\` builds it`;
  }
}

const problem = await nativeProblem();
if (problem) console.warn(`[native-equivalence] skipped: ${problem}`);

interface Run {
  backend: string;
  initial: Float32Array;
  history: HistoryRow[];
}

async function train(setting: 'tensorflow' | 'wasm', architecture: Architecture): Promise<Run> {
  const backend = await useBackend(setting);
  const config = {
    model: `${architecture}-equivalence`,
    architecture,
    latentDim: 4,
    settings: settings({ epochs: EPOCHS, backend: setting }),
    backend,
  };
  const dir = await mkdtemp(join(tmpdir(), 'native-equivalence-'));
  const checkpoint = join(dir, 'checkpoint');
  const trainer = await Trainer.open(config, trainingData(4000, 3, 11), checkpoint);
  try {
    const initial = await trainer.currentWeights();
    await trainer.run(checkpoint);
    return { backend: backend.name, initial, history: trainer.epochHistory() };
  } finally {
    trainer.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('native TensorFlow backend against wasm', () => {
  for (const architecture of ['AE', 'VAE', 'DVAE'] as Architecture[]) {
    it.skipIf(problem !== undefined)(`${architecture}: same initial weights, same losses for ${EPOCHS} epochs`, async () => {
      const native = await train('tensorflow', architecture);
      const wasm = await train('wasm', architecture);
      expect(native.backend).toMatch(/^tensorflow(-gpu)?$/);
      expect(wasm.backend).toBe('wasm');
      expect(native.initial).toEqual(wasm.initial);
      expect(native.history.map((row) => row.backend)).toEqual(Array(EPOCHS).fill(native.backend));
      expect(native.history).toHaveLength(EPOCHS);
      expect(wasm.history).toHaveLength(EPOCHS);
      for (let epoch = 0; epoch < EPOCHS; epoch++) {
        for (const term of LOSS_TERMS) {
          const [a, b] = [native.history[epoch]![term], wasm.history[epoch]![term]];
          expect(Number.isFinite(a), `${term} of epoch ${epoch + 1} on ${native.backend}`).toBe(true);
          expect(Math.abs(a - b), `${term} of epoch ${epoch + 1}: ${native.backend} ${a}, wasm ${b}`).toBeLessThanOrEqual(
            RELATIVE_TOLERANCE * Math.abs(b),
          );
        }
      }
      // The losses must move, or agreeing would prove nothing about the gradients.
      expect(native.history[EPOCHS - 1]!.trainLoss).toBeLessThan(native.history[0]!.trainLoss);
    });
  }
});
