// The CLI's user-error path, end to end through `client/bin.js`: a bad definition exits 1
// with a message naming the line, and never with a stack trace. (The loader's messages
// themselves are tested in test/definitions.)
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { REPO_ROOT } from '../../activities/engine/code-version.js';
import { edit, lineOf, SMALL } from '../definitions/fixture.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { writeRootFiles } from '../helpers/root-files.js';
import { writeTable } from '../../activities/lib/parquet.js';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await tempDir('sweep-cli');
  // The fixture's file sample: validate hashes it and checks the cuts and features against its columns.
  const columns = ['eminus_nCDCHits', 'muplus_nCDCHits', 'nExtraTracks', 'missE', 'eminus_E', 'muplus_E', 'missPz'];
  await writeTable(join(dir, 'mumu.parquet'), {
    numRows: 1,
    columns: { event: Int32Array.of(1), ...Object.fromEntries(columns.map((c) => [c, Float64Array.of(1)])) },
  });
});

afterAll(removeTempDirs);

async function sweep(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // Commands that need a server talk to the test run's dev server, never to the embedded one.
    const env = { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress') };
    const { stdout, stderr } = await run(process.execPath, [join(REPO_ROOT, 'client/bin.js'), ...args], { cwd: dir, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const { code, stdout, stderr } = err as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

async function validate(name: string, text: string) {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, text);
  return { file, ...(await sweep('validate', file)) };
}

function expectUserError(result: { code: number; stderr: string }, ...fragments: string[]) {
  expect(result.code).toBe(1);
  for (const fragment of fragments) expect(result.stderr).toContain(fragment);
  expect(result.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack frames
}

describe('sweep validate', () => {
  it('accepts the fixture definition', async () => {
    const result = await validate('valid', SMALL);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('valid');
  });

  it('names every input file it cannot find, in one line each', async () => {
    const text = edit(SMALL, 'file: mumu.parquet', 'file: [mumu.parquet, absent/*.root, gone.parquet]');
    const { file, ...result } = await validate('missing-inputs', text);
    expectUserError(result, `${file}: sample mine: no file matches 'absent/*.root'`, `${file}: sample mine: file 'gone.parquet' not found`);
  });

  it('rejects a YAML syntax error with its line', async () => {
    const text = edit(SMALL, 'features: [eminus_E, muplus_E, missE, missPz]', 'features: [eminus_E, muplus_E, missE, missPz');
    const { file, ...result } = await validate('syntax', text);
    expectUserError(result, `${file}:`, 'YAML syntax');
  });

  it('rejects an unknown key with its line and a suggestion', async () => {
    const text = edit(SMALL, 'luminosity: 100', 'luminosity: 100\nluminosty: 200');
    const { file, ...result } = await validate('unknown-key', text);
    expectUserError(result, `${file}:${lineOf(text, 'luminosty')}:`, 'luminosty');
  });

  it('rejects a value of the wrong type with its line', async () => {
    const text = edit(SMALL, 'seed: 7', 'seed: seven');
    const { file, ...result } = await validate('wrong-type', text);
    expectUserError(result, `${file}:${lineOf(text, 'seed: seven')}:`, '/seed');
  });

  it('rejects a DVAE with latent dimension 1 with its line', async () => {
    const text = edit(SMALL, '  exclude:\n    - { architecture: DVAE, latentDim: 1 }\n', '');
    const { file, ...result } = await validate('dvae-l1', text);
    expectUserError(result, `${file}:`, 'DVAE');
    expect(result.stderr).toMatch(
      new RegExp(`${file}:(${lineOf(text, 'architecture: [AE, DVAE]')}|${lineOf(text, 'latentDim: [1, 2, 3]')}):`),
    );
  });

  it('checks every cut against the columns of the samples: unknown column, inherited name, syntax', async () => {
    const unknown = edit(SMALL, 'expr: "nExtraTracks == 0"', 'expr: "nExtraTrack == 0"');
    const first = await validate('cut-column', unknown);
    expectUserError(
      first,
      `${first.file}:${lineOf(unknown, 'nExtraTrack == 0')}:`,
      "unknown column 'nExtraTrack'",
      'did you mean "nExtraTracks"?',
    );
    const inherited = edit(SMALL, 'expr: "nExtraTracks == 0"', 'expr: "constructor(missE) > 0"');
    expectUserError(await validate('cut-inherited', inherited), "'constructor' is not an allowed function");
    const syntax = edit(SMALL, 'expr: "nExtraTracks == 0"', 'expr: "nExtraTracks == == 0"');
    expectUserError(await validate('cut-syntax', syntax), 'syntax error');
  });

  it('refuses YAML that expands aliases without bound, and .nan where a number belongs, in one line', async () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      ),
    ].join('\n');
    expectUserError(await validate('bomb', `${bomb}\n${SMALL}`), 'expands aliases (*name) too often');
    const nan = edit(SMALL, 'seed: 7', 'seed: .nan');
    expectUserError(await validate('nan', nan), 'got NaN');
  });

  it('rejects a reference to an undefined sample with its line', async () => {
    const text = edit(SMALL, 'taus: [tautau]', 'taus: [tautau, nosuch]');
    const { file, ...result } = await validate('undefined-sample', text);
    expectUserError(result, `${file}:${lineOf(text, 'nosuch')}:`, 'nosuch');
  });
});

describe('sweep usage errors', () => {
  it('explains a missing --out and an unknown command in one line each', async () => {
    expectUserError(await sweep('run', 'x.yaml'), '--out DIR');
    expectUserError(await sweep('frobnicate'), 'unknown command "frobnicate"');
  });

  it('says when a sweep has no report, in one line', async () => {
    expectUserError(await sweep('report', 'nosuch'), '/sweep/nosuch');
    expect((await sweep('report', 'nosuch')).stderr).toMatch(/no sweep with id sweep-cli-\w+-[0-9a-f]{6}\/sweep\/nosuch/);
  });
});

describe('sweep inspect', () => {
  const DEFINITION = `${SMALL.replace('{ name: mine, process: mumu, file: mumu.parquet, weight: 2 }', '{ name: mine, process: mumu, file: mine.root }')}columns: { missE: E_miss }\n`;

  beforeAll(async () => {
    const branch = (type: string, values: unknown[]) => ({ type, values });
    await writeRootFiles([
      {
        path: join(dir, 'mine.root'),
        trees: [
          {
            name: 'variables',
            branches: {
              event: branch('uint32', [1, 1, 2]),
              E_miss: branch('float64', [1, 2, 3]),
              eminus_E: branch('float32', [1, 2, 3]),
              muplus_e: branch('float64', [1, 2, 3]),
              nExtraTracks: branch('int32', [0, 1, 0]),
              missPz: branch('var * float64', [[1], [], [2, 3]]),
            },
          },
          { name: 'meta', branches: { runs: branch('int32', [1]) } },
        ],
      },
    ]);
    await writeFile(join(dir, 'inspect.yaml'), DEFINITION);
  });

  it('shows a tree: its columns, their types and the row count', async () => {
    const result = await sweep('inspect', 'mine.root', '--tree', 'variables');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("mine.root: ROOT file, tree 'variables', 3 rows, 7 columns"); // uproot adds the counter nmissPz
    expect(result.stdout).toMatch(/\nevent +uint32\n/);
    expect(result.stdout).toMatch(/\neminus_E +float\n/);
    expect(result.stdout).toMatch(/\nmissPz +double\[nmissPz\] \(not readable\)\n/);
    expect(result.stdout).toContain("branch 'missPz' of tree 'variables'");
  });

  it('lists the columns a definition reads that the file lacks, through its mapping, with suggestions; exit 1', async () => {
    const result = await sweep('inspect', 'mine.root', '--tree', 'variables', '--definition', 'inspect.yaml');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('inspect.yaml reads 8 columns of this file: 4 there as numbers, 4 not:');
    expect(result.stdout).toContain('lacks \'muplus_E\', read as feature; did you mean "muplus_e"?');
    expect(result.stdout).toContain("lacks 'eminus_nCDCHits', read as preselection cut 'goodTracks'");
    expect(result.stdout).toContain("'missPz', read as feature, branch 'missPz' of tree 'variables'");
    expect(result.stdout).not.toContain("lacks 'missE'"); // read as E_miss, as `columns` maps it
  });

  it('a file with several trees and no --tree, or no such tree: one line, exit 1', async () => {
    expectUserError(await sweep('inspect', 'mine.root'), 'holds several trees (variables, meta)');
    expectUserError(await sweep('inspect', 'mine.root', '--tree', 'variable'), `has no tree 'variable'; did you mean "variables"?`);
    expectUserError(await sweep('inspect', 'mumu.parquet', '--tree', 'variables'), '--tree picks a TTree of a ROOT file');
  });

  it('shows a Parquet file the same way', async () => {
    const result = await sweep('inspect', 'mumu.parquet');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('mumu.parquet: Parquet file, 1 rows, 8 columns');
    expect(result.stdout).toMatch(/\nevent +int32/);
  });
});
