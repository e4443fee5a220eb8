// Workers on the dev server of the global setup, started the same way in the test process
// (engine.ts) and in the worker processes that tests SIGKILL (worker-process.ts). No vitest
// imports here: worker processes run this module outside vitest.
import { NativeConnection } from '@temporalio/worker';
import { installRuntime, startWorkers, type RunningWorkers, type StartWorkersOptions } from '../../client/workers.js';
import { testRunners } from './runners.js';

export interface TestWorkers {
  connection: NativeConnection;
  workers: RunningWorkers;
}

/** Workers serving both activity queues with the test runners; `options` override any of that. */
export async function startTestWorkers(address: string, options: Partial<StartWorkersOptions> = {}): Promise<TestWorkers> {
  installRuntime('ERROR');
  const connection = await NativeConnection.connect({ address });
  const workers = await startWorkers({ connection, queues: ['cpu', 'gpu'], runners: testRunners, ...options });
  return { connection, workers };
}

/**
 * The body of a worker process started by spawnWorkerProcess (worker-process.ts): reads the
 * server, home and workflow bundle from its environment, prints `ready` once polling, returns
 * when its workers have shut down.
 */
export async function serveWorkerProcess(options: Partial<StartWorkersOptions> = {}): Promise<void> {
  const { connection, workers } = await startTestWorkers(process.env.TEMPORAL_ADDRESS!, {
    home: process.env.SWEEP_HOME!,
    workflowBundlePath: process.env.SWEEP_WORKFLOW_BUNDLE!,
    // The killed worker's sticky workflow queue is abandoned after this long.
    stickyQueueScheduleToStartTimeout: '1s',
    ...options,
  });
  console.log('ready');
  await workers.done;
  await connection.close();
}
