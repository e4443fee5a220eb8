// Embedded data: generator speed, preselection against pyarrow + numpy on the same ntuple,
// Parquet I/O of activities/parquet.ts (hyparquet) against @duckdb/node-api, parquetjs-lite
// and pyarrow, and ROOT reading of activities/lib/root.ts (jsroot) against uproot on the
// same file, all measured in the same run.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance, DOUBLE, DuckDBDataChunk } from '@duckdb/node-api';
import { compile } from '../definitions/compile.js';
import { NODE_KINDS, type DagNode, type PreselectParams } from '../core/dag.js';
import { loadSpec } from '../definitions/load.js';
import type { NodeContext } from '../activities/engine/context.js';
import { generateSample } from '../activities/generate/sample.js';
import { readTable, writeTable, type Table } from '../activities/lib/parquet.js';
import { readRootTable } from '../activities/lib/root.js';
import { runPreselect } from '../activities/preselect/index.js';
import { writeRootFiles } from '../test/helpers/root-files.js';
import type { Row } from './row.js';

const run = promisify(execFile);
const PYTHON = fileURLToPath(new URL('../.sweep/venv/bin/python', import.meta.url));
const BASELINE = fileURLToPath(new URL('./data_baseline.py', import.meta.url));
const THESIS = fileURLToPath(new URL('../definitions/thesis.yaml', import.meta.url));
const IO_ROWS = 200_000;
const IO_COLUMNS = 30;
/** parquetjs-lite writes row objects one by one; a tenth of the rows keeps the bench short. */
const PARQUETJS_ROWS = 20_000;

export async function bench(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-data-'));
  try {
    return [...(await generatorRows()), ...(await preselectRows(dir)), ...(await parquetRows(dir)), ...(await rootRows(dir))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const result = await work();
  return [result, (performance.now() - t0) / 1000];
}

async function generatorRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const samples = [
    { name: 'tautau', kind: 'background', process: 'tautau', events: 400_000 },
    { name: 'uubar', kind: 'background', process: 'uubar', events: 100_000 },
    { name: 'idmdh (1, 1)', kind: 'signal', process: 'idmdh', events: 50_000, mChi1: 1, mHprime: 1 },
  ] as const;
  for (const s of samples) {
    await generateSample({ ...s, luminosityFb: 100 }, { events: 2000, seed: 7 }); // warm-up
    const [result, seconds] = await timed(() => generateSample({ ...s, luminosityFb: 100 }, { events: s.events, seed: 1 }));
    rows.push({
      name: `generate: ${s.name} events per second`,
      value: s.events / seconds,
      unit: 'events/s',
      note: `${result.candidates} candidates from ${s.events} events`,
    });
  }
  return rows;
}

/** The thesis preselection of definitions/thesis.yaml on a generated tau-pair ntuple. */
async function preselectRows(dir: string): Promise<Row[]> {
  const spec = loadSpec(THESIS);
  const dag = compile(spec, {
    codeVersions: Object.fromEntries(NODE_KINDS.map((k) => [k, 'bench'])) as Record<(typeof NODE_KINDS)[number], string>,
    until: 'preselect',
  });
  const node = dag.nodes.find((n) => n.id === 'preselect/tautau') as DagNode<'preselect'>;
  const generated = await generateSample(node.params.sample, { events: 2_000_000, seed: 3 });
  const inputDir = join(dir, 'generate');
  mkdirSync(inputDir);
  const ntuple = join(inputDir, 'ntuple.parquet');
  await writeTable(ntuple, generated.table);
  const candidates = generated.table.numRows;
  const ctx = (outDir: string): NodeContext<'preselect'> => {
    mkdirSync(outDir, { recursive: true });
    return {
      node,
      outDir,
      workDir: outDir,
      dataRoot: dir,
      allowedRoots: [dir],
      attempt: 1,
      heartbeatDetails: undefined,
      inputs: [
        {
          nodeId: 'generate/tautau',
          kind: 'generate',
          dir: inputDir,
          summary: { generated: generated.generated, generatedWeighted: generated.generatedWeighted },
        },
      ],
      heartbeat: () => undefined,
      progress: () => undefined,
      signal: new AbortController().signal,
      log: () => undefined,
    };
  };
  await runPreselect(ctx(join(dir, 'warm')));
  const [summary, ours] = await timed(() => runPreselect(ctx(join(dir, 'preselect'))));
  const rows: Row[] = [
    {
      name: 'preselect: thesis cuts + best candidate, candidates per second',
      value: candidates / ours,
      unit: 'cand/s',
      note: `${candidates} candidates -> ${summary.selected} events, read + cuts + write`,
    },
  ];
  const python = await baseline(['preselect', ntuple, join(dir, 'numpy.parquet'), String((node.params as PreselectParams).testFraction)]);
  if (python) {
    rows.push({
      name: 'preselect: pyarrow + numpy, same cuts and file',
      value: candidates / python.seconds,
      unit: 'cand/s',
      note: `${python.selected} events`,
    });
    rows.push({ name: 'preselect: speed relative to pyarrow + numpy', value: python.seconds / ours, unit: 'x', note: 'goal >= 0.5' });
  }
  return rows;
}

async function baseline(args: string[]): Promise<Record<string, number> | undefined> {
  if (!existsSync(PYTHON)) return undefined;
  const { stdout } = await run(PYTHON, [BASELINE, ...args], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as Record<string, number>;
}

function randomTable(rows: number): Table {
  const columns: Table['columns'] = {};
  let state = 1;
  for (let c = 0; c < IO_COLUMNS; c++) {
    const values = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      // Physics-like values: a few significant digits compress like real ntuples, not like noise.
      values[r] = Math.round((state / 4294967296) * 1e6) / 1e3;
    }
    columns[`x${c}`] = values;
  }
  return { numRows: rows, columns };
}

async function parquetRows(dir: string): Promise<Row[]> {
  const table = randomTable(IO_ROWS);
  const values = IO_ROWS * IO_COLUMNS;
  const file = join(dir, 'io.parquet');
  await writeTable(join(dir, 'warm.parquet'), randomTable(1000));
  const [, write] = await timed(() => writeTable(file, table));
  const [, read] = await timed(() => readTable(file));
  const [, readTwo] = await timed(() => readTable(file, ['x0', 'x1']));
  const duck = await duckdbIo(dir, table);
  const small = randomTable(PARQUETJS_ROWS);
  const pj = await parquetjsIo(dir, small);
  const pjValues = PARQUETJS_ROWS * IO_COLUMNS;
  const mb = statSync(file).size / 1e6;
  const rows: Row[] = [
    {
      name: `parquet write (hyparquet-writer, snappy), ${IO_ROWS} x ${IO_COLUMNS} doubles`,
      value: values / write / 1e6,
      unit: 'M values/s',
      note: `${write.toFixed(2)} s, ${mb.toFixed(1)} MB`,
    },
    {
      name: 'parquet read (hyparquet, into typed arrays)',
      value: values / read / 1e6,
      unit: 'M values/s',
      note: `${read.toFixed(2)} s; 2 columns: ${readTwo.toFixed(2)} s`,
    },
    {
      name: 'parquet write @duckdb/node-api (appender + COPY)',
      value: values / duck.write / 1e6,
      unit: 'M values/s',
      note: `${duck.write.toFixed(2)} s`,
    },
    {
      name: 'parquet read @duckdb/node-api (into typed arrays)',
      value: values / duck.read / 1e6,
      unit: 'M values/s',
      note: `${duck.read.toFixed(2)} s`,
    },
    {
      name: 'parquet write parquetjs-lite',
      value: pjValues / pj.write / 1e6,
      unit: 'M values/s',
      note: `${PARQUETJS_ROWS} rows in ${pj.write.toFixed(2)} s`,
    },
    {
      name: 'parquet read parquetjs-lite',
      value: pjValues / pj.read / 1e6,
      unit: 'M values/s',
      note: `${PARQUETJS_ROWS} rows in ${pj.read.toFixed(2)} s`,
    },
    { name: 'parquet write: ours / parquetjs-lite', value: values / write / (pjValues / pj.write), unit: 'x' },
    { name: 'parquet read: ours / parquetjs-lite', value: values / read / (pjValues / pj.read), unit: 'x' },
    { name: 'parquet write: ours / duckdb', value: duck.write / write, unit: 'x' },
    { name: 'parquet read: ours / duckdb', value: duck.read / read, unit: 'x' },
  ];
  const py = await baseline(['parquet', file, join(dir, 'pyarrow.parquet')]);
  if (py) {
    rows.push({
      name: 'parquet write pyarrow (same table)',
      value: values / py.write / 1e6,
      unit: 'M values/s',
      note: `${py.write.toFixed(2)} s`,
    });
    rows.push({
      name: 'parquet read pyarrow (same file)',
      value: values / py.read / 1e6,
      unit: 'M values/s',
      note: `${py.read.toFixed(2)} s`,
    });
  }
  return rows;
}

/** Reads of ROOT files are timed best of this many, ours and uproot's alike: the machine is shared. */
const ROOT_REPEATS = 3;

/** The Parquet rows' table as a ROOT TTree (written by uproot, 4000 rows a basket, about ROOT's default 32 kB of doubles). */
async function rootRows(dir: string): Promise<Row[]> {
  if (!existsSync(PYTHON)) return [];
  const parquet = join(dir, 'root-source.parquet');
  await writeTable(parquet, randomTable(IO_ROWS));
  const file = join(dir, 'io.root');
  await writeRootFiles([{ path: file, basket: 4000, trees: [{ name: 'variables', parquet }] }]);
  await readRootTable(file, 'variables', ['x0']); // warm-up
  let ours = Infinity;
  for (let i = 0; i < ROOT_REPEATS; i++) ours = Math.min(ours, (await timed(() => readRootTable(file, 'variables')))[1]);
  const uproot = (await baseline(['root', file, 'variables', String(ROOT_REPEATS)]))!;
  const values = IO_ROWS * IO_COLUMNS;
  return [
    {
      name: `root read (jsroot + Node zlib, into typed arrays), ${IO_ROWS} x ${IO_COLUMNS} doubles`,
      value: values / ours / 1e6,
      unit: 'M values/s',
      note: `${ours.toFixed(2)} s, ${(statSync(file).size / 1e6).toFixed(1)} MB, zlib`,
    },
    {
      name: 'root read uproot (same file, into numpy arrays)',
      value: values / uproot.read / 1e6,
      unit: 'M values/s',
      note: `${uproot.read.toFixed(2)} s`,
    },
    { name: 'root read: ours / uproot', value: uproot.read / ours, unit: 'x', note: 'goal >= 0.5' },
  ];
}

async function duckdbIo(dir: string, table: Table): Promise<{ write: number; read: number }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const names = Object.keys(table.columns);
  const file = join(dir, 'duck.parquet');
  const [, write] = await timed(async () => {
    await connection.run(`CREATE OR REPLACE TABLE t (${names.map((n) => `${n} DOUBLE`).join(', ')})`);
    const appender = await connection.createAppender('t');
    const chunkRows = 2048;
    for (let start = 0; start < table.numRows; start += chunkRows) {
      const n = Math.min(chunkRows, table.numRows - start);
      const chunk = DuckDBDataChunk.create(
        names.map(() => DOUBLE),
        n,
      );
      names.forEach((name, c) => chunk.setColumnValues(c, Array.from((table.columns[name] as Float64Array).subarray(start, start + n))));
      appender.appendDataChunk(chunk);
    }
    appender.closeSync();
    await connection.run(`COPY t TO '${file}' (FORMAT parquet, COMPRESSION snappy)`);
  });
  const [, read] = await timed(async () => {
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${file}')`);
    const columns = reader.getColumns();
    return columns.map((values) => Float64Array.from(values as number[]));
  });
  connection.closeSync();
  instance.closeSync();
  return { write, read };
}

interface ParquetJs {
  ParquetSchema: new (fields: Record<string, { type: string }>) => unknown;
  ParquetWriter: {
    openFile(schema: unknown, path: string): Promise<{ appendRow(row: Record<string, number>): Promise<void>; close(): Promise<void> }>;
  };
  ParquetReader: { openFile(path: string): Promise<{ getCursor(): { next(): Promise<unknown> }; close(): Promise<void> }> };
}

async function parquetjsIo(dir: string, table: Table): Promise<{ write: number; read: number }> {
  const parquet = createRequire(import.meta.url)('parquetjs-lite') as ParquetJs;
  const names = Object.keys(table.columns);
  const schema = new parquet.ParquetSchema(Object.fromEntries(names.map((n) => [n, { type: 'DOUBLE' }])));
  const file = join(dir, 'parquetjs.parquet');
  const [, write] = await timed(async () => {
    const writer = await parquet.ParquetWriter.openFile(schema, file);
    for (let r = 0; r < table.numRows; r++) {
      const row: Record<string, number> = {};
      for (const n of names) row[n] = (table.columns[n] as Float64Array)[r];
      await writer.appendRow(row);
    }
    await writer.close();
  });
  const [, read] = await timed(async () => {
    const reader = await parquet.ParquetReader.openFile(file);
    const cursor = reader.getCursor();
    let count = 0;
    while (await cursor.next()) count++;
    await reader.close();
    return count;
  });
  return { write, read };
}
