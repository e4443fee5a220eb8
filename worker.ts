// Temporal workers for the sweep: one activity worker per task queue (`cpu`, `gpu`) plus a
// workflow worker on the `sweep` queue, all on one connection. `sweep run` starts the same
// workers in-process through `startWorkers`; `tsx worker.ts` runs them on their own.
//
//   tsx worker.ts --queues cpu,gpu --cpu-slots 4 --gpu-slots 1 [--backend wasm]
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect, parseArgs } from 'node:util';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type LogEntry, type NativeConnection } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/common';
import type { NodeKind, TaskQueue } from './definitions/dag.js';
import { REPO_ROOT, sourceTreeHash } from './activities/code-version.js';
import { nodeActivities } from './activities/node-activity.js';
import { loadRunners, type RunnerRegistry } from './activities/runners.js';
import { ArtifactStore, sweepHome } from './activities/store.js';
import { hasGpuBackend } from './activities/train/backend.js';
import { taskQueueName, WORKFLOW_TASK_QUEUE } from './workflows/api.js';
import { connectionSettings, connectWorker, describeTarget, checkoutQueuePrefix } from './client/connection.js';

const WORKFLOWS_PATH = join(REPO_ROOT, 'workflows', 'index.ts');
const TASK_QUEUES: readonly TaskQueue[] = ['cpu', 'gpu'];
// Staging directories of crashed writers are removed after this long; far beyond the longest
// node (thesis trainings took up to 40 hours), so a live writer's directory is never touched.
const STALE_STAGING_MS = 7 * 24 * 3600 * 1000;

export interface StartWorkersOptions {
  connection: NativeConnection;
  namespace?: string;
  /** Activity task queues to serve. */
  queues: TaskQueue[];
  cpuSlots?: number;
  gpuSlots?: number;
  /** Serve the `sweep` workflow queue too (default true). */
  workflows?: boolean;
  /** Runners per kind; default: the product runners that exist (see activities/runners.ts). */
  runners?: RunnerRegistry;
  /** Engine state directory (artifacts, work dirs, bundles); default SWEEP_HOME or ./.sweep. */
  home?: string;
  dataRoot?: string;
  /** Pre-built workflow bundle; default: the cached bundle of workflows/ (built when stale). */
  workflowBundlePath?: string;
  /** How long running activities may finish (and checkpoint) after a shutdown request. */
  shutdownGraceTime?: string | number;
  /** Prefix of every task queue name (see workflows/api.ts); default SWEEP_TASK_QUEUE_PREFIX or none. */
  taskQueuePrefix?: string;
  /** Lower than the SDK default only in tests that kill workers and want fast recovery. */
  stickyQueueScheduleToStartTimeout?: string | number;
}

export interface RunningWorkers {
  /** Resolves when every worker has shut down (signal or `shutdown()`). */
  done: Promise<void>;
  shutdown(): Promise<void>;
  /** Node kinds without a runner in this worker. */
  missing: NodeKind[];
}

let runtimeInstalled = false;

// Each of our workers serves workflows or activities, never both, by design; the SDK's
// warnings about the missing half would only alarm whoever reads the log.
const EXPECTED_NOTICES = /^No (activities|workflows|Nexus services) registered/;

/** Sets the SDK's log level once per process; must precede the first connection. */
export function installRuntime(level: LogLevel): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const write = ({ level: entryLevel, timestampNanos, message, meta }: LogEntry) => {
    if (EXPECTED_NOTICES.test(message)) return;
    const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
    process.stderr.write(`${time} [${entryLevel}] ${message}${meta ? ` ${inspect(meta, { breakLength: Infinity })}` : ''}\n`);
  };
  Runtime.install({ logger: new DefaultLogger(level, write) });
}

export async function startWorkers(options: StartWorkersOptions): Promise<RunningWorkers> {
  const home = options.home ?? sweepHome();
  const store = ArtifactStore.fromHome(home);
  await store.removeStaleStaging(STALE_STAGING_MS);
  const { runners, missing } = options.runners
    ? { runners: options.runners, missing: [] as NodeKind[] }
    : await loadRunners();
  const activities = nodeActivities(runners, { store, home, dataRoot: options.dataRoot ?? process.env.SWEEP_DATA_ROOT ?? process.cwd() });
  const common = {
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    shutdownGraceTime: options.shutdownGraceTime ?? '30s',
  };
  const slots: Record<TaskQueue, number> = {
    cpu: options.cpuSlots ?? availableParallelism(),
    gpu: options.gpuSlots ?? 1,
  };
  const prefix = options.taskQueuePrefix ?? checkoutQueuePrefix();
  const workers: Worker[] = [];
  if (options.workflows ?? true) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: taskQueueName(prefix, WORKFLOW_TASK_QUEUE),
        workflowBundle: { codePath: options.workflowBundlePath ?? (await cachedWorkflowBundle(home)) },
        ...(options.stickyQueueScheduleToStartTimeout !== undefined && {
          stickyQueueScheduleToStartTimeout: options.stickyQueueScheduleToStartTimeout,
        }),
      }),
    );
  }
  for (const queue of options.queues) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: taskQueueName(prefix, queue),
        activities,
        maxConcurrentActivityTaskExecutions: slots[queue],
      }),
    );
  }
  const done = Promise.all(workers.map((w) => w.run())).then(() => undefined);
  return {
    done,
    missing,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}

/**
 * Webpack-bundling the workflows takes seconds; the bundle only changes with the workflow
 * sources and the SDK, so it is cached under `<home>/bundles` keyed by both.
 */
export async function cachedWorkflowBundle(home: string = sweepHome()): Promise<string> {
  const { version } = createRequire(import.meta.url)('@temporalio/workflow/package.json') as { version: string };
  const key = createHash('sha256').update(await sourceTreeHash(WORKFLOWS_PATH)).update(version).digest('hex').slice(0, 16);
  const path = join(home, 'bundles', `workflows-${key}.js`);
  if (existsSync(path)) return path;
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  await mkdir(join(home, 'bundles'), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, code);
  await rename(temp, path);
  return path;
}

const USAGE = `Usage: sweep worker [options]   (or: tsx worker.ts [options])

Serves sweep workflows and node activities until SIGINT/SIGTERM.

Options:
  --queues LIST       activity task queues to serve: cpu, gpu or cpu,gpu (default cpu,gpu)
  --cpu-slots N       activities run at once on the cpu queue (default: number of cores)
  --gpu-slots N       trainings run at once on the gpu queue (default 1)
  --backend NAME      TensorFlow.js backend for training: tensorflow, wasm or cpu (default: best present)
  --no-workflows      serve activities only, leave workflow tasks to other workers
  --grace SECONDS     time running nodes get to finish or checkpoint on shutdown (default 30)

Environment: TEMPORAL_ADDRESS (default ${'localhost:7233'}, the embedded dev server), TEMPORAL_NAMESPACE,
TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY / TEMPORAL_TLS_CA, TEMPORAL_TLS=1, TEMPORAL_API_KEY,
SWEEP_HOME (artifact store and state, default ./.sweep), SWEEP_DATA_ROOT (default: current directory).`;

export class WorkerUsageError extends Error {}

/** `sweep worker` / `tsx worker.ts`: parse flags, start workers, run until a shutdown signal. */
export async function workerMain(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      queues: { type: 'string', default: 'cpu,gpu' },
      'cpu-slots': { type: 'string' },
      'gpu-slots': { type: 'string' },
      backend: { type: 'string' },
      'no-workflows': { type: 'boolean', default: false },
      grace: { type: 'string', default: '30' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const queues = values.queues.split(',').map((q) => q.trim()).filter(Boolean);
  for (const q of queues) {
    if (!(TASK_QUEUES as readonly string[]).includes(q)) throw new WorkerUsageError(`--queues: unknown task queue "${q}"; use cpu, gpu or cpu,gpu`);
  }
  // The training runner reads the backend choice from the environment of its worker.
  if (values.backend) process.env.SWEEP_BACKEND = values.backend;

  installRuntime((process.env.SWEEP_LOG_LEVEL as LogLevel | undefined) ?? 'INFO');
  const settings = connectionSettings();
  const connection = await connectWorker(settings);
  const workers = await startWorkers({
    connection,
    namespace: settings.namespace,
    queues: queues as TaskQueue[],
    cpuSlots: positiveInt(values['cpu-slots'], '--cpu-slots'),
    gpuSlots: positiveInt(values['gpu-slots'], '--gpu-slots'),
    workflows: !values['no-workflows'],
    shutdownGraceTime: (positiveInt(values.grace, '--grace') ?? 30) * 1000,
  });
  console.error(`worker: serving ${[...(values['no-workflows'] ? [] : [WORKFLOW_TASK_QUEUE]), ...queues].join(', ')} on ${describeTarget(settings)}`);
  if (queues.includes('gpu') && !(await hasGpuBackend())) console.error(NO_GPU_WARNING);
  if (workers.missing.length > 0) console.error(`worker: no runner yet for ${workers.missing.join(', ')}; such nodes fail with a clear message`);
  await workers.done;
  await connection.close();
}

const NO_GPU_WARNING = [
  '',
  '!!! worker: serving the gpu queue, but no GPU backend loads on this host !!!',
  '!!! @tensorflow/tfjs-node-gpu is missing or cannot find CUDA; trainings will run on the CPU. !!!',
  '!!! Fix: `npm run setup:native -- --gpu` on a CUDA host (docs/native-backend.md), or serve only --queues cpu. !!!',
  '',
].join('\n');

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new WorkerUsageError(`${flag} must be a whole number >= 1, got "${value}"`);
  return n;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  workerMain(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`worker: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
