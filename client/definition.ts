// A definition file as the engine runs it: loaded, validated, its input files hashed, and
// compiled against the current code versions of every node kind.
import { NODE_KINDS, type Dag, type NodeKind } from '../core/dag.js';
import { compile } from '../definitions/compile.js';
import { loadSpec } from '../definitions/load.js';
import type { Spec } from '../definitions/spec.js';
import { UsageError } from '../core/errors.js';
import { codeVersions } from '../activities/registry.js';
import { inputHashCache } from '../activities/engine/store.js';
import { resolveInputs } from './inputs.js';

export function parseKind(value: string | undefined, flag = '--until'): NodeKind | undefined {
  if (value === undefined) return undefined;
  if (!(NODE_KINDS as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} ${value}: not a node kind; use one of ${NODE_KINDS.join(', ')}`);
  }
  return value as NodeKind;
}

/** Loads, resolves the input files (hashing them; the hash cache lives under SWEEP_HOME) and compiles. */
export async function loadDag(file: string, until?: NodeKind): Promise<{ spec: Spec; dag: Dag }> {
  const spec = loadSpec(file);
  const inputs = await resolveInputs(spec, inputHashCache());
  const dag = compile(spec, { codeVersions: await codeVersions(), until, inputs });
  return { spec, dag };
}
