// The CLI's user-error path, end to end through `client/bin.js`: a bad definition exits 1
// with a message naming the line, and never with a stack trace. (The loader's messages
// themselves are tested in test/definitions.)
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edit, lineOf, SMALL } from '../definitions/fixture.js';
import { sweepCli } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

let dir: string;

beforeAll(async () => {
  dir = await tempDir('sweep-cli');
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
    expectUserError(await sweep('report', 'nosuch'), 'no sweep with id sweep/nosuch');
  });
});
