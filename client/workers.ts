// Temporal workers for the sweep: one activity worker per task queue (`cpu`, `gpu`) plus a
// workflow worker on the `sweep` queue, all on one connection. `sweep run` starts them
// in-process; `sweep worker` (client/worker-command.ts, or worker.ts) runs them on their own.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type LogEntry, type NativeConnection } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/common';
import type { BackendSetting, TaskQueue } from '../core/dag.js';
import { REPO_ROOT, sourceTreeHash } from '../activities/engine/code-version.js';
import type { RunnerRegistry } from '../activities/engine/context.js';
import { nodeActivities } from '../activities/engine/node-activity.js';
import { ArtifactStore, sweepHome } from '../activities/engine/store.js';
import { productRunners } from '../activities/registry.js';
import { taskQueueName, WORKFLOW_TASK_QUEUE } from '../workflows/api.js';
import { checkoutQueuePrefix } from './connection.js';

const WORKFLOWS_PATH = join(REPO_ROOT, 'workflows', 'index.ts');
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
  /** Runners per kind; default: the product's, each node in a child process (activities/registry.ts). */
  runners?: RunnerRegistry;
  /** The host's training backend (`--backend`); overrides training.backend of every definition. */
  backend?: BackendSetting;
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
}

let runtimeInstalled = false;

// Each of our workers serves workflows or activities, never both, by design; the SDK's
// warnings about the missing half would only alarm whoever reads the log. Its state changes
// (a dozen lines per start and stop) are what `sweep worker` says in one line each.
const EXPECTED_NOTICES = /^(No (activities|workflows|Nexus services) registered|Worker state changed)/;

/** Sets the SDK's log level once per process; must precede the first connection. */
export function installRuntime(level: LogLevel): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const write = ({ level: entryLevel, timestampNanos, message, meta }: LogEntry) => {
    if (EXPECTED_NOTICES.test(message)) return;
    const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
    process.stderr.write(`${time} [${entryLevel}] ${message}${meta ? ` ${inspect(meta, { breakLength: Infinity })}` : ''}\n`);
  };
  // The SDK's native core logs to the console on its own (coloured lines, WARN and up, even
  // under `sweep run`'s progress bars); forwarded, its lines pass the same level and format.
  // Its INFO lines narrate its own start and stop, which `sweep worker` says in one line.
  const core = level === 'TRACE' || level === 'DEBUG' ? level : 'WARN';
  Runtime.install({
    logger: new DefaultLogger(level, write),
    telemetryOptions: { logging: { filter: { core, other: core }, forward: {} } },
  });
}

export async function startWorkers(options: StartWorkersOptions): Promise<RunningWorkers> {
  const home = options.home ?? sweepHome();
  const store = ArtifactStore.fromHome(home);
  await store.removeStaleStaging(STALE_STAGING_MS);
  const activities = nodeActivities(options.runners ?? productRunners(), {
    store,
    home,
    dataRoot: options.dataRoot ?? process.env.SWEEP_DATA_ROOT ?? process.cwd(),
    backend: options.backend,
  });
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
  const key = createHash('sha256')
    .update(await sourceTreeHash(WORKFLOWS_PATH))
    .update(version)
    .digest('hex')
    .slice(0, 16);
  const path = join(home, 'bundles', `workflows-${key}.js`);
  if (existsSync(path)) return path;
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  await mkdir(join(home, 'bundles'), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, code);
  await rename(temp, path);
  return path;
}
