// `sweep inspect FILE [--tree NAME] [--definition YAML]`: a look inside a ROOT or Parquet
// file (its columns, their types, the row count) and, given a definition, which of the
// columns its preselection reads the file lacks, through the definition's column mapping.
import { resolve } from 'node:path';
import { didYouMean } from '../core/suggest.js';
import { UsageError } from '../core/errors.js';
import { expandCut } from '../definitions/cuts.js';
import { loadSpec } from '../definitions/load.js';
import { describeInput, inputFormat, type InputInfo } from '../activities/lib/input-file.js';
import { preselectInputs } from '../activities/preselect/format.js';
import { formatTable } from './text-table.js';

export interface Inspection {
  text: string;
  /** Columns the definition reads that the file lacks or cannot give as numbers. */
  problems: number;
}

export async function inspectFile(file: string, options: { tree?: string; definition?: string }): Promise<Inspection> {
  const path = resolve(file);
  if (options.tree !== undefined && inputFormat(path) !== 'root') {
    throw new UsageError(`--tree picks a TTree of a ROOT file (.root); ${file} is read as Parquet`);
  }
  const info = await describeInput(path, options.tree);
  const what = info.format === 'root' ? `ROOT file, tree '${info.tree}'` : 'Parquet file';
  const lines = [
    `${file}: ${what}, ${info.rows.toLocaleString('en-US')} rows, ${info.columns.size} columns`,
    '',
    formatTable(
      ['column', 'type'],
      [...info.columns].map(([name, column]) => [name, column.unreadable ? `${column.type} (not readable)` : column.type]),
    ),
  ];
  const unreadable = [...info.columns.values()].filter((c) => c.unreadable);
  if (unreadable.length > 0) lines.push('', 'not readable as one number per row:', ...unreadable.map((c) => `  ${c.unreadable}`));
  if (options.definition === undefined) return { text: lines.join('\n'), problems: 0 };
  const check = checkAgainst(info, options.definition);
  return { text: [...lines, '', ...check.lines].join('\n'), problems: check.problems };
}

/** The columns the definition's preselection reads, looked up under their mapped names. */
function checkAgainst(info: InputInfo, definition: string): { lines: string[]; problems: number } {
  const spec = loadSpec(definition);
  const inputs = preselectInputs({
    cuts: spec.preselection.cuts.map(expandCut),
    features: spec.features,
    bestCandidate: spec.preselection.bestCandidate,
  });
  const names = [...info.columns.keys()];
  const usedBy = new Map<string, string[]>();
  for (const { column, usedBy: user } of inputs) usedBy.set(column, [...new Set([...(usedBy.get(column) ?? []), user])]);
  const problems: string[] = [];
  for (const [canonical, users] of usedBy) {
    const name = spec.columns[canonical] ?? canonical;
    const shown = name === canonical ? `'${name}'` : `'${name}' (${canonical} in ${definition})`;
    const column = info.columns.get(name);
    if (!column) problems.push(`  lacks ${shown}, read as ${users.join(', ')}${didYouMean(name, names)}`);
    else if (!column.numeric)
      problems.push(`  ${shown}, read as ${users.join(', ')}, ${column.unreadable ?? 'holds text, but a number is required'}`);
  }
  const header = `${definition} reads ${usedBy.size} columns of this file: ${usedBy.size - problems.length} there as numbers`;
  if (problems.length === 0) return { lines: [`${header}, none missing.`], problems: 0 };
  const fix = 'rename them in the file, or map them under `columns:` in the definition (canonical name: name in the file)';
  return { lines: [`${header}, ${problems.length} not:`, ...problems, fix], problems: problems.length };
}
