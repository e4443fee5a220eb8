// The CLI's user-error path, end to end through `client/bin.js`: a bad definition exits 1
// with a message naming the line, a command line it cannot follow exits 2 with one line
// naming the fault and the usage, never a stack trace; and the messages of `sweep cancel`.
// (The loader's messages themselves are tested in test/definitions.)
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edit, lineOf, SMALL } from '../definitions/fixture.js';
import { startSweepCli, sweepCli } from '../helpers/cli.js';
import { startTestEngine, tempHomeWithBundle, testDag, uniqueName, type TestEngine } from '../helpers/engine.js';
import { testRunners } from '../helpers/runners.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { writeRootFiles } from '../helpers/root-files.js';
import { writeTable } from '../../activities/lib/parquet.js';

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

const sweep = (...args: string[]) => sweepCli(args, { cwd: dir });

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

  it('takes --set PATH=VALUE, and names it in the message when its value is refused', async () => {
    const { file } = await validate('set', SMALL);
    const ok = await sweep('validate', file, '--set', 'training.preset=thesis', '--set', 'models.matrix.seed=[1, 2]');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/valid, \d+ nodes .*10 train/);
    const bad = await sweep('validate', file, '--set', 'training.preset=slow');
    expectUserError(bad, '/training/preset', '(set by --set training.preset=slow)');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('reports a misspelt required key in one line', async () => {
    const text = edit(SMALL, 'luminosity: 100', 'luminosty: 100');
    const { file, ...result } = await validate('renamed-key', text);
    expectUserError(result, `${file}:${lineOf(text, 'luminosty')}:`, 'did you mean "luminosity"?');
    expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('rejects a reference to an undefined sample with its line', async () => {
    const text = edit(SMALL, 'taus: [tautau]', 'taus: [tautau, nosuch]');
    const { file, ...result } = await validate('undefined-sample', text);
    expectUserError(result, `${file}:${lineOf(text, 'nosuch')}:`, 'nosuch');
  });
});

describe('sweep usage errors: one line naming the fault and the usage, exit code 2', () => {
  /** Exactly these stderr lines, exit code 2, nothing on stdout. */
  async function expectUsage(args: string[], ...lines: string[]) {
    const result = await sweep(...args);
    expect(result.stderr.split('\n').filter(Boolean)).toEqual(lines);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
  }

  it('prints the help and exits with 2 without a command (and 0 when asked for it)', async () => {
    const bare = await sweep();
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/^sweep - declarative autoencoder sweeps on Temporal\n\nUsage:\n/);
    const help = await sweep('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(bare.stderr);
  });

  it('names an unknown command or option, suggesting the closest', async () => {
    await expectUsage(['statu'], 'sweep: unknown command "statu"; did you mean "status"? (`sweep --help` lists the commands)');
    await expectUsage(['frobnicate'], 'sweep: unknown command "frobnicate" (`sweep --help` lists the commands)');
    await expectUsage(['validate', '--strict', 'x.yaml'], 'sweep: unknown option --strict (usage: sweep validate FILE [--set PATH=VALUE])');
    await expectUsage(
      ['plan', 'x.yaml', '--unti', 'preselect'],
      'sweep: unknown option --unti; did you mean "--until"? (usage: sweep plan FILE [--json|--dot|--mermaid] [--until KIND] [--set PATH=VALUE])',
    );
    await expectUsage(
      ['worker', '--cpu-slot', '2'],
      'sweep: unknown option --cpu-slot; did you mean "--cpu-slots"? (usage: sweep worker [options])',
    );
  });

  it('names a missing or unexpected value or argument', async () => {
    await expectUsage(
      ['plan', 'x.yaml', '--until'],
      'sweep: --until needs a value (usage: sweep plan FILE [--json|--dot|--mermaid] [--until KIND] [--set PATH=VALUE])',
    );
    await expectUsage(
      ['plan', 'x.yaml', '--json=yes'],
      'sweep: --json takes no value (usage: sweep plan FILE [--json|--dot|--mermaid] [--until KIND] [--set PATH=VALUE])',
    );
    await expectUsage(['validate'], 'sweep: FILE missing (usage: sweep validate FILE [--set PATH=VALUE])');
    await expectUsage(
      ['validate', 'a.yaml', 'b.yaml'],
      'sweep: unexpected argument "b.yaml" (usage: sweep validate FILE [--set PATH=VALUE])',
    );
    await expectUsage(['server', 'now'], 'sweep: unexpected argument "now" (usage: sweep server)');
    await expectUsage(['run', 'x.yaml'], 'sweep: sweep run needs --out DIR: where summary.json, the result tables and the report go');
  });
});

describe('sweep report', () => {
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

  it('a file with several trees and no --tree, or no such tree: one line, exit 1; --tree on a Parquet file: exit 2', async () => {
    expectUserError(await sweep('inspect', 'mine.root'), 'holds several trees (variables, meta)');
    expectUserError(await sweep('inspect', 'mine.root', '--tree', 'variable'), `has no tree 'variable'; did you mean "variables"?`);
    // An option that does not apply to the file is a command-line mistake (exit 2, as every usage error).
    const parquet = await sweep('inspect', 'mumu.parquet', '--tree', 'variables');
    expect(parquet.code).toBe(2);
    expect(parquet.stderr.trim().split('\n')).toEqual([
      'sweep: --tree picks a TTree of a ROOT file (.root); mumu.parquet is read as Parquet',
    ]);
  });

  it('shows a Parquet file the same way', async () => {
    const result = await sweep('inspect', 'mumu.parquet');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('mumu.parquet: Parquet file, 1 rows, 8 columns');
    expect(result.stdout).toMatch(/\nevent +int32/);
  });
});

describe('sweep cancel', () => {
  let engine: TestEngine | undefined;
  afterAll(() => engine?.close());

  it('cancels a sweep, and a `sweep resume` watching it says so in one line and exits with 1', async () => {
    // The watcher shares the engine's store (which holds the sweep's Dag) and project.
    const home = await tempHomeWithBundle();
    engine = await startTestEngine(home, { runners: testRunners });
    const name = uniqueName('cancel');
    const project = engine.scope.project;
    const id = `${project}/sweep/${name}`;
    await engine.start(testDag(name, [{ id: 'wait', params: { waitForFile: join(dir, 'never') } }]));
    // `sweep resume` attaches to the live sweep and follows it as `sweep run` does; the node
    // already runs on the test engine's worker, which keeps it.
    const elsewhere = await sweepCli(['resume', name], { env: { SWEEP_HOME: await tempHomeWithBundle(), SWEEP_PROJECT: project } });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(`${id} was submitted with another artifact store`);
    expect(elsewhere.stderr).not.toMatch(/\n\s+at /);
    const watcher = startSweepCli(['resume', name], { env: { SWEEP_HOME: home, SWEEP_PROJECT: project } });
    await watcher.stderrContains('progress: preselect 0/1');
    const cancel = await sweepCli(['cancel', name], { cwd: dir, env: { SWEEP_PROJECT: project } });
    expect(cancel).toEqual({ code: 0, stdout: `cancellation requested for ${id}\n`, stderr: '' });
    const watched = await watcher.done;
    expect(watched.code).toBe(1);
    expect(watched.stderr.trimEnd().split('\n').at(-1)).toBe(
      `sweep: ${id} was cancelled; \`sweep resume ${id}\` starts it again (finished nodes are cache hits)`,
    );
    expect(watched.stderr + watched.stdout).not.toContain('sweep sweep/');
  });
});
