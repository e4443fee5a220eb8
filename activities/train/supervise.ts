// Runs one training in a child process (child.ts) and turns its IPC reports into
// heartbeats and log lines; on abort it asks the child to checkpoint and stop.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { TSX_LOADER } from '../isolate.js';
import type { ChildMessage, ParentMessage, TrainJob, TrainResult } from './protocol.js';

const CHILD_ENTRY = fileURLToPath(new URL('./child.ts', import.meta.url));
/** How long a stopping child may take to write its last checkpoint before it is killed. */
const STOP_GRACE_MS = 60_000;
const STDERR_TAIL = 4000;

/** What runTrain reports to the engine while the child trains. */
export interface Supervisor {
  heartbeat(details: TrainHeartbeat): void;
  log(message: string): void;
  signal: AbortSignal;
}

/** Heartbeat details: enough for a retry to know where the training stands. */
export interface TrainHeartbeat {
  /** Epochs completed (and checkpointed). */
  epoch: number;
  bestLoss: number | null;
  checkpoint: string;
  /** Position inside the running epoch, when known. */
  progress?: { epoch: number; fold: number; step: number; stepsInFold: number };
}

export function trainInChild(job: TrainJob, supervisor: Supervisor): Promise<TrainResult> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD_ENTRY, [], {
      execArgv: ['--import', TSX_LOADER],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // TensorFlow's info lines would crowd the real error out of the stderr tail we keep.
      // One intra-op thread: tfjs issues many small kernels, so TensorFlow's thread pool costs
      // more than it gains, and one training per core is how a host's slots are sized.
      env: {
        ...process.env,
        TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2',
        TF_NUM_INTRAOP_THREADS: process.env.TF_NUM_INTRAOP_THREADS ?? '1',
      },
    });
    let stderr = '';
    let result: TrainResult | undefined;
    let failure: Error | undefined;
    let stopping = false;
    let killTimer: NodeJS.Timeout | undefined;
    const state: TrainHeartbeat = { epoch: 0, bestLoss: null, checkpoint: job.checkpointPath };

    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL);
    });
    const onAbort = () => {
      if (stopping) return;
      stopping = true;
      supervisor.log(`${job.model}: cancelled; checkpointing and stopping the training process`);
      if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
      killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    };
    supervisor.signal.addEventListener('abort', onAbort);

    child.on('message', (message: ChildMessage) => {
      switch (message.type) {
        case 'started':
          state.epoch = message.epochsDone;
          supervisor.log(
            `${job.model}: training ${message.events} events on ${message.backend}` +
              (message.epochsDone > 0 ? `, resuming after epoch ${message.epochsDone}` : ''),
          );
          supervisor.heartbeat({ ...state });
          break;
        case 'epoch': {
          const { row, best } = message;
          state.epoch = row.epoch;
          state.bestLoss = best.loss;
          delete state.progress;
          supervisor.heartbeat({ ...state });
          supervisor.log(
            `${job.model}: epoch ${row.epoch}/${job.settings.epochs} val loss ${row.valLoss.toPrecision(5)} ` +
              `(best ${best.loss.toPrecision(5)} at ${best.epoch}), lr ${row.lr.toExponential(2)}, ${row.seconds.toFixed(1)} s`,
          );
          break;
        }
        case 'progress':
          state.progress = message.progress;
          supervisor.heartbeat({ ...state });
          break;
        case 'log':
          supervisor.log(`${job.model}: ${message.message}`);
          break;
        case 'stopped':
          supervisor.log(
            `${job.model}: stopped in epoch ${message.epoch} before step ${message.step + 1} of fold ${message.fold + 1}; ` +
              `the checkpoint holds everything up to there`,
          );
          break;
        case 'done':
          result = message.result;
          break;
        case 'failed':
          failure = message.userError ? new UserError(message.message) : Object.assign(new Error(message.message), { stack: message.stack });
          break;
      }
    });

    child.on('exit', (code, signal) => {
      supervisor.signal.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      if (failure) reject(failure);
      else if (result && !stopping) resolve(result);
      else if (stopping) reject(supervisor.signal.reason ?? new Error(`training of ${job.model} was cancelled`));
      else {
        reject(
          new Error(
            `the training process of ${job.model} ended (${signal ?? `exit code ${code}`}) before finishing; ` +
              `a retry resumes from its last checkpoint${stderr ? `. Its last output:\n${stderr}` : ''}`,
          ),
        );
      }
    });
    child.on('error', (err) => supervisor.log(`${job.model}: training process error: ${err.message}`));
    child.send({ type: 'start', job } satisfies ParentMessage);
    if (supervisor.signal.aborted) onAbort();
  });
}
