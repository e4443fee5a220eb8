// One training-throughput measurement for bench/native.ts, in its own process: the backend
// (SWEEP_BACKEND) and TensorFlow's thread pools are fixed when a process loads them.
// Trains the thesis loop (5 folds, Adam, clipping, SWA) on an AE with latentDim 8 and batch
// 256 and prints, per epoch, the events that went through an optimiser step per second of
// wall time and per second of this process's CPU time.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PRESETS } from '../definitions/presets.js';
import { useBackend } from '../activities/train/backend.js';
import { Trainer } from '../activities/train/trainer.js';
import { trainingData } from '../test/train/fixtures.js';

const rows = Number(process.env.BENCH_TRAIN_ROWS ?? 8000);
const epochs = Number(process.env.BENCH_TRAIN_EPOCHS ?? 2);

const backend = await useBackend('auto');
const settings = { ...PRESETS.thesis, epochs, seed: 1 };
const dir = await mkdtemp(join(tmpdir(), 'bench-native-'));
const checkpoint = join(dir, 'checkpoint');
const trainer = await Trainer.open(
  { model: 'bench-AE-l8', architecture: 'AE', latentDim: 8, settings, backend },
  trainingData(rows, 8, 3),
  checkpoint,
);
// CPU seconds per epoch as well: on shared cores wall time depends on the neighbours.
const cpuSeconds: number[] = [];
let cpuBefore = process.cpuUsage();
await trainer.run(checkpoint, {
  onEpoch: () => {
    const used = process.cpuUsage(cpuBefore);
    cpuSeconds.push((used.user + used.system) / 1e6);
    cpuBefore = process.cpuUsage();
  },
});
// Every event is in the training part of all folds but its own.
const trained = (settings.folds - 1) * rows;
const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
console.log(
  JSON.stringify({
    backend,
    libtensorflow: binding?.TF_Version,
    threads: process.env.TF_NUM_INTRAOP_THREADS,
    eventsPerSecond: trainer.epochHistory().map((row) => trained / row.seconds),
    eventsPerCpuSecond: cpuSeconds.map((seconds) => trained / seconds),
  }),
);
trainer.dispose();
await rm(dir, { recursive: true, force: true });
