// A worker process with the test runners, for tests that SIGKILL it mid-sweep.
// Env: TEMPORAL_ADDRESS, SWEEP_HOME, SWEEP_WORKFLOW_BUNDLE. Prints `ready` once polling.
import { NativeConnection } from '@temporalio/worker';
import { installRuntime, startWorkers } from '../../worker.js';
import { testRunners } from './runners.js';

installRuntime('ERROR');
const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
const workers = await startWorkers({
  connection,
  queues: ['cpu', 'gpu'],
  cpuSlots: 4,
  gpuSlots: 2,
  runners: testRunners,
  home: process.env.SWEEP_HOME!,
  workflowBundlePath: process.env.SWEEP_WORKFLOW_BUNDLE!,
  // The killed worker's sticky workflow queue is abandoned after this long.
  stickyQueueScheduleToStartTimeout: '1s',
});
console.log('ready');
await workers.done;
await connection.close();
