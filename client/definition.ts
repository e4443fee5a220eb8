// A definition file as the engine runs it: loaded, validated (cuts, features and the
// best-candidate column against the columns each sample will have) and compiled against the
// current code versions of every node kind.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { NODE_KINDS, type Dag, type NodeKind } from '../core/dag.js';
import { UsageError } from '../core/errors.js';
import { compile } from '../definitions/compile.js';
import type { ColumnCatalog } from '../definitions/cuts.js';
import { loadSpec } from '../definitions/load.js';
import { expandSignals, signalFile } from '../definitions/signals.js';
import type { Spec } from '../definitions/spec.js';
import { NTUPLE_CATALOG } from '../activities/generate/format.js';
import { readColumnInfo } from '../activities/lib/parquet.js';
import { ntupleColumns } from '../activities/preselect/format.js';
import { codeVersions } from '../activities/registry.js';
import { envDataRoots } from './flags.js';

export function parseKind(value: string | undefined, flag = '--until'): NodeKind | undefined {
  if (value === undefined) return undefined;
  if (!(NODE_KINDS as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} ${value}: not a node kind; use one of ${NODE_KINDS.join(', ')}`);
  }
  return value as NodeKind;
}

export async function loadDag(file: string, until?: NodeKind): Promise<{ spec: Spec; dag: Dag }> {
  // Two passes: the first finds the samples (and every problem the YAML alone shows), the
  // second checks the cuts against the columns those samples will have.
  const samples = await sampleColumns(loadSpec(file));
  const spec = loadSpec(file, { columnsOf: (sample) => samples.get(sample), allowedRoots: allowedDataRoots(file) });
  const dag = compile(spec, { codeVersions: await codeVersions(), until });
  return { spec, dag };
}

/** Where a definition's data may come from: its own folder, and SWEEP_DATA_ROOTS. */
export function allowedDataRoots(file: string): string[] {
  return [dirname(resolve(file)), ...envDataRoots()];
}

/** The columns each sample's ntuple will have: the generator's, or those of the user's file where it exists. */
async function sampleColumns(spec: Spec): Promise<Map<string, ColumnCatalog>> {
  const files: [string, string | undefined][] = [
    ...spec.samples.background.map((b): [string, string | undefined] => [b.name, b.file]),
    ...expandSignals(spec.samples.signal).map((p): [string, string | undefined] => [
      p.name,
      spec.samples.signal.file === undefined ? undefined : signalFile(spec.samples.signal.file, p),
    ]),
  ];
  const columns = new Map<string, ColumnCatalog>();
  for (const [sample, file] of files) {
    if (file === undefined) columns.set(sample, ntupleColumns(NTUPLE_CATALOG, spec.columns).catalog);
    else {
      const path = resolve(spec.dataRoot, file);
      // A file not there yet is checked when the sample is preselected.
      if (existsSync(path)) columns.set(sample, ntupleColumns(await readColumnInfo(path), spec.columns).catalog);
    }
  }
  return columns;
}
