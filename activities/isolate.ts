// Runs a node runner in a child process. Runners are CPU-bound JavaScript (generation,
// column passes, rendering): in the worker's own process they would serialise on one core
// and stall the workflow tasks and heartbeats that share its event loop.
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { NodeKind } from '../definitions/dag.js';
import type { NodeContext, NodeRunner } from './context.js';
import { UserError } from './errors.js';

/** tsx's ESM loader, so a child runs TypeScript without a build step. */
export const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const CHILD_ENTRY = fileURLToPath(new URL('./isolate-child.ts', import.meta.url));
const STDERR_TAIL = 4000;
/** A cancelled child gets this long to notice its abort signal before it is killed. */
const CANCEL_GRACE_MS = 10_000;

/** What the parent sends: everything of the NodeContext that is data. */
export type IsolatedJob = Pick<NodeContext, 'node' | 'inputs' | 'outDir' | 'workDir' | 'dataRoot' | 'attempt' | 'heartbeatDetails'>;

export type ChildReport =
  | { type: 'heartbeat'; details: unknown }
  | { type: 'log'; message: string }
  | { type: 'done'; summary: Record<string, unknown> }
  | { type: 'failed'; name: string; message: string; stack?: string };

export type ParentCommand = { type: 'start'; job: IsolatedJob } | { type: 'cancel' };

/** A runner for `kind` that does the work in a fresh child process. */
export function isolated<K extends NodeKind>(kind: K): NodeRunner<K> {
  return (ctx) =>
    new Promise((resolve, reject) => {
      const child = fork(CHILD_ENTRY, [kind], { execArgv: ['--import', TSX_LOADER], stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
      let stderr = '';
      let outcome: ChildReport | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL);
      });
      const onAbort = () => {
        if (child.connected) child.send({ type: 'cancel' } satisfies ParentCommand);
        killTimer = setTimeout(() => child.kill('SIGKILL'), CANCEL_GRACE_MS);
      };
      ctx.signal.addEventListener('abort', onAbort);
      child.on('message', (report: ChildReport) => {
        if (report.type === 'heartbeat') ctx.heartbeat(report.details);
        else if (report.type === 'log') ctx.log(report.message);
        else outcome = report;
      });
      child.on('exit', (code, signal) => {
        ctx.signal.removeEventListener('abort', onAbort);
        clearTimeout(killTimer);
        if (outcome?.type === 'done') return resolve(outcome.summary);
        if (outcome?.type === 'failed') {
          const error = outcome.name === 'UserError' ? new UserError(outcome.message) : new Error(outcome.message);
          error.stack = outcome.stack ?? error.stack;
          return reject(error);
        }
        if (ctx.signal.aborted) return reject(ctx.signal.reason ?? new Error(`${ctx.node.id} was cancelled`));
        reject(new Error(`the process running ${ctx.node.id} ended (${signal ?? `exit code ${code}`}) before finishing${stderr ? `; its last output:\n${stderr}` : ''}`));
      });
      const { node, inputs, outDir, workDir, dataRoot, attempt, heartbeatDetails } = ctx;
      child.send({ type: 'start', job: { node, inputs, outDir, workDir, dataRoot, attempt, heartbeatDetails } } satisfies ParentCommand);
      if (ctx.signal.aborted) onAbort();
    });
}
