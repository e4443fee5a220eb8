// One training-throughput measurement for bench/train.ts, in a process of its own (a tfjs
// backend and TensorFlow's thread pool are fixed when a process loads them): the product's
// Trainer (activities/train/trainer.ts) with the thesis preset on --backend, an autoencoder
// of --arch with latentDim 8 and batch 256 on --rows synthetic events, for --epochs epochs
// (the first warms up). Prints one JSON line: the backend's name and, per epoch, the events
// that went through an optimiser step per second of wall time and per second of this
// process's CPU time (validation, batches and the epoch's checkpoint included).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BackendSetting } from '../core/dag.js';
import type { Architecture } from '../core/models.js';
import { PRESETS } from '../definitions/presets.js';
import { useBackend } from '../activities/train/backend.js';
import { Trainer } from '../activities/train/trainer.js';
import { trainingData } from '../test/train/fixtures.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    arch: { type: 'string', default: 'AE' },
    rows: { type: 'string', default: '16000' },
    epochs: { type: 'string', default: '3' },
  },
});
const rows = Number(values.rows);
const architecture = values.arch as Architecture;
const settings = { ...PRESETS.thesis, epochs: Number(values.epochs), seed: 1 };
const backend = await useBackend(values.backend as BackendSetting);
const dir = await mkdtemp(join(tmpdir(), 'bench-train-'));
const checkpoint = join(dir, 'checkpoint.bin');
const trainer = await Trainer.open(
  { model: `bench-${architecture}-l8`, architecture, latentDim: 8, settings, backend },
  trainingData(rows, 8, 3),
  checkpoint,
);
// Every event is in the training part of all folds but its own.
const trained = (settings.folds - 1) * rows;
const cpu: number[] = [];
let before = process.cpuUsage();
await trainer.run(checkpoint, {
  onEpoch: () => {
    const used = process.cpuUsage(before);
    cpu.push(trained / ((used.user + used.system) / 1e6));
    before = process.cpuUsage();
  },
});
const wall = trainer.epochHistory().map((row) => trained / row.seconds);
trainer.dispose();
await rm(dir, { recursive: true, force: true });
console.log(JSON.stringify({ backend: backend.name, description: backend.description, wall, cpu }));
