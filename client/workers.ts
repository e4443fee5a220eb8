// Temporal workers for the sweep: one activity worker per task queue (`cpu`, `gpu`) plus a
// workflow worker on the `sweep` queue, all on one connection. `sweep run` starts them
// in-process; `sweep worker` (client/worker-command.ts, or worker.ts) runs them on their own.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type LogEntry, type NativeConnection } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/common';
import type { BackendSetting, NodeKind, TaskQueue } from '../core/dag.js';
import { REPO_ROOT, sourceTreeHash } from '../activities/engine/code-version.js';
import type { RunnerRegistry } from '../activities/engine/context.js';
import { DagStore } from '../activities/engine/dags.js';
import { nodeActivities, sweepActivities } from '../activities/engine/node-activity.js';
import { ArtifactStore, sweepHome } from '../activities/engine/store.js';
import { codeVersions, productRunners } from '../activities/registry.js';
import { taskQueueName, WORKFLOW_TASK_QUEUE } from '../workflows/api.js';
import { envDataRoots } from './flags.js';
import { isServerUnreachable } from './outage.js';
import { projectName } from './project.js';

const WORKFLOWS_PATH = join(REPO_ROOT, 'workflows', 'index.ts');
// Staging directories of dead writers on this host are removed at start; another host's only
// after this long, far beyond the longest node (thesis trainings took up to 40 hours).
const STALE_STAGING_MS = 7 * 24 * 3600 * 1000;
const HEARTBEAT_THROTTLE = '3s';

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
  /** Each kind's code version, checked against every node's; default: this checkout's, for the product runners. */
  codeVersions?: Record<NodeKind, string>;
  /** The host's training backend (`--backend`); overrides training.backend of every definition. */
  backend?: BackendSetting;
  /** Engine state directory (artifacts, work dirs, bundles); default SWEEP_HOME or ./.sweep. */
  home?: string;
  dataRoot?: string;
  /** Directories below which nodes may read user files; default the data root and SWEEP_DATA_ROOTS. */
  allowedRoots?: string[];
  /** Pre-built workflow bundle; default: the cached bundle of workflows/ (built when stale). */
  workflowBundlePath?: string;
  /** How long running activities may finish (and checkpoint) after a shutdown request. */
  shutdownGraceTime?: string | number;
  /** The project whose task queues to serve (client/project.ts); default this store's. */
  project?: string;
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
// While the server is away the SDK warns on every retried call; watchServer says it once.
const UNREACHABLE_NOTICES = /Unavailable|tcp connect error|transport error/;

/** Sets the SDK's log level once per process; must precede the first connection. */
export function installRuntime(level: LogLevel): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const write = ({ level: entryLevel, timestampNanos, message, meta }: LogEntry) => {
    if (EXPECTED_NOTICES.test(message)) return;
    const details = meta ? ` ${inspect(meta, { breakLength: Infinity })}` : '';
    if (entryLevel === 'WARN' && UNREACHABLE_NOTICES.test(message + details)) return;
    const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
    process.stderr.write(`${time} [${entryLevel}] ${message}${details}\n`);
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
  const dags = new DagStore(store.root);
  for (const dir of await store.staleStaging(STALE_STAGING_MS)) await rm(dir, { recursive: true, force: true });
  const dataRoot = options.dataRoot ?? process.env.SWEEP_DATA_ROOT ?? process.cwd();
  const activities = nodeActivities(options.runners ?? productRunners(), {
    codeVersions: options.codeVersions ?? (options.runners ? undefined : await codeVersions()),
    store,
    dags,
    home,
    dataRoot,
    allowedRoots: options.allowedRoots ?? [dataRoot, ...envDataRoots()],
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
  const project = options.project ?? projectName(home);
  const workers: Worker[] = [];
  if (options.workflows ?? true) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: taskQueueName(project, WORKFLOW_TASK_QUEUE),
        activities: sweepActivities({ dags }),
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
        taskQueue: taskQueueName(project, queue),
        activities,
        maxConcurrentActivityTaskExecutions: slots[queue],
        // The server must see a node's heartbeats (and the checkpoint epoch in them) within
        // seconds, so a dead worker's node moves on after the heartbeat timeout, not later.
        maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
        defaultHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
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

const PROBE_INTERVAL_MS = 5_000;

/**
 * Watches the server while workers run (the SDK itself retries every call with backoff):
 * one line when it goes, one when it is back; when it stays away longer than `waitMs`
 * (SWEEP_SERVER_WAIT), `giveUp` is called once. Returns the function that stops watching.
 */
export function watchServer(
  connection: NativeConnection,
  options: { target: string; waitMs: number; notice: (line: string) => void; giveUp: () => void },
): () => void {
  let lostAt: number | undefined;
  let probing = false;
  const probe = async () => {
    if (probing) return;
    probing = true;
    try {
      await connection.withDeadline(Date.now() + PROBE_INTERVAL_MS, () => connection.workflowService.getSystemInfo({}));
      if (lostAt !== undefined)
        options.notice(`worker: Temporal at ${options.target} is back after ${Math.round((Date.now() - lostAt) / 1000)} s`);
      lostAt = undefined;
    } catch (err) {
      if (!isServerUnreachable(err)) return;
      const now = Date.now();
      if (lostAt === undefined) {
        lostAt = now;
        options.notice(
          `worker: lost Temporal at ${options.target}; running nodes go on, polling retries for up to ${Math.round(options.waitMs / 1000)} s (SWEEP_SERVER_WAIT)`,
        );
      } else if (now - lostAt > options.waitMs) {
        options.notice(
          `worker: Temporal at ${options.target} has been unreachable for ${Math.round((now - lostAt) / 1000)} s; stopping the workers`,
        );
        clearInterval(timer);
        options.giveUp();
      }
    } finally {
      probing = false;
    }
  };
  const timer = setInterval(() => void probe(), PROBE_INTERVAL_MS);
  return () => clearInterval(timer);
}
