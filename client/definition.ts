// A definition file as the engine runs it: loaded, validated (also the cuts, features and
// best-candidate column against the columns each sample will have), its input files found
// and hashed, and compiled against the current code versions of every node kind.
import { dirname, join, resolve } from 'node:path';
import { NODE_KINDS, type Dag, type NodeKind } from '../core/dag.js';
import { UsageError } from '../core/errors.js';
import { compile, sampleFiles, type InputFiles } from '../definitions/compile.js';
import type { ColumnCatalog } from '../definitions/cuts.js';
import { loadSpec, type Override } from '../definitions/load.js';
import { expandSignals } from '../definitions/signals.js';
import type { Spec } from '../definitions/spec.js';
import { inputHashCache } from '../activities/engine/store.js';
import { NTUPLE_CATALOG } from '../activities/generate/format.js';
import { describeInput } from '../activities/lib/input-file.js';
import { ntupleColumns } from '../activities/preselect/format.js';
import { codeVersions } from '../activities/registry.js';
import { envDataRoots } from './flags.js';
import { resolveInputs } from './inputs.js';

export function parseKind(value: string | undefined, flag = '--until'): NodeKind | undefined {
  if (value === undefined) return undefined;
  if (!(NODE_KINDS as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} ${value}: not a node kind; use one of ${NODE_KINDS.join(', ')}`);
  }
  return value as NodeKind;
}

/**
 * Loads the definition, finds and hashes its input files (the hash cache lives under
 * SWEEP_HOME), checks the cuts against the columns the samples will have, and compiles.
 */
export async function loadDag(file: string, until?: NodeKind, overrides: Override[] = []): Promise<{ spec: Spec; dag: Dag }> {
  const allowedRoots = allowedDataRoots(file);
  // Two passes: the first finds the samples and their files (and every problem the YAML alone
  // shows), the second checks the cuts against the columns those samples will have.
  const first = loadSpec(file, { allowedRoots, overrides });
  const inputs = await resolveInputs(first, inputHashCache());
  const columns = await sampleColumns(first, inputs);
  const spec = loadSpec(file, { allowedRoots, overrides, columnsOf: (sample) => columns.get(sample) });
  const dag = compile(spec, { codeVersions: await codeVersions(), until, inputs });
  return { spec, dag };
}

/** Where a definition's data may come from: its own folder, and SWEEP_DATA_ROOTS. */
export function allowedDataRoots(file: string): string[] {
  return [dirname(resolve(file)), ...envDataRoots()];
}

/** The columns each sample's ntuple will have: the generator's, or those of the first of its files. */
async function sampleColumns(spec: Spec, inputs: InputFiles): Promise<Map<string, ColumnCatalog>> {
  const entriesOf = new Map(sampleFiles(spec).map((s) => [s.sample, s.entries]));
  const samples: [string, string | undefined][] = [
    ...spec.samples.background.map((b): [string, string | undefined] => [b.name, b.tree]),
    ...expandSignals(spec.samples.signal).map((p): [string, string | undefined] => [p.name, spec.samples.signal.tree]),
  ];
  const columns = new Map<string, ColumnCatalog>();
  for (const [sample, tree] of samples) {
    const entries = entriesOf.get(sample);
    if (!entries) {
      columns.set(sample, ntupleColumns(NTUPLE_CATALOG, spec.columns).catalog);
      continue;
    }
    const first = inputs.get(entries[0]!)?.[0];
    if (first)
      columns.set(sample, ntupleColumns((await describeInput(join(spec.dataRoot, first.path), tree)).columns, spec.columns).catalog);
  }
  return columns;
}
