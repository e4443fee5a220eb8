// Registry NodeKind -> runner. Runners are found through the entry table of
// code-version.ts (one source of truth for "where is this kind's code"), so a kind is wired
// in as soon as its entry file exists; a kind without one fails its nodes with a clear,
// non-retryable message instead of stopping the worker.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NODE_KINDS, type NodeKind } from '../definitions/dag.js';
import type { NodeRunner } from './context.js';
import { REPO_ROOT, RUNNER_ENTRIES } from './code-version.js';
import { isolated } from './isolate.js';

export type RunnerRegistry = { [K in NodeKind]?: NodeRunner<K> };

/** Kinds whose runner manages its own child process (training forks one per model). */
const SELF_ISOLATING: ReadonlySet<NodeKind> = new Set(['train']);

/**
 * Every kind whose entry file exists; all but the self-isolating ones run in a child process
 * per node (isolate.ts), so the worker's process never loads their numerics.
 */
export async function loadRunners(): Promise<{ runners: RunnerRegistry; missing: NodeKind[] }> {
  const runners: Record<string, unknown> = {};
  const missing: NodeKind[] = [];
  for (const kind of NODE_KINDS) {
    if (!existsSync(join(REPO_ROOT, RUNNER_ENTRIES[kind].file))) missing.push(kind);
    else runners[kind] = SELF_ISOLATING.has(kind) ? await loadRunner(kind) : isolated(kind);
  }
  return { runners: runners as RunnerRegistry, missing };
}

/** Imports the runner of one kind into this process. */
export async function loadRunner(kind: NodeKind): Promise<NodeRunner<NodeKind>> {
  const { file, exportName } = RUNNER_ENTRIES[kind];
  // A present but broken entry is a bug that must stop the worker, so import errors propagate.
  const module = (await import(pathToFileURL(join(REPO_ROOT, file)).href)) as Record<string, unknown>;
  const runner = module[exportName];
  if (typeof runner !== 'function') throw new Error(`${file} does not export a function named ${exportName}`);
  return runner as NodeRunner<NodeKind>;
}

/** The message a node of a kind without runner fails with. */
export function missingRunnerMessage(kind: NodeKind): string {
  return `no runner for node kind "${kind}" in this worker: ${RUNNER_ENTRIES[kind].file} does not exist yet. ` +
    `Run the sweep with --until set to an earlier kind, or update the worker.`;
}
