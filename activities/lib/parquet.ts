// Columnar Parquet I/O for every artifact of the sweep. The only module that knows which
// library reads and writes Parquet (hyparquet + hyparquet-writer: pure JS, snappy-compressed,
// no native binary; bench/data.ts measures them against duckdb and parquetjs-lite).
import { readFile, writeFile, stat } from 'node:fs/promises';
import { parquetMetadata, parquetRead, parquetSchema } from 'hyparquet';
import type { FileMetaData, SchemaElement } from 'hyparquet';
import { ByteWriter, parquetWrite } from 'hyparquet-writer';
import { UserError } from '../../core/errors.js';

export type Column = Float64Array | Float32Array | Int32Array | Uint8Array | string[];
export interface Table {
  numRows: number;
  columns: Record<string, Column>;
}
export type NumericColumn = Exclude<Column, string[]>;

/** One column of an input file as its footer or header describes it. */
export interface ColumnInfo {
  /** Holds one number per row (readTable gives a typed array). */
  numeric: boolean;
  /** The type as the file stores it: double, float, int32, bool, string, ... */
  type: string;
  /** Why a column cannot be read as one number per row, and the fix; readers refuse it with this. */
  unreadable?: string;
}

/** What a file holds: its row count and its columns in file order. */
export interface FileInfo {
  rows: number;
  columns: Map<string, ColumnInfo>;
}

const PARQUET_MAGIC = 'PAR1';

/** A Parquet file's row count, column names and types (reads only the footer). */
export async function readColumnInfo(path: string): Promise<FileInfo> {
  const { metadata } = await openParquet(path);
  const columns = new Map<string, ColumnInfo>();
  for (const [name, element] of topLevelColumns(metadata)) {
    columns.set(name, { numeric: element.type !== 'BYTE_ARRAY', type: typeName(element) });
  }
  return { rows: Number(metadata.num_rows), columns };
}

/** Reads the named columns (all when omitted) of a Parquet file into typed arrays. */
export async function readTable(path: string, columns?: string[]): Promise<Table> {
  const { buffer, metadata } = await openParquet(path);
  const leaves = topLevelColumns(metadata);
  const wanted = columns ?? [...leaves.keys()];
  const missing = wanted.filter((name) => !leaves.has(name));
  if (missing.length > 0) {
    throw new UserError(`${path} has no column ${missing.map((m) => `'${m}'`).join(', ')}; it has: ${[...leaves.keys()].join(', ')}.`);
  }
  const numRows = Number(metadata.num_rows);
  const out: Record<string, Column> = {};
  for (const name of wanted) out[name] = allocate(leaves.get(name)!, numRows, path);
  if (wanted.length > 0 && numRows > 0) {
    await parquetRead({
      file: { byteLength: buffer.byteLength, slice: (start, end) => buffer.slice(start, end) },
      metadata,
      columns: wanted,
      onChunk: ({ columnName, columnData, rowStart, rowEnd }) => {
        const target = out[columnName];
        const n = Math.min(rowEnd, numRows) - rowStart;
        if (Array.isArray(target)) {
          for (let i = 0; i < n; i++) target[rowStart + i] = String(columnData[i]);
        } else if (ArrayBuffer.isView(columnData) && !(columnData instanceof BigInt64Array) && !(columnData instanceof BigUint64Array)) {
          target.set((columnData as NumericColumn).subarray(0, n), rowStart);
        } else {
          for (let i = 0; i < n; i++) target[rowStart + i] = toNumber(columnData[i]);
        }
      },
    });
  }
  return { numRows, columns: out };
}

/** Writes a table as one snappy-compressed Parquet file (all columns required, no nulls). */
export async function writeTable(path: string, table: Table): Promise<void> {
  const names = Object.keys(table.columns);
  const schema: SchemaElement[] = [{ name: 'root', num_children: names.length }];
  const columnData = names.map((name) => {
    const data = table.columns[name];
    if (data.length !== table.numRows) {
      throw new Error(`writeTable: column '${name}' has ${data.length} rows, table has ${table.numRows}`);
    }
    schema.push(schemaElement(name, data));
    return { name, data };
  });
  const writer = new ByteWriter();
  await parquetWrite({ writer, columnData, schema, codec: 'SNAPPY', statistics: false, rowGroupSize: 1 << 20 });
  await writeFile(path, new Uint8Array(writer.getBuffer()));
}

/** Returns a column as a number array, or a UserError naming the column when it holds text. */
export function numericColumn(table: Table, name: string, where: string): NumericColumn {
  const column = table.columns[name];
  if (column === undefined) {
    throw new UserError(`${where}: no column '${name}'; available: ${Object.keys(table.columns).join(', ')}.`);
  }
  if (Array.isArray(column)) {
    throw new UserError(`${where}: column '${name}' holds text, but a number is required here.`);
  }
  return column;
}

async function openParquet(path: string): Promise<{ buffer: ArrayBuffer; metadata: FileMetaData }> {
  const bytes = await readParquetBytes(path);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    return { buffer, metadata: parquetMetadata(buffer) };
  } catch (err) {
    throw new UserError(`${path} is not a readable Parquet file (${(err as Error).message}); re-export it as Parquet.`);
  }
}

async function readParquetBytes(path: string): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UserError(`${path} is not a file; point the definition at a Parquet file.`);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`Parquet file not found: ${path}; check the path (relative to the data root) or create the file.`);
  }
  const bytes = await readFile(path);
  const tail = bytes.subarray(Math.max(0, bytes.length - 4)).toString('latin1');
  if (bytes.length < 12 || bytes.subarray(0, 4).toString('latin1') !== PARQUET_MAGIC || tail !== PARQUET_MAGIC) {
    throw new UserError(`${path} is not a Parquet file (no PAR1 magic bytes); convert it to Parquet, e.g. pandas.DataFrame.to_parquet.`);
  }
  return bytes;
}

/** Flat columns by name; nested columns (lists, structs) are not part of any contract here. */
function topLevelColumns(metadata: FileMetaData): Map<string, SchemaElement> {
  const leaves = new Map<string, SchemaElement>();
  for (const child of parquetSchema(metadata).children) {
    if (child.children.length === 0) leaves.set(child.element.name, child.element);
  }
  return leaves;
}

function allocate(element: SchemaElement, n: number, path: string): Column {
  const converted = element.converted_type;
  switch (element.type) {
    case 'DOUBLE':
    case 'INT64':
      return new Float64Array(n);
    case 'FLOAT':
      return new Float32Array(n);
    case 'BOOLEAN':
      return new Uint8Array(n);
    case 'INT32':
      return converted === 'UINT_8' ? new Uint8Array(n) : new Int32Array(n);
    case 'BYTE_ARRAY':
      return new Array<string>(n);
    default:
      throw new UserError(
        `${path}: column '${element.name}' has unsupported Parquet type ${element.type}; store it as double, int or string.`,
      );
  }
}

/** The column's type in the words `sweep inspect` prints (as ROOT files get them from root.ts). */
function typeName(element: SchemaElement): string {
  const converted: Record<string, string> = {
    UINT_8: 'uint8',
    INT_8: 'int8',
    UINT_16: 'uint16',
    INT_16: 'int16',
    UINT_32: 'uint32',
    UINT_64: 'uint64',
    UTF8: 'string',
  };
  const physical: Record<string, string> = {
    DOUBLE: 'double',
    FLOAT: 'float',
    INT32: 'int32',
    INT64: 'int64',
    BOOLEAN: 'bool',
    BYTE_ARRAY: 'bytes',
  };
  const type = String(element.type);
  return (element.converted_type && converted[element.converted_type]) ?? physical[type] ?? type.toLowerCase();
}

function schemaElement(name: string, data: Column): SchemaElement {
  const base = { name, repetition_type: 'REQUIRED' } as const;
  if (data instanceof Float64Array) return { ...base, type: 'DOUBLE' };
  if (data instanceof Float32Array) return { ...base, type: 'FLOAT' };
  if (data instanceof Int32Array) return { ...base, type: 'INT32' };
  if (data instanceof Uint8Array) return { ...base, type: 'INT32', converted_type: 'UINT_8' };
  return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8' };
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value === null || value === undefined ? NaN : Number(value);
}
