// A user's ntuple file, ROOT or Parquet, through one column API: which format a file is
// read as (its extension), what it holds, its columns as typed arrays, and several files
// joined into one table.
import { extname } from 'node:path';
import { readColumnInfo, readTable, type Column, type FileInfo, type NumericColumn, type Table } from './parquet.js';
import { readRootColumnInfo, readRootTable } from './root.js';
import { concatArrays } from './typed-arrays.js';

export type InputFormat = 'root' | 'parquet';

/** `.root` files are ROOT files; anything else is read as Parquet (whose reader says so when it is not). */
export function inputFormat(path: string): InputFormat {
  return extname(path).toLowerCase() === '.root' ? 'root' : 'parquet';
}

export interface InputInfo extends FileInfo {
  format: InputFormat;
  /** The tree read, for ROOT files. */
  tree?: string;
}

/** The rows and columns of a file; `tree` picks the TTree of a ROOT file (default: its only one). */
export async function describeInput(path: string, tree?: string): Promise<InputInfo> {
  if (inputFormat(path) === 'root') return { format: 'root', ...(await readRootColumnInfo(path, tree)) };
  return { format: 'parquet', ...(await readColumnInfo(path)) };
}

/** The named columns of a file as typed arrays (text columns of Parquet as strings). */
export async function readInput(path: string, columns: string[], tree?: string): Promise<Table> {
  return inputFormat(path) === 'root' ? readRootTable(path, tree, columns) : readTable(path, columns);
}

/**
 * Tables with the same columns, one after the other. A column keeps its type when every
 * table has it in that type; differing numeric types meet in float64, which holds them all.
 */
export function concatTables(tables: Table[]): Table {
  if (tables.length === 1) return tables[0];
  const columns: Record<string, Column> = {};
  for (const name of Object.keys(tables[0].columns)) {
    const parts = tables.map((t) => t.columns[name]);
    if (parts.some((p) => Array.isArray(p))) {
      columns[name] = parts.flatMap((p) => Array.from(p as ArrayLike<unknown>, String));
      continue;
    }
    const numeric = parts as NumericColumn[];
    const Type = numeric.every((p) => p.constructor === numeric[0].constructor)
      ? (numeric[0].constructor as new (length: number) => NumericColumn)
      : Float64Array;
    columns[name] = concatArrays(numeric, Type);
  }
  return { numRows: tables.reduce((n, t) => n + t.numRows, 0), columns };
}
