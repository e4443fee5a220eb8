// A worker process for the tests that kill or cut off workers (faults.test.ts, hosts.test.ts):
// the real train runner, preselect and fitScaler runners that hand out the fixture files in
// TRAIN_FIXTURES, and the test runners for the other kinds. It prints `ran <node id>` for
// every node it runs, and every line the train runner logs (and each attempt's start).
// Env: TRAIN_FIXTURES, WORKER_QUEUES (default cpu,gpu), plus what serveWorkerProcess reads.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskQueue } from '../../core/dag.js';
import type { NodeRunner, RunnerRegistry } from '../../activities/engine/context.js';
import { runTrain } from '../../activities/train/index.js';
import { preselectSummary } from '../helpers/artifacts.js';
import { testRunner } from '../helpers/runners.js';
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

/** Says which node this worker runs, then runs it. */
const logged = <K extends keyof RunnerRegistry>(runner: RunnerRegistry[K]): RunnerRegistry[K] =>
  (async (ctx: Parameters<RunnerRegistry[K]>[0]) => {
    console.log(`ran ${ctx.node.id}`);
    return (runner as (c: typeof ctx) => Promise<Record<string, unknown>>)(ctx);
  }) as RunnerRegistry[K];

const runners: RunnerRegistry = {
  generate: logged<'generate'>(testRunner),
  preselect: logged<'preselect'>(preselect),
  fitScaler: logged<'fitScaler'>(fitScaler),
  train: logged<'train'>(train),
  score: logged<'score'>(testRunner),
  ensemble: logged<'ensemble'>(testRunner),
  scan: logged<'scan'>(testRunner),
  report: logged<'report'>(testRunner),
};
const queues = (process.env.WORKER_QUEUES ?? 'cpu,gpu').split(',') as TaskQueue[];

await serveWorkerProcess({ runners, queues });
