// A small definition for the tests, independent of the shipped YAMLs (which others tune).
import { compile, sampleFiles, type InputFiles } from '../../definitions/compile.js';
import { NODE_KINDS, type Dag, type NodeKind } from '../../core/dag.js';
import { DefinitionError } from '../../core/errors.js';
import { loadSpecText } from '../../definitions/load.js';
import type { Spec } from '../../definitions/spec.js';

export const SMALL = `# yaml-language-server: $schema=../../definitions/sweep.schema.json
name: small
seed: 7
luminosity: 100
samples:
  background:
    - { name: tautau, process: tautau, generate: { events: 1000 } }
    - { name: uubar, process: uubar, generate: { events: 500 } }
    - { name: mine, process: mumu, file: mumu.parquet, weight: 2 }
  signal:
    grid: { m_chi1: [0.5, 1, 3], m_hprime: [0.5, 1] }
    where: m_hprime <= m_chi1
    generate: { events: 200 }
    examples:
      light: { m_chi1: 0.5, m_hprime: 0.5 }
preselection:
  cuts:
    - name: goodTracks
      forEach: [eminus, muplus]
      expr: "{p}_nCDCHits > 20"
    - { name: noExtraTracks, expr: "nExtraTracks == 0" }
  bestCandidate: { minimise: missE }
features: [eminus_E, muplus_E, missE, missPz]
trainingSets:
  taus: [tautau]
models:
  matrix:
    architecture: [AE, DVAE]
    latentDim: [1, 2, 3]
  exclude:
    - { architecture: DVAE, latentDim: 1 }
training:
  preset: fast
execution:
  maxParallel: { train: 1, cpu: 3 }
`;

export const CODE: Record<NodeKind, string> = Object.fromEntries(NODE_KINDS.map((k) => [k, `${k}-v1`])) as Record<NodeKind, string>;

/** The text with `from` replaced once; fails loudly if the fixture no longer has `from`. */
export function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`fixture has no "${from}"`);
  return text.replace(from, to);
}

/** 1-based line of the first line containing `snippet`. */
export function lineOf(text: string, snippet: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(snippet));
  if (index < 0) throw new Error(`no line contains "${snippet}"`);
  return index + 1;
}

export function load(text: string = SMALL): Spec {
  return loadSpecText(text, 'small.yaml');
}

/**
 * The inputs as the client resolves them (client/inputs.ts, tested on real files in
 * test/data/inputs.test.ts): here each entry names one file, whose hash is `hashes[entry]` or
 * made up from the entry, so compile tests need no files.
 */
export function inputsOf(spec: Spec, hashes: Record<string, string> = {}): InputFiles {
  const entries = sampleFiles(spec).flatMap((s) => s.entries);
  return new Map(entries.map((entry) => [entry, [{ path: entry, sha256: hashes[entry] ?? `sha256 of ${entry}` }]]));
}

export function compileText(text: string = SMALL, codeVersions = CODE, until?: NodeKind, hashes?: Record<string, string>): Dag {
  const spec = load(text);
  return compile(spec, { codeVersions, until, inputs: inputsOf(spec, hashes) });
}

/** The messages of the DefinitionError the text raises. */
export function errorsOf(text: string): string[] {
  try {
    load(text);
  } catch (error) {
    if (error instanceof DefinitionError) return error.messages;
    throw error;
  }
  throw new Error('the definition loaded without errors');
}

export function keysById(dag: Dag): Map<string, string> {
  return new Map(dag.nodes.map((n) => [n.id, n.cacheKey]));
}

/** Ids of the given nodes and of every node that depends on them, directly or not. */
export function downstreamOf(dag: Dag, ids: string[]): Set<string> {
  const reached = new Set(ids);
  let grew = true;
  while (grew) {
    grew = false;
    for (const node of dag.nodes) {
      if (!reached.has(node.id) && node.dependsOn.some((d) => reached.has(d))) {
        reached.add(node.id);
        grew = true;
      }
    }
  }
  return reached;
}

/** Ids of nodes present in both DAGs whose cache keys differ. */
export function changedKeys(before: Dag, after: Dag): Set<string> {
  const old = keysById(before);
  return new Set(after.nodes.filter((n) => old.has(n.id) && old.get(n.id) !== n.cacheKey).map((n) => n.id));
}
