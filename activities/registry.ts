// The node kinds of the product: where each kind's runner lives. The one declaration the
// worker (which runs every kind in a child process), the child (which loads the runner) and
// the code version of each kind (part of its nodes' cache keys) all read.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_KINDS, type NodeKind } from '../core/dag.js';
import { runInChild } from './engine/child-process.js';
import { sourceTreeHash } from './engine/code-version.js';
import type { NodeRunner, RunnerRegistry } from './engine/context.js';

type RunnerLoaders = { [K in NodeKind]: () => Promise<NodeRunner<K>> };

// One line per kind, `kind: async () => (await import('<entry>')).<runner>`: codeVersions
// below reads the entries from these lines, so they keep this shape.
const RUNNERS: RunnerLoaders = {
  generate: async () => (await import('./generate/index.js')).runGenerate,
  preselect: async () => (await import('./preselect/index.js')).runPreselect,
  fitScaler: async () => (await import('./fit-scaler/index.js')).runFitScaler,
  train: async () => (await import('./train/index.js')).runTrain,
  score: async () => (await import('./score/index.js')).runScore,
  ensemble: async () => (await import('./ensemble/index.js')).runEnsemble,
  scan: async () => (await import('./scan/index.js')).runScan,
  report: async () => (await import('./report/index.js')).runReport,
};

/** Imports the runner of one kind into this process (the worker never does: see productRunners). */
export function loadRunner<K extends NodeKind>(kind: K): Promise<NodeRunner<K>> {
  return RUNNERS[kind]();
}

const CHILD_ENTRY = new URL('./child.ts', import.meta.url);

/** Every kind runs in a child process of its own (engine/child-process.ts). */
export function productRunners(): RunnerRegistry {
  const inChild: NodeRunner<NodeKind> = (ctx) => runInChild(CHILD_ENTRY, ctx);
  return {
    generate: inChild,
    preselect: inChild,
    fitScaler: inChild,
    train: inChild,
    score: inChild,
    ensemble: inChild,
    scan: inChild,
    report: inChild,
  };
}

const LOADER_LINE = /^\s*(\w+): async \(\) => \(await import\('([^']+)'\)\)\.\w+,$/gm;

/** The entry file of each kind's runner (absolute paths), as the loaders above import them. */
export async function runnerEntries(): Promise<Record<NodeKind, string>> {
  const here = fileURLToPath(import.meta.url);
  const source = await readFile(here, 'utf8');
  const entries: Partial<Record<NodeKind, string>> = {};
  for (const [, kind, specifier] of source.matchAll(LOADER_LINE)) {
    entries[kind as NodeKind] = resolve(here, '..', specifier!.replace(/\.js$/, '.ts'));
  }
  const missing = NODE_KINDS.filter((kind) => !entries[kind]);
  if (missing.length > 0) throw new Error(`activities/registry.ts: no loader line for ${missing.join(', ')}`);
  return entries as Record<NodeKind, string>;
}

/**
 * Code version of every node kind: a hash over its runner's entry file and every local
 * module it reaches, so editing one kind's code re-runs that kind and its dependants.
 */
export async function codeVersions(): Promise<Record<NodeKind, string>> {
  const entries = await runnerEntries();
  const versions = {} as Record<NodeKind, string>;
  for (const kind of NODE_KINDS) versions[kind] = await sourceTreeHash(entries[kind]);
  return versions;
}
