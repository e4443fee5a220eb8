// Runs a node in a child process, one process per node. Runners are CPU-bound (generation,
// column passes, training, rendering): in the worker's own process they would serialise on
// one core and stall the workflow tasks and heartbeats that share its event loop, and a
// crash in native code (TensorFlow) would take the worker down.
//
// Parent and child speak a small typed protocol over Node's IPC: the parent sends the job
// (the data part of a NodeContext) and, on cancellation, `cancel`; the child reports
// heartbeats, progress reports, log lines and the outcome. A cancelled child gets a grace period to stop
// cleanly (a training checkpoints mid-epoch) before it is killed; a child whose parent dies
// exits at once, so it never races the retry that another worker starts.
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { NodeKind } from '../../core/dag.js';
import { isUserError, UserError, type UserErrorCode } from '../../core/errors.js';
import type { NodeContext, NodeRunner } from './context.js';

/** tsx's ESM loader, so a child runs TypeScript without a build step. */
export const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const OUTPUT_TAIL = 4000;
/** A cancelled child gets this long to stop (and checkpoint) before it is killed. */
const CANCEL_GRACE_MS = 60_000;

/** The data part of a NodeContext: what the parent sends. */
export type ChildJob = Pick<
  NodeContext,
  'node' | 'inputs' | 'outDir' | 'workDir' | 'dataRoot' | 'allowedRoots' | 'backend' | 'attempt' | 'heartbeatDetails'
>;

type ToChild = { type: 'start'; job: ChildJob } | { type: 'cancel' };

type ToParent =
  | { type: 'heartbeat'; details: unknown }
  | { type: 'progress'; details: unknown }
  | { type: 'log'; message: string }
  | { type: 'done'; summary: Record<string, unknown> }
  | { type: 'failed'; message: string; code?: UserErrorCode; stack?: string };

/** Runs `ctx` in a fresh child process started from `entry` (a script that calls serveChild). */
export function runInChild(entry: URL, ctx: NodeContext<NodeKind>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(entry), [], { execArgv: ['--import', TSX_LOADER], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let output = '';
    const keepTail = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-OUTPUT_TAIL);
    };
    child.stdout!.on('data', keepTail);
    child.stderr!.on('data', keepTail);
    let outcome: ToParent | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      if (killTimer) return;
      if (child.connected) child.send({ type: 'cancel' } satisfies ToChild);
      killTimer = setTimeout(() => child.kill('SIGKILL'), CANCEL_GRACE_MS);
    };
    ctx.signal.addEventListener('abort', onAbort);
    child.on('message', (message: ToParent) => {
      if (message.type === 'heartbeat') ctx.heartbeat(message.details);
      else if (message.type === 'progress') ctx.progress(message.details);
      else if (message.type === 'log') ctx.log(message.message);
      else outcome = message;
    });
    child.on('error', (err) => ctx.log(`${ctx.node.id}: child process error: ${err.message}`));
    child.on('exit', (code, signal) => {
      ctx.signal.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      if (ctx.signal.aborted) return reject(ctx.signal.reason ?? new Error(`${ctx.node.id} was cancelled`));
      if (outcome?.type === 'done') return resolve(outcome.summary);
      if (outcome?.type === 'failed') return reject(rebuildError(outcome));
      reject(
        new Error(
          `the process running ${ctx.node.id} ended (${signal ?? `exit code ${code}`}) before finishing; ` +
            `a retry starts it again (a training resumes from its last checkpoint)${output ? `. Its last output:\n${output}` : ''}`,
        ),
      );
    });
    const { node, inputs, outDir, workDir, dataRoot, allowedRoots, backend, attempt, heartbeatDetails } = ctx;
    const job: ChildJob = { node, inputs, outDir, workDir, dataRoot, allowedRoots, backend, attempt, heartbeatDetails };
    child.send({ type: 'start', job } satisfies ToChild);
    if (ctx.signal.aborted) onAbort();
  });
}

/** A UserError keeps its code across the process boundary; anything else is an Error with the child's stack. */
function rebuildError(failure: Extract<ToParent, { type: 'failed' }>): Error {
  const error = failure.code ? new UserError(failure.message, failure.code) : new Error(failure.message);
  if (failure.stack) error.stack = failure.stack;
  return error;
}

/** The child side: waits for the job, runs the runner `load` gives for its kind, reports back. */
export function serveChild(load: (kind: NodeKind) => Promise<NodeRunner<NodeKind>>): void {
  const cancel = new AbortController();
  const report = (message: ToParent) =>
    new Promise<void>((done) => {
      if (!process.connected) return done();
      process.send!(message, undefined, {}, () => done());
    });
  process.on('message', async (command: ToChild) => {
    if (command.type === 'cancel') return cancel.abort(new Error('cancelled'));
    try {
      const runner = await load(command.job.node.kind);
      const summary = await runner({
        ...command.job,
        signal: cancel.signal,
        heartbeat: (details) => void report({ type: 'heartbeat', details }),
        progress: (details) => void report({ type: 'progress', details }),
        log: (message) => void report({ type: 'log', message }),
      });
      await report({ type: 'done', summary });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      await report({ type: 'failed', message: error.message, code: isUserError(error) ? error.code : undefined, stack: error.stack });
    }
    process.exit(0);
  });
  // The parent is gone (worker killed): stop at once. What a training did is in its last
  // checkpoint, and a second process must never race a retry for the same work directory.
  process.on('disconnect', () => process.exit(0));
}
