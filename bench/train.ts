// Training throughput of activities/train beyond what bench/native.ts measures per backend:
//  - the hand-written loop (flat Adam, transpose-free dense gradients, JS-side batches)
//    against the same thesis loop written the plain tfjs way (per-variable tf.train.adam,
//    tfjs's own matMul gradients, gather per batch), same backend, same process;
//  - AE, VAE and DVAE (latentDim 8) on the backend `auto` picks, and on wasm;
//  - what a whole `train` node costs on top of its epochs (child process, data, model files).
// Events per second = events through an optimiser step per second of epoch wall time.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../activities/train/backend.js';
import { clipByGlobalNorm } from '../activities/train/clip.js';
import { foldSplit } from '../activities/train/folds.js';
import { runTrain } from '../activities/train/index.js';
import { Rng } from '../activities/lib/rng.js';
import { Trainer, type TrainingData } from '../activities/train/trainer.js';
import type { TrainingSettings } from '../core/dag.js';
import type { Architecture } from '../core/models.js';
import { PRESETS } from '../definitions/presets.js';
import { trainContext, trainingData, writeInputs } from '../test/train/fixtures.js';
import type { Row } from './row.js';

const SETTINGS: TrainingSettings = { ...PRESETS.thesis, epochs: 2, seed: 1 };
const FOLDS = SETTINGS.folds;

/** Events/s of the last epoch of the real trainer (the first one warms up). */
async function trainerRate(architecture: Architecture, data: TrainingData, backend: string): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-train-'));
  const checkpoint = join(dir, 'checkpoint.bin');
  const trainer = await Trainer.open(
    { model: `${architecture}-l8`, architecture, latentDim: 8, settings: SETTINGS, backend },
    data,
    checkpoint,
  );
  await trainer.run(checkpoint);
  const seconds = trainer.epochHistory().at(-1)!.seconds;
  trainer.dispose();
  await rm(dir, { recursive: true, force: true });
  return ((FOLDS - 1) * data.rows) / seconds;
}

/** The same AE epoch written the straightforward tfjs way; events/s of the second epoch. */
function naiveRate(data: TrainingData): number {
  const widths = [20, 100, 100, 100, 8, 100, 100, 100, 20];
  const variables = widths
    .slice(1)
    .flatMap((units, i) => [tf.variable(tf.randomUniform([widths[i]!, units], -0.1, 0.1)), tf.variable(tf.zeros([units]))]);
  const x = tf.tensor2d(data.x, [data.rows, 20]);
  const w = tf.tensor1d(data.weights);
  const adam = tf.train.adam(SETTINGS.learningRate);
  const average = variables.map((v) => tf.variable(tf.zerosLike(v), false));
  const rng = Rng.fromSeed(1);
  const forward = (batch: tf.Tensor2D) =>
    widths.slice(1).reduce<tf.Tensor2D>((h, _, i) => {
      const z = tf.add(tf.matMul(h, variables[2 * i] as tf.Tensor2D), variables[2 * i + 1]!) as tf.Tensor2D;
      return i < widths.length - 2 ? tf.relu(z) : z;
    }, batch);
  let seconds = 0;
  for (let epoch = 0; epoch < 2; epoch++) {
    const started = performance.now();
    const order = rng.permutation(data.rows);
    for (let fold = 0; fold < FOLDS; fold++) {
      const { train, validation } = foldSplit(order, FOLDS, fold);
      for (let start = 0; start < train.length; start += SETTINGS.batchSize) {
        tf.tidy(() => {
          const index = tf.tensor1d(train.subarray(start, start + SETTINGS.batchSize), 'int32');
          const xb = tf.gather(x, index) as tf.Tensor2D;
          const wb = tf.gather(w, index);
          const { grads } = tf.variableGrads(
            () => tf.div(tf.sum(tf.mul(tf.mean(tf.squaredDifference(forward(xb), xb), 1), wb)), index.size) as tf.Scalar,
            variables,
          );
          const { clipped } = clipByGlobalNorm(
            variables.map((v) => grads[v.name]!),
            SETTINGS.clipNorm,
          );
          adam.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: clipped[i]! })));
          variables.forEach((v, i) => average[i]!.assign(tf.add(average[i]!, v)));
        });
      }
      tf.tidy(() => {
        const xv = tf.gather(x, tf.tensor1d(validation, 'int32')) as tf.Tensor2D;
        tf.mean(tf.squaredDifference(forward(xv), xv)).dataSync();
      });
    }
    seconds = (performance.now() - started) / 1000;
  }
  tf.dispose([x, w, ...variables, ...average]);
  adam.dispose();
  return ((FOLDS - 1) * data.rows) / seconds;
}

export async function bench(): Promise<Row[]> {
  const rows: Row[] = [];
  const data = trainingData(8000, 8, 3);

  await useBackend('wasm');
  const naive = naiveRate(data);
  const ours = await trainerRate('AE', data, 'wasm');
  rows.push({
    name: 'train: plain tfjs loop, AE l8 b256, wasm',
    value: naive,
    unit: 'events/s',
    note: 'baseline: tf.train.adam, tfjs matMul gradients, gather',
  });
  rows.push({ name: 'train: activities/train loop, AE l8 b256, wasm', value: ours, unit: 'events/s' });
  rows.push({ name: 'train: activities/train / plain tfjs loop (wasm)', value: ours / naive, unit: 'x' });

  const auto = await useBackend('auto');
  for (const backend of new Set([auto, 'wasm'] as const)) {
    await useBackend(backend === 'wasm' ? 'wasm' : 'auto');
    for (const architecture of ['AE', 'VAE', 'DVAE'] as const) {
      const note = `8000 events, 5 folds${backend === auto ? ', the backend auto picks' : ''}`;
      rows.push({
        name: `train: ${architecture} l8 b256 on ${backend}`,
        value: await trainerRate(architecture, data, backend),
        unit: 'events/s',
        note,
      });
    }
  }

  // A whole node: child process start, Parquet inputs, 2 short epochs, model files.
  const inputs = await writeInputs(2000, 3);
  const ctx = await trainContext(inputs, { training: { epochs: 2, folds: 5, backend: 'auto' } });
  const started = performance.now();
  const summary = await runTrain(ctx);
  const wall = (performance.now() - started) / 1000;
  rows.push({
    name: 'train: runTrain overhead beyond its epochs',
    value: wall - (summary.seconds as number),
    unit: 's',
    note: `child start, data, model files (${summary.backend})`,
  });
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await bench()) console.log(`${row.name}: ${row.value.toPrecision(4)} ${row.unit}${row.note ? ` (${row.note})` : ''}`);
}
