// The child side of isolate.ts: loads the runner of one node kind, runs the job it is
// sent, and reports heartbeats, log lines and the outcome over IPC.
import type { NodeKind } from '../definitions/dag.js';
import type { ChildReport, ParentCommand } from './isolate.js';
import { loadRunner } from './runners.js';

const kind = process.argv[2] as NodeKind;
const cancel = new AbortController();
const report = (message: ChildReport) => new Promise<void>((done) => process.send!(message, () => done()));

process.on('message', async (command: ParentCommand) => {
  if (command.type === 'cancel') return cancel.abort(new Error('cancelled'));
  try {
    const runner = await loadRunner(kind);
    const summary = await runner({
      ...command.job,
      signal: cancel.signal,
      heartbeat: (details) => void report({ type: 'heartbeat', details }),
      log: (message) => void report({ type: 'log', message }),
    });
    await report({ type: 'done', summary: summary ?? {} });
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    await report({ type: 'failed', name: error.name, message: error.message, stack: error.stack });
  }
  process.disconnect();
});
