// Where a preselect node reads its ntuple: the generate artifact it depends on, or the user's
// ROOT or Parquet files under the data root, checked against the content hashes the sweep was
// planned with. The YAML maps the files' column names to canonical ones.
import { join } from 'node:path';
import type { FileSource } from '../../core/dag.js';
import { UserError } from '../../core/errors.js';
import { didYouMean } from '../../core/suggest.js';
import type { NodeContext } from '../engine/context.js';
import { inputHashCache } from '../engine/store.js';
import { contentHash } from '../lib/content-hash.js';
import { resolveDataFile } from '../lib/data-files.js';
import { concatTables, describeInput, readInput } from '../lib/input-file.js';
import type { Table } from '../lib/parquet.js';
import { NTUPLE_FILE, type GenerateSummary } from '../generate/format.js';
import type { ColumnCatalog } from '../../definitions/cuts.js';
import { ntupleColumns } from './format.js';

export interface NtupleSource {
  /** The files in reading order; the candidates of one event never span two of them. */
  paths: string[];
  tree?: string;
  /** Canonical column name -> name in the files, for every column of the first file. */
  fileName: Map<string, string>;
  catalog: ColumnCatalog;
  /** Canonical name of the column with a weight per candidate: the sample's weightColumn, else a `weight` column. */
  weight?: string;
  /** Counts before any cut, from the generate summary (absent for user files). */
  generated?: { events: number; weighted: number };
}

export async function openSource(ctx: NodeContext<'preselect'>): Promise<NtupleSource> {
  const { sample, columns } = ctx.node.params;
  if ('files' in sample.source) {
    const paths: string[] = [];
    for (const file of sample.source.files) {
      const path = await resolveDataFile(file.path, ctx, sample.name);
      await checkContent(path, file.sha256, sample.name);
      paths.push(path);
    }
    const source = await withCatalog(paths, sample.source.tree, columns);
    source.weight = weightColumn(source, sample.source, sample.name);
    return source;
  }
  const input = ctx.inputs.find((i) => i.kind === 'generate');
  if (!input) throw new Error(`preselect ${sample.name}: no generate artifact among the inputs`);
  const source = await withCatalog([join(input.dir, NTUPLE_FILE)], undefined, columns);
  source.weight = source.catalog.get('weight')?.numeric ? 'weight' : undefined;
  const summary = input.summary as unknown as GenerateSummary;
  source.generated = { events: summary.generated, weighted: summary.generatedWeighted };
  return source;
}

/**
 * The canonical columns from every file, one file after the other, and the first row of each
 * file after the first (events are told apart per file: event numbers repeat across files).
 */
export async function readSource(
  source: NtupleSource,
  columns: string[],
  progress: (rows: number) => void,
): Promise<{ table: Table; starts: number[] }> {
  const tables: Table[] = [];
  const starts: number[] = [];
  let rows = 0;
  for (const path of source.paths) {
    if (tables.length > 0) starts.push(rows);
    const table = await readInput(
      path,
      columns.map((c) => source.fileName.get(c)!),
      source.tree,
    );
    tables.push({ numRows: table.numRows, columns: Object.fromEntries(columns.map((c) => [c, table.columns[source.fileName.get(c)!]])) });
    rows += table.numRows;
    progress(rows);
  }
  return { table: concatTables(tables), starts };
}

/** A file is read only with the content it had when the sweep was planned, which is what its preselection's cache key holds. */
async function checkContent(path: string, sha256: string, sample: string): Promise<void> {
  let actual: string;
  try {
    actual = await contentHash(path, inputHashCache());
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UserError(
      `sample ${sample}: cannot read input file ${path} (${code}), which was there when the sweep was planned; ` +
        'restore it, or run the sweep again so that it is planned with the files that exist.',
    );
  }
  if (actual !== sha256) {
    throw new UserError(
      `sample ${sample}: input file ${path} changed after the sweep was planned (its sha256 is not the one in the cache key); ` +
        'run the sweep again (sweep run or sweep submit), which plans this preselection for the new content.',
    );
  }
}

async function withCatalog(paths: string[], tree: string | undefined, mapping: Record<string, string>): Promise<NtupleSource> {
  const info = await describeInput(paths[0]!, tree);
  return { paths, tree: info.tree, ...ntupleColumns(info.columns, mapping) };
}

function weightColumn(source: NtupleSource, files: FileSource, sample: string): string | undefined {
  if (files.weightColumn === undefined) return source.catalog.get('weight')?.numeric ? 'weight' : undefined;
  const canonical = [...source.fileName].find(([, name]) => name === files.weightColumn)?.[0];
  if (canonical === undefined) {
    const names = [...source.fileName.values()];
    throw new UserError(
      `sample ${sample}: weightColumn '${files.weightColumn}' is not a column of ${source.paths[0]}${didYouMean(files.weightColumn, names)}; ` +
        `it has: ${names.join(', ')}.`,
    );
  }
  return canonical;
}
