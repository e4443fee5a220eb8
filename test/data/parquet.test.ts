import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { numericColumn, readColumnInfo, readTable, writeTable, type Table } from '../../activities/lib/parquet.js';

const PYTHON = join(import.meta.dirname, '../../.sweep/venv/bin/python');
const dir = mkdtempSync(join(tmpdir(), 'parquet-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sampleTable(n: number): Table {
  return {
    numRows: n,
    columns: {
      x: Float64Array.from({ length: n }, (_, i) => (i === 3 ? NaN : i * 0.25 - 7)),
      f: Float32Array.from({ length: n }, (_, i) => i / 3),
      event: Int32Array.from({ length: n }, (_, i) => 1_000_000 + i),
      split: Uint8Array.from({ length: n }, (_, i) => i % 2),
      process: Array.from({ length: n }, (_, i) => (i % 3 ? 'tautau' : 'mumu')),
    },
  };
}

/** What pyarrow and pandas see in the file: types, row count, sums. */
function pythonView(path: string): Record<string, unknown> {
  expect(existsSync(PYTHON), `${PYTHON} missing: run "npm run setup" to install pyarrow`).toBe(true);
  const script = `
import json, sys, pyarrow.parquet as pq, pandas as pd
t = pq.read_table(sys.argv[1]); d = pd.read_parquet(sys.argv[1])
print(json.dumps({"types": {f.name: str(f.type) for f in t.schema}, "rows": t.num_rows, "pandasRows": len(d),
  "dtypes": {c: str(d[c].dtype) for c in d.columns}, "xNan": int(d["x"].isna().sum()) if len(d) else 0,
  "xSum": float(d["x"].sum()), "eventMax": int(d["event"].max()) if len(d) else 0,
  "mumu": int((d["process"] == "mumu").sum()), "splitSum": int(d["split"].sum())}))`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script, path], { encoding: 'utf8' })) as Record<string, unknown>;
}

describe('Parquet I/O', () => {
  it('round-trips every column type into the same typed arrays', async () => {
    const table = sampleTable(5000);
    const path = join(dir, 'round.parquet');
    await writeTable(path, table);
    const back = await readTable(path);
    expect(back.numRows).toBe(5000);
    expect(back.columns.x).toBeInstanceOf(Float64Array);
    expect(back.columns.f).toBeInstanceOf(Float32Array);
    expect(back.columns.event).toBeInstanceOf(Int32Array);
    expect(back.columns.split).toBeInstanceOf(Uint8Array);
    expect(back).toEqual(table);
    const some = await readTable(path, ['split', 'x']);
    expect(Object.keys(some.columns)).toEqual(['split', 'x']);
    expect(some.columns.x).toEqual(table.columns.x);
    const info = await readColumnInfo(path);
    expect(info.rows).toBe(5000);
    expect([...info.columns]).toEqual([
      ['x', { numeric: true, type: 'double' }],
      ['f', { numeric: true, type: 'float' }],
      ['event', { numeric: true, type: 'int32' }],
      ['split', { numeric: true, type: 'uint8' }],
      ['process', { numeric: false, type: 'string' }],
    ]);
  });

  it('writes files that pyarrow and pandas read with the same types and values', async () => {
    const table = sampleTable(5000);
    const path = join(dir, 'python.parquet');
    await writeTable(path, table);
    const view = pythonView(path);
    expect(view.types).toEqual({ x: 'double', f: 'float', event: 'int32', split: 'uint8', process: 'string' });
    expect(view.dtypes).toEqual({ x: 'float64', f: 'float32', event: 'int32', split: 'uint8', process: 'object' });
    expect(view.rows).toBe(5000);
    expect(view.pandasRows).toBe(5000);
    expect(view.xNan).toBe(1);
    const x = table.columns.x as Float64Array;
    expect(view.xSum).toBeCloseTo(
      x.reduce((s, v) => (Number.isNaN(v) ? s : s + v), 0),
      6,
    );
    expect(view.eventMax).toBe(1_004_999);
    expect(view.mumu).toBe((table.columns.process as string[]).filter((p) => p === 'mumu').length);
    expect(view.splitSum).toBe(2500);
  });

  it('writes and reads an empty table (a sample with no event left)', async () => {
    const path = join(dir, 'empty.parquet');
    await writeTable(path, sampleTable(0));
    expect(await readTable(path)).toEqual(sampleTable(0));
    expect(pythonView(path).rows).toBe(0);
  });

  it('reads files written by pyarrow, including int64 and nullable columns', async () => {
    const path = join(dir, 'from-pandas.parquet');
    execFileSync(PYTHON, [
      '-c',
      `
import pandas as pd, numpy as np
pd.DataFrame({"event": np.arange(4, dtype="int64"), "e": [1.5, None, 2.5, 3.0], "name": list("abcd")}).to_parquet("${path}")`,
    ]);
    const table = await readTable(path, ['event', 'e', 'name']);
    expect(table.columns.event).toEqual(Float64Array.from([0, 1, 2, 3]));
    expect(Array.from(table.columns.e as Float64Array)).toEqual([1.5, NaN, 2.5, 3]);
    expect(table.columns.name).toEqual(['a', 'b', 'c', 'd']);
  });

  it('says which file is missing and what to do', async () => {
    const path = join(dir, 'nope.parquet');
    await expect(readTable(path)).rejects.toThrow(UserError);
    await expect(readTable(path)).rejects.toThrow(`Parquet file not found: ${path}; check the path`);
  });

  it('says when a file is not Parquet', async () => {
    const path = join(dir, 'ntuple.csv');
    writeFileSync(path, 'event,missE\n1,2.5\n2,3.5\n');
    await expect(readTable(path)).rejects.toThrow(UserError);
    await expect(readTable(path)).rejects.toThrow(`${path} is not a Parquet file (no PAR1 magic bytes)`);
    const torn = join(dir, 'torn.parquet');
    writeFileSync(torn, Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 7), Buffer.from('PAR1')]));
    await expect(readTable(torn)).rejects.toThrow(/torn.parquet is not a readable Parquet file/);
  });

  it('lists the columns a file has when a requested one is missing', async () => {
    const path = join(dir, 'columns.parquet');
    await writeTable(path, sampleTable(10));
    await expect(readTable(path, ['x', 'missE'])).rejects.toThrow(UserError);
    await expect(readTable(path, ['x', 'missE'])).rejects.toThrow(`has no column 'missE'; it has: x, f, event, split, process.`);
  });

  it('names a text column where a number is required', async () => {
    const table = sampleTable(3);
    expect(() => numericColumn(table, 'process', 'sample tautau')).toThrow(UserError);
    expect(() => numericColumn(table, 'process', 'sample tautau')).toThrow(
      "sample tautau: column 'process' holds text, but a number is required here.",
    );
    expect(numericColumn(table, 'x', 'sample tautau')).toBe(table.columns.x);
  });
});
