// The ROOT reader (activities/lib/root.ts) on real files written by uproot: every numeric
// branch type, several baskets, each compression, and every kind of bad input with the one
// message that names the file, the tree or branch and the fix.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { readRootColumnInfo, readRootTable } from '../../activities/lib/root.js';
import { writeRootFiles, type RootTreeJob } from '../helpers/root-files.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

let dir: string;
afterAll(removeTempDirs);

const ROWS = 10;
/** Every numeric type basf2 (and ROOT) writes as a flat branch, with values at the edges of each type. */
const TYPES: Record<string, { type: string; values: number[] }> = {
  d: { type: 'float64', values: Array.from({ length: ROWS }, (_, i) => (i === 3 ? Number.NaN : i * 1.25 - 4.1)) },
  f: { type: 'float32', values: Array.from({ length: ROWS }, (_, i) => i / 3 - 1) },
  i: { type: 'int32', values: Array.from({ length: ROWS }, (_, i) => (i % 2 ? -1 : 1) * (2 ** 31 - 1 - i)) },
  o: { type: 'bool', values: Array.from({ length: ROWS }, (_, i) => i % 3 === 0) as unknown as number[] },
  u: { type: 'uint32', values: Array.from({ length: ROWS }, (_, i) => 2 ** 32 - 1 - i) },
  l: { type: 'int64', values: Array.from({ length: ROWS }, (_, i) => (i % 2 ? -1 : 1) * (2 ** 40 + i)) },
  s: { type: 'int16', values: Array.from({ length: ROWS }, (_, i) => -32768 + i * 7000) },
  b: { type: 'int8', values: Array.from({ length: ROWS }, (_, i) => -128 + i * 25) },
  ub: { type: 'uint8', values: Array.from({ length: ROWS }, (_, i) => 255 - i * 20) },
};
const EXPECTED: Record<string, { type: string; column: ArrayLike<number> }> = {
  d: { type: 'double', column: Float64Array.from(TYPES.d.values) },
  f: { type: 'float', column: Float32Array.from(TYPES.f.values) },
  i: { type: 'int32', column: Int32Array.from(TYPES.i.values) },
  o: { type: 'bool', column: Uint8Array.from(TYPES.o.values, Number) },
  u: { type: 'uint32', column: Float64Array.from(TYPES.u.values) },
  l: { type: 'int64', column: Float64Array.from(TYPES.l.values) },
  s: { type: 'int16', column: Int32Array.from(TYPES.s.values) },
  b: { type: 'int8', column: Int32Array.from(TYPES.b.values) },
  ub: { type: 'uint8', column: Uint8Array.from(TYPES.ub.values) },
};

const flat: RootTreeJob = { name: 'variables', branches: TYPES };
const odd: RootTreeJob = {
  name: 'variables',
  branches: {
    x: { type: 'float64', values: [1, 2] },
    njag: { type: 'int32', values: [1, 2] },
    jag: { type: 'var * float64', values: [[1.5], [2.5, 3.5]] },
    p3: {
      type: 'float64',
      values: [
        [1, 2, 3],
        [4, 5, 6],
      ],
    },
  },
};

beforeAll(async () => {
  dir = await tempDir('root-test');
  await writeRootFiles([
    ...(['zlib', 'lzma', 'none'] as const).map((compression) => ({
      path: join(dir, `types-${compression}.root`),
      compression,
      basket: 3,
      trees: [flat],
    })),
    { path: join(dir, 'two-trees.root'), trees: [flat, { name: 'meta', branches: { n: { type: 'int32', values: [1] } } }] },
    { path: join(dir, 'odd.root'), trees: [odd] },
  ]);
  writeFileSync(join(dir, 'text.root'), 'event,missE\n1,2.5\n');
  const whole = readFileSync(join(dir, 'types-zlib.root'));
  writeFileSync(join(dir, 'truncated.root'), whole.subarray(0, Math.floor(whole.length * 0.6)));
});

async function userError(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('ROOT TTrees through jsroot', () => {
  for (const compression of ['zlib', 'lzma', 'none']) {
    it(`reads every numeric branch type exactly, across several baskets (${compression})`, async () => {
      const path = join(dir, `types-${compression}.root`);
      const info = await readRootColumnInfo(path);
      expect(info.tree).toBe('variables');
      expect(info.rows).toBe(ROWS);
      expect([...info.columns].map(([name, c]) => [name, c.type, c.numeric])).toEqual(
        Object.entries(EXPECTED).map(([name, e]) => [name, e.type, true]),
      );
      const table = await readRootTable(path, 'variables');
      expect(table.numRows).toBe(ROWS);
      for (const [name, expected] of Object.entries(EXPECTED)) {
        expect(table.columns[name], name).toEqual(expected.column);
      }
    });
  }

  it('reads only the branches asked for, and names a missing one with a suggestion', async () => {
    const path = join(dir, 'types-zlib.root');
    const table = await readRootTable(path, undefined, ['u', 'd']);
    expect(Object.keys(table.columns)).toEqual(['u', 'd']);
    const message = await userError(readRootTable(path, 'variables', ['d', 'uu']));
    expect(message).toContain(`${path}: tree 'variables' has no branch 'uu'; did you mean "u"?`);
  });

  it('a missing tree: names the file, the tree and the trees it holds', async () => {
    const path = join(dir, 'two-trees.root');
    const message = await userError(readRootColumnInfo(path, 'variable'));
    expect(message).toBe(
      `${path} has no tree 'variable'; did you mean "variables"?; it holds the trees variables, meta: name one of them as the sample's tree.`,
    );
    expect(await userError(readRootColumnInfo(path))).toContain(`${path} holds several trees (variables, meta); name the one to read`);
    expect((await readRootColumnInfo(path, 'meta')).rows).toBe(1);
  });

  it('a jagged branch: says it is one array per row and how to flatten it, wherever it is asked for', async () => {
    const path = join(dir, 'odd.root');
    const info = await readRootColumnInfo(path);
    const jag = info.columns.get('jag')!;
    expect(jag).toMatchObject({ numeric: false, type: 'double[njag]' });
    expect(jag.unreadable).toContain(`branch 'jag' of tree 'variables' in ${path} holds a variable-length array per row`);
    expect(jag.unreadable).toContain('write the ntuple with basf2 variablesToNtuple (one row per candidate)');
    expect(jag.unreadable).toContain('ak.flatten');
    expect(await userError(readRootTable(path, undefined, ['x', 'jag']))).toBe(jag.unreadable);
    expect((await readRootTable(path, undefined, ['x', 'njag'])).columns).toEqual({
      x: Float64Array.from([1, 2]),
      njag: Int32Array.from([1, 2]),
    });
  });

  it('a branch of the wrong type (several numbers per row): says what it holds and the fix', async () => {
    const path = join(dir, 'odd.root');
    const p3 = (await readRootColumnInfo(path)).columns.get('p3')!;
    expect(p3).toMatchObject({ numeric: false, type: 'double[3]' });
    expect(p3.unreadable).toBe(
      `branch 'p3' of tree 'variables' in ${path} holds 3 numbers per row (p3[3]/D); the sweep reads one number per branch and row: write each element as a branch of its own.`,
    );
    expect(await userError(readRootTable(path, undefined, ['p3']))).toBe(p3.unreadable);
  });

  it('a file that is not ROOT, a truncated one and a missing one: one message each', async () => {
    expect(await userError(readRootColumnInfo(join(dir, 'text.root')))).toBe(
      `${join(dir, 'text.root')} is not a ROOT file (it does not begin with the bytes "root"); give a ROOT file as basf2, ROOT or uproot write it, or a Parquet file (.parquet).`,
    );
    const truncated = join(dir, 'truncated.root');
    expect(await userError(readRootTable(truncated, 'variables'))).toBe(
      `${truncated} is a damaged ROOT file (its header gives ${readFileSync(join(dir, 'types-zlib.root')).length} bytes, ` +
        `the file has ${readFileSync(truncated).length}); it may be truncated or still being written: write it again.`,
    );
    expect(await userError(readRootColumnInfo(join(dir, 'absent.root')))).toBe(
      `ROOT file not found: ${join(dir, 'absent.root')}; check the path (relative to the data root) or create the file.`,
    );
  });
});
