// A CLI session with Temporal: the cluster named by TEMPORAL_ADDRESS or the embedded dev
// server (started on demand), and for `run`/`resume` in-process workers that execute the
// sweep while the command watches it.
import type { Client } from '@temporalio/client';
import type { LogLevel } from '@temporalio/common';
import type { NodeKind } from '../definitions/dag.js';
import { sweepHome } from '../activities/store.js';
import { connectClient, connectionSettings, connectWorker, describeTarget, type ConnectionSettings } from './connection.js';
import { DEV_UI_PORT, ensureDevServer, ensureSearchAttributes, type EmbeddedServer } from './server.js';
import type { RunningWorkers } from '../worker.js';

export interface WorkerFlags {
  cpuSlots?: number;
  gpuSlots?: number;
  backend?: string;
  dataRoot?: string;
}

export interface Session {
  client: Client;
  settings: ConnectionSettings;
  /** Web UI of the embedded server, when that is what we talk to. */
  uiUrl?: string;
  workers?: RunningWorkers;
  close(): Promise<void>;
}

export class TemporalUnreachableError extends Error {}

export interface SessionOptions {
  workers?: WorkerFlags;
  log?: (line: string) => void;
}

export async function openSession(options: SessionOptions): Promise<Session> {
  const log = options.log ?? ((line: string) => console.error(line));
  const home = sweepHome();
  const settings = connectionSettings();
  let server: EmbeddedServer | undefined;
  if (!settings.remote) {
    server = await ensureDevServer(home);
    if (server.started) log(`started the Temporal dev server (data in ${home}/temporal.db)`);
  }
  let client: Client;
  try {
    client = await connectClient(settings);
    await ensureSearchAttributes(client.connection, settings.namespace);
  } catch (err) {
    if (err instanceof Error && /UNAVAILABLE|ECONNREFUSED|connect|DEADLINE/i.test(err.message)) {
      throw new TemporalUnreachableError(`cannot reach Temporal at ${describeTarget(settings)}: ${err.message.split('\n')[0]}`);
    }
    throw err;
  }
  const uiUrl = settings.remote ? undefined : `http://localhost:${DEV_UI_PORT}`;

  let workers: RunningWorkers | undefined;
  let workerConnection: Awaited<ReturnType<typeof connectWorker>> | undefined;
  if (options.workers) {
    const { installRuntime, startWorkers } = await import('../worker.js');
    // Progress bars own the terminal; worker chatter only when asked for.
    installRuntime((process.env.SWEEP_LOG_LEVEL as LogLevel | undefined) ?? 'ERROR');
    if (options.workers.backend) process.env.SWEEP_BACKEND = options.workers.backend;
    workerConnection = await connectWorker(settings);
    workers = await startWorkers({
      connection: workerConnection,
      namespace: settings.namespace,
      queues: ['cpu', 'gpu'],
      cpuSlots: options.workers.cpuSlots,
      gpuSlots: options.workers.gpuSlots,
      home,
      dataRoot: options.workers.dataRoot,
    });
  }
  return {
    client,
    settings,
    uiUrl,
    workers,
    async close() {
      await workers?.shutdown();
      await workerConnection?.close();
      await client.connection.close();
      await server?.stop?.();
    },
  };
}

/** Kinds the Dag needs that this process has no runner for. */
export function missingKinds(workers: RunningWorkers | undefined, needed: Iterable<NodeKind>): NodeKind[] {
  const wanted = new Set(needed);
  return (workers?.missing ?? []).filter((kind) => wanted.has(kind));
}
