// A worker process for resume-temporal.test.ts: the real train runner, and preselect and
// fitScaler runners that hand out the fixture files in TRAIN_FIXTURES. Every line the
// train runner logs (and each attempt's start) goes to stdout for the test to read.
// Env: TRAIN_FIXTURES, plus what serveWorkerProcess reads.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeRunner } from '../../activities/engine/context.js';
import { runTrain } from '../../activities/train/index.js';
import { preselectSummary } from '../helpers/artifacts.js';
import { testRunners } from '../helpers/runners.js';
import { serveWorkerProcess } from '../helpers/test-workers.js';

const fixtures = process.env.TRAIN_FIXTURES!;
const preselect: NodeRunner<'preselect'> = async (ctx) => {
  const sample = ctx.node.params.sample.name;
  await copyFile(join(fixtures, sample, 'events.parquet'), join(ctx.outDir, 'events.parquet'));
  return preselectSummary(sample);
};
const fitScaler: NodeRunner<'fitScaler'> = async (ctx) => {
  await copyFile(join(fixtures, 'scaler', 'scaler.json'), join(ctx.outDir, 'scaler.json'));
  return {};
};
const train: NodeRunner<'train'> = (ctx) => {
  console.log(`attempt ${ctx.attempt} heartbeatDetails ${JSON.stringify(ctx.heartbeatDetails ?? null)}`);
  return runTrain({ ...ctx, log: (message) => console.log(message) });
};

await serveWorkerProcess({ runners: { ...testRunners, preselect, fitScaler, train } });
