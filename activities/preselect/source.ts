// Where a preselect node reads its ntuple: the generate artifact it depends on, or a user's
// Parquet file under the data root, whose column names the YAML maps to canonical ones.
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { NodeContext } from '../engine/context.js';
import { UserError } from '../../core/errors.js';
import { readColumnInfo } from '../lib/parquet.js';
import { NTUPLE_FILE, type GenerateSummary } from '../generate/format.js';
import type { ColumnCatalog } from './expr.js';

export interface NtupleSource {
  path: string;
  /** Canonical column name -> name in the file, for every column the file has. */
  fileName: Map<string, string>;
  catalog: ColumnCatalog;
  /** Counts before any cut, from the generate summary (absent for user files). */
  generated?: { events: number; weighted: number };
}

export async function openSource(ctx: NodeContext<'preselect'>): Promise<NtupleSource> {
  const { sample, columns } = ctx.node.params;
  if ('file' in sample.source) {
    const path = insideDataRoot(ctx.dataRoot, sample.source.file, sample.name);
    return withCatalog(path, columns);
  }
  const input = ctx.inputs.find((i) => i.kind === 'generate');
  if (!input) throw new Error(`preselect ${sample.name}: no generate artifact among the inputs`);
  const source = await withCatalog(join(input.dir, NTUPLE_FILE), columns);
  const summary = input.summary as unknown as GenerateSummary;
  source.generated = { events: summary.generated, weighted: summary.generatedWeighted };
  return source;
}

/** Resolves `file` against the data root and refuses anything that would leave it. */
function insideDataRoot(dataRoot: string, file: string, sample: string): string {
  const root = resolve(dataRoot);
  const path = resolve(root, file);
  const rel = relative(root, path);
  if (isAbsolute(file) || rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new UserError(
      `sample ${sample}: file '${file}' is outside the data root ${root}; give a path relative to data.root that stays inside it.`,
    );
  }
  return path;
}

/** The catalog under canonical names: a mapped column appears under its canonical name only. */
async function withCatalog(path: string, mapping: Record<string, string>): Promise<NtupleSource> {
  const info = await readColumnInfo(path);
  const canonicalOf = new Map(Object.entries(mapping).map(([canonical, user]) => [user, canonical]));
  const catalog = new Map<string, { numeric: boolean }>();
  const fileName = new Map<string, string>();
  for (const [name, column] of info.columns) {
    const canonical = canonicalOf.get(name) ?? name;
    catalog.set(canonical, column);
    fileName.set(canonical, name);
  }
  return { path, fileName, catalog };
}
