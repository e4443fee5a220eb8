// Where a preselect node reads its ntuple: the generate artifact it depends on, or a user's
// Parquet file under the data root, whose column names the YAML maps to canonical ones.
import { join } from 'node:path';
import type { NodeContext } from '../engine/context.js';
import { resolveDataFile } from '../lib/data-files.js';
import { readColumnInfo } from '../lib/parquet.js';
import { NTUPLE_FILE, type GenerateSummary } from '../generate/format.js';
import { ntupleColumns } from './format.js';
import type { ColumnCatalog } from '../../definitions/cuts.js';

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
    const path = await resolveDataFile(sample.source.file, ctx, `sample ${sample.name}`);
    return withCatalog(path, columns);
  }
  const input = ctx.inputs.find((i) => i.kind === 'generate');
  if (!input) throw new Error(`preselect ${sample.name}: no generate artifact among the inputs`);
  const source = await withCatalog(join(input.dir, NTUPLE_FILE), columns);
  const summary = input.summary as unknown as GenerateSummary;
  source.generated = { events: summary.generated, weighted: summary.generatedWeighted };
  return source;
}

async function withCatalog(path: string, mapping: Record<string, string>): Promise<NtupleSource> {
  return { path, ...ntupleColumns(await readColumnInfo(path), mapping) };
}
