// Test-only node runners standing in for the science kinds (allowed for engine tests):
// they report progress, sleep, wait for files, fail on demand, and write their output in
// pieces so a torn artifact would show. No vitest imports: worker child processes load this too.
import { existsSync } from 'node:fs';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeKind } from '../../core/dag.js';
import type { NodeContext } from '../../activities/engine/context.js';
import { UserError } from '../../core/errors.js';
import type { RunnerRegistry } from '../../activities/engine/context.js';

/** What a test node does, carried in its params. */
export interface TestBehaviour {
  /** Total time spent writing the output. */
  sleepMs?: number;
  /** Pieces the output is written in (sleeping in between). */
  chunks?: number;
  /** Blocks (heartbeating) until this file exists. */
  waitForFile?: string;
  /** Fails with a UserError while this file does not exist. */
  failUnlessFile?: string;
  /** Also writes a file of this many bytes (to fill a disk). */
  bytes?: number;
  /** Progress reports (ctx.progress) sent first, in order. */
  reports?: unknown[];
}

export const OUTPUT_FILE = 'out.txt';

/** Writes `out.txt` (its id repeated, in chunks) and reports timing and what it read. */
export async function testRunner(ctx: NodeContext<NodeKind>): Promise<Record<string, unknown>> {
  const behaviour = ctx.node.params as unknown as TestBehaviour;
  const startedAt = Date.now();
  if (behaviour.failUnlessFile && !existsSync(behaviour.failUnlessFile)) {
    throw new UserError(`test node ${ctx.node.id} fails until ${behaviour.failUnlessFile} exists`);
  }
  for (const report of behaviour.reports ?? []) ctx.progress(report);
  while (behaviour.waitForFile && !existsSync(behaviour.waitForFile)) {
    ctx.signal.throwIfAborted();
    ctx.heartbeat();
    await sleep(50);
  }
  const inputs: Record<string, number> = {};
  for (const input of ctx.inputs) inputs[input.nodeId] = (await readFile(join(input.dir, OUTPUT_FILE), 'utf8')).length;
  if (behaviour.bytes) await writeFile(join(ctx.outDir, 'filler.bin'), Buffer.alloc(behaviour.bytes));
  const chunks = behaviour.chunks ?? 1;
  for (let i = 0; i < chunks; i++) {
    await appendFile(join(ctx.outDir, OUTPUT_FILE), `${ctx.node.id}\n`);
    await sleep((behaviour.sleepMs ?? 0) / chunks);
    ctx.heartbeat({ chunk: i });
  }
  return { startedAt, finishedAt: Date.now(), attempt: ctx.attempt, inputs };
}

export const testRunners: RunnerRegistry = {
  generate: testRunner,
  preselect: testRunner,
  fitScaler: testRunner,
  train: testRunner,
  score: testRunner,
  ensemble: testRunner,
  scan: testRunner,
  report: testRunner,
};
