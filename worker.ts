// Starts Temporal workers for the chosen task queues and backends: the same as `sweep worker`.
//
//   tsx worker.ts --queues cpu,gpu --cpu-slots 4 --gpu-slots 1 [--backend wasm]
import { exitWith } from './client/exit.js';
import { workerMain } from './client/worker-command.js';

exitWith(workerMain(process.argv.slice(2)), 'worker');
