// A CLI session with Temporal: the cluster named by TEMPORAL_ADDRESS or the embedded dev
// server (started on demand), and for `run`/`resume` in-process workers that execute the
// sweep while the command watches it.
import type { Client } from '@temporalio/client';
import type { LogLevel } from '@temporalio/common';
import { sweepHome } from '../activities/engine/store.js';
import { asConnectionError, connectClient, connectionSettings, connectWorker, type ConnectionSettings } from './connection.js';
import type { WorkerFlags } from './flags.js';
import { DEV_UI_PORT, ensureDevServer, ensureSearchAttributes, type EmbeddedServer } from './server.js';
import type { RunningWorkers } from './workers.js';

export interface Session {
  client: Client;
  settings: ConnectionSettings;
  /** Web UI of the embedded server, when that is what we talk to. */
  uiUrl?: string;
  workers?: RunningWorkers;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** In-process workers for this command, with the data root of the definition they run. */
  workers?: WorkerFlags & { dataRoot?: string; allowedRoots?: string[] };
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
    throw asConnectionError(err, settings);
  }
  const uiUrl = settings.remote ? undefined : `http://localhost:${DEV_UI_PORT}`;

  let workers: RunningWorkers | undefined;
  let workerConnection: Awaited<ReturnType<typeof connectWorker>> | undefined;
  if (options.workers) {
    const { installRuntime, startWorkers } = await import('./workers.js');
    // Progress bars own the terminal; worker chatter only when asked for.
    installRuntime((process.env.SWEEP_LOG_LEVEL as LogLevel | undefined) ?? 'ERROR');
    workerConnection = await connectWorker(settings);
    workers = await startWorkers({
      connection: workerConnection,
      namespace: settings.namespace,
      queues: ['cpu', 'gpu'],
      ...options.workers,
      home,
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
