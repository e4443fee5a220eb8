// A worker process for resume-temporal.test.ts: the real train runner, and preselect and
// fitScaler runners that hand out the fixture files in TRAIN_FIXTURES. Every line the
// train runner logs (and each attempt's start) goes to stdout for the test to read.
// Env: TRAIN_FIXTURES, plus what serveWorkerProcess reads.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PreselectParams } from '../../definitions/dag.js';
import type { NodeRunner } from '../../activities/context.js';
import { runTrain } from '../../activities/train/index.js';
import { serveWorkerProcess } from '../helpers/test-workers.js';

const fixtures = process.env.TRAIN_FIXTURES!;
const preselect: NodeRunner<'preselect'> = async (ctx) => {
  const sample = (ctx.node.params as PreselectParams).sample.name;
  await copyFile(join(fixtures, sample, 'events.parquet'), join(ctx.outDir, 'events.parquet'));
  return {};
};
const fitScaler: NodeRunner<'fitScaler'> = async (ctx) => {
  await copyFile(join(fixtures, 'scaler', 'scaler.json'), join(ctx.outDir, 'scaler.json'));
  return {};
};
const train: NodeRunner<'train'> = (ctx) => {
  console.log(`attempt ${ctx.attempt} heartbeatDetails ${JSON.stringify(ctx.heartbeatDetails ?? null)}`);
  return runTrain({ ...ctx, log: (message) => console.log(message) });
};

await serveWorkerProcess({ runners: { preselect, fitScaler, train } });
