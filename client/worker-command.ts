// `sweep worker` (and `tsx worker.ts`): parse the flags, connect, serve the chosen task
// queues (by default what the host can do) until SIGINT/SIGTERM.
import { join, resolve } from 'node:path';
import type { LogLevel } from '@temporalio/common';
import { BACKEND_SETTINGS, type TaskQueue } from '../core/dag.js';
import { UsageError, UserError } from '../core/errors.js';
import { REPO_ROOT } from '../activities/engine/code-version.js';
import { sweepHome } from '../activities/engine/store.js';
import { hasGpuBackend } from '../activities/lib/host.js';
import { codeVersions } from '../activities/registry.js';
import { WORKFLOW_TASK_QUEUE } from '../workflows/api.js';
import { connectionSettings, connectWorker, describeTarget } from './connection.js';
import { envDataRoots, parseCommandLine, positiveInt, WORKER_FLAGS, workerFlags } from './flags.js';
import { serverWaitMs } from './outage.js';
import { projectName } from './project.js';
import { slurmScript } from './slurm.js';
import { installRuntime, startWorkers, watchServer } from './workers.js';

const TASK_QUEUES: readonly TaskQueue[] = ['cpu', 'gpu'];

const USAGE = `Usage: sweep worker [options]   (or: tsx worker.ts [options])

Serves sweep workflows and node activities until SIGINT/SIGTERM.

Options:
  --queues LIST       activity task queues to serve: cpu, gpu or cpu,gpu (default: cpu, and gpu
                      where a GPU backend loads)
  --cpu-slots N       activities run at once on the cpu queue (default: number of cores)
  --gpu-slots N       trainings run at once on the gpu queue (default 1)
  --backend NAME      training and scoring backend for every node on this host: ${BACKEND_SETTINGS.join(', ')}
  --no-workflows      serve activities only, leave workflow tasks to other workers
  --grace SECONDS     time running nodes get to finish or checkpoint on shutdown (default 30)
  --data-roots DIRS   more directories (colon-separated) nodes may read user files from, besides
                      SWEEP_DATA_ROOT and SWEEP_DATA_ROOTS; paths are compared after following symlinks
  --print-slurm       print a SLURM batch script that runs this worker (with the options above) on a
                      compute node, instead of running it; needs TEMPORAL_ADDRESS. With it:
    --gpus N          GPUs per job (--gres=gpu:N); the worker then serves cpu,gpu unless --queues says
    --partition NAME  --account NAME  --time D-HH:MM:SS  --mem SIZE   the job's sbatch options
                      (--cpu-slots N also asks for N CPUs; --grace sets when SLURM signals the end)

Environment: TEMPORAL_ADDRESS (default localhost:7233, the embedded dev server), TEMPORAL_NAMESPACE,
TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY / TEMPORAL_TLS_CA, TEMPORAL_TLS=1, TEMPORAL_API_KEY,
SWEEP_HOME (artifact store and state, default ./.sweep), SWEEP_DATA_ROOT (what relative data paths
resolve against, default: current directory), SWEEP_DATA_ROOTS, SWEEP_SERVER_WAIT (seconds to wait for
an unreachable server before stopping, default 300).`;

const NO_GPU_WARNING = [
  '',
  '!!! worker: serving the gpu queue, but no GPU backend loads on this host !!!',
  '!!! @tensorflow/tfjs-node-gpu is missing or cannot find CUDA; trainings will run on the CPU. !!!',
  '!!! Fix: `npm run setup:native -- --gpu` on a CUDA host (docs/native-backend.md), or serve only --queues cpu. !!!',
  '',
].join('\n');

export async function workerMain(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(
    argv,
    {
      ...WORKER_FLAGS,
      queues: { type: 'string' },
      'no-workflows': { type: 'boolean', default: false },
      grace: { type: 'string', default: '30' },
      'data-roots': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      ...SLURM_FLAGS,
    },
    'worker [options]',
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (usage: sweep worker [options])`);
  const flags = workerFlags(values);
  const grace = positiveInt(values.grace, '--grace') ?? 30;
  if (values['print-slurm']) {
    process.stdout.write(slurmJob(values, grace));
    return 0;
  }
  const slurmOnly = Object.keys(SLURM_FLAGS).find((name) => name !== 'print-slurm' && values[name as keyof typeof values] !== undefined);
  if (slurmOnly) throw new UsageError(`--${slurmOnly} is an option of the batch script: add --print-slurm`);
  const dataRoot = process.env.SWEEP_DATA_ROOT ?? process.cwd();
  const gpu = await hasGpuBackend();
  let queues: TaskQueue[];
  if (values.queues === undefined) {
    // Trainings go where they run fastest: a host without a GPU leaves them to one with it.
    queues = gpu ? ['cpu', 'gpu'] : ['cpu'];
    console.error(
      gpu
        ? 'worker: a GPU backend loads here, so this worker takes the cpu and gpu (training) queues'
        : 'worker: no GPU backend loads here, so this worker takes the cpu queue only; trainings wait for a worker on the gpu queue (`--queues cpu,gpu` trains here, on the CPU)',
    );
  } else {
    queues = parseQueues(values.queues);
  }

  installRuntime((process.env.SWEEP_LOG_LEVEL as LogLevel | undefined) ?? 'INFO');
  const settings = connectionSettings();
  const connection = await connectWorker(settings);
  const workers = await startWorkers({
    connection,
    namespace: settings.namespace,
    queues,
    ...flags,
    ...(values['data-roots'] && { allowedRoots: [dataRoot, ...envDataRoots(), ...values['data-roots'].split(':').filter(Boolean)] }),
    dataRoot,
    workflows: !values['no-workflows'],
    shutdownGraceTime: grace * 1000,
  });
  console.error(
    `worker: serving ${[...(values['no-workflows'] ? [] : [WORKFLOW_TASK_QUEUE]), ...queues].join(', ')} on ${describeTarget(settings)}`,
  );
  const versions = Object.entries(await codeVersions()).map(([kind, version]) => `${kind} ${version.slice(0, 12)}`);
  console.error(`worker: code versions ${versions.join(', ')} (nodes planned with other code are left to other workers)`);
  // Asked for explicitly, the gpu queue on a host without a GPU is likely a mistake: say so loudly.
  if (queues.includes('gpu') && !gpu) console.error(NO_GPU_WARNING);
  // The SDK stops the workers on these signals; this is the one line that says so.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => console.error(`worker: ${signal}: stopping; running nodes get up to ${grace} s to finish or checkpoint`));
  }
  const stopWatching = watchServer(connection, {
    target: describeTarget(settings),
    waitMs: serverWaitMs(),
    notice: (line) => console.error(line),
    giveUp: () => void workers.shutdown(),
  });
  await workers.done;
  stopWatching();
  await connection.close();
  return 0;
}

/** Options of `--print-slurm`'s script; the worker's own options go into its command line. */
const SLURM_FLAGS = {
  'print-slurm': { type: 'boolean' },
  gpus: { type: 'string' },
  partition: { type: 'string' },
  account: { type: 'string' },
  time: { type: 'string' },
  mem: { type: 'string' },
} as const;

/**
 * The batch script for this worker: the same server, store, project and data root as this
 * shell, and the worker options given here. A job granted GPUs trains (queues cpu,gpu).
 */
function slurmJob(values: Record<string, string | boolean | undefined>, grace: number): string {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    throw new UserError(
      '--print-slurm needs TEMPORAL_ADDRESS: a batch job must reach a Temporal server from the compute nodes, ' +
        'and the embedded dev server listens on this host only (README: "Remote clusters and more hosts")',
    );
  }
  const gpus = positiveInt(values.gpus, '--gpus');
  const home = sweepHome();
  const env: Record<string, string> = { TEMPORAL_ADDRESS: address };
  if (process.env.TEMPORAL_NAMESPACE) env.TEMPORAL_NAMESPACE = process.env.TEMPORAL_NAMESPACE;
  env.SWEEP_HOME = home;
  env.SWEEP_PROJECT = projectName(home);
  env.SWEEP_DATA_ROOT = resolve(process.env.SWEEP_DATA_ROOT ?? process.cwd());
  if (process.env.SWEEP_DATA_ROOTS) env.SWEEP_DATA_ROOTS = process.env.SWEEP_DATA_ROOTS;
  const args = ['worker'];
  const queues = typeof values.queues === 'string' ? parseQueues(values.queues).join(',') : gpus ? 'cpu,gpu' : undefined;
  if (queues) args.push('--queues', queues);
  for (const flag of ['cpu-slots', 'gpu-slots', 'backend'] as const) {
    const value = values[flag];
    if (typeof value === 'string') args.push(`--${flag}`, value);
  }
  // The job starts in the checkout: paths relative to this shell must not change meaning.
  const roots = values['data-roots'];
  if (typeof roots === 'string')
    args.push(
      '--data-roots',
      roots
        .split(':')
        .filter(Boolean)
        .map((root) => resolve(root))
        .join(':'),
    );
  if (values['no-workflows']) args.push('--no-workflows');
  args.push('--grace', String(grace));
  const str = (name: string) => (typeof values[name] === 'string' ? values[name] : undefined);
  return slurmScript(
    {
      partition: str('partition'),
      account: str('account'),
      time: str('time'),
      mem: str('mem'),
      gpus,
      cpus: workerFlags(values).cpuSlots,
      grace,
    },
    { env, cwd: REPO_ROOT, command: [process.execPath, join(REPO_ROOT, 'client', 'bin.js'), ...args] },
  );
}

function parseQueues(list: string): TaskQueue[] {
  const queues = list
    .split(',')
    .map((q) => q.trim())
    .filter(Boolean);
  for (const q of queues) {
    if (!(TASK_QUEUES as readonly string[]).includes(q))
      throw new UsageError(`--queues: unknown task queue "${q}"; use cpu, gpu or cpu,gpu`);
  }
  if (queues.length === 0) throw new UsageError('--queues needs a task queue: cpu, gpu or cpu,gpu');
  return queues as TaskQueue[];
}
