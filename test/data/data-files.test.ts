// User files are read only below the directories a worker allows, after following symlinks:
// absolute paths, .. and links that leave the allowed roots are refused with one message.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDataFile } from '../../activities/lib/data-files.js';
import { loadSpecText } from '../../definitions/load.js';
import { DefinitionError } from '../../core/errors.js';
import { edit, SMALL } from '../definitions/fixture.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

let data: string;
let elsewhere: string;

beforeAll(async () => {
  data = await tempDir('data-root');
  elsewhere = await tempDir('elsewhere');
  writeFileSync(join(data, 'ntuple.parquet'), 'x');
  mkdirSync(join(data, 'sub'));
  writeFileSync(join(data, 'sub', 'inner.parquet'), 'x');
  writeFileSync(join(elsewhere, 'secret.parquet'), 'x');
  symlinkSync(join(elsewhere, 'secret.parquet'), join(data, 'link-out.parquet'));
  symlinkSync(join(data, 'sub'), join(data, 'link-in'));
});

afterAll(removeTempDirs);

const access = () => ({ dataRoot: data, allowedRoots: [data] });

describe('resolveDataFile', () => {
  it('resolves a relative path, and a symlink that stays inside, to the real file', async () => {
    expect(await resolveDataFile('ntuple.parquet', access(), 'a')).toBe(join(data, 'ntuple.parquet'));
    expect(await resolveDataFile('link-in/inner.parquet', access(), 'a')).toBe(join(data, 'sub', 'inner.parquet'));
  });

  it('refuses absolute paths and .., before touching the disk', async () => {
    await expect(resolveDataFile('/etc/passwd', access(), 'a')).rejects.toThrow(
      /^sample a: file '\/etc\/passwd' must be a path relative to data\.root/,
    );
    await expect(resolveDataFile('../elsewhere/secret.parquet', access(), 'a')).rejects.toThrow(/no leading \/ and no \.\./);
    await expect(resolveDataFile('sub/../../x', access(), 'a')).rejects.toThrow(/no leading \/ and no \.\./);
  });

  it('refuses a symlink that leads out of the allowed roots, naming where it leads and the fix', async () => {
    await expect(resolveDataFile('link-out.parquet', access(), 'b')).rejects.toMatchObject({
      code: 'input',
      message: expect.stringMatching(
        /^sample b: file 'link-out\.parquet' is .*secret\.parquet \(after following symlinks\), outside the directories this worker may read .*SWEEP_DATA_ROOTS/,
      ),
    });
    // Allowed once its directory is.
    expect(await resolveDataFile('link-out.parquet', { dataRoot: data, allowedRoots: [data, elsewhere] }, 'b')).toBe(
      join(elsewhere, 'secret.parquet'),
    );
  });

  it('refuses a data root outside the allowed roots, and names a missing file', async () => {
    await expect(resolveDataFile('secret.parquet', { dataRoot: elsewhere, allowedRoots: [data] }, 'c')).rejects.toThrow(
      /outside the directories this worker may read/,
    );
    await expect(resolveDataFile('nope.parquet', access(), 'c')).rejects.toThrow(
      /^sample c: file 'nope\.parquet' does not exist \(looked for .*nope\.parquet\)/,
    );
  });
});

describe('data.root in a definition', () => {
  const problems = (text: string, allowedRoots: string[]) => {
    try {
      loadSpecText(text, join(data, 'sweep.yaml'), { allowedRoots });
      return [];
    } catch (err) {
      if (err instanceof DefinitionError) return err.messages;
      throw err;
    }
  };

  it('must lie below the definition folder or SWEEP_DATA_ROOTS', () => {
    expect(problems(SMALL, [data])).toEqual([]);
    const absolute = edit(SMALL, 'luminosity: 100', 'luminosity: 100\ndata: { root: /etc }');
    expect(problems(absolute, [data])).toEqual([
      expect.stringMatching(/\/data\/root {2}"\/etc" is \/etc, outside the directories a sweep may read/),
    ]);
    expect(problems(absolute, [data, '/etc'])).toEqual([]);
    const up = edit(SMALL, 'luminosity: 100', 'luminosity: 100\ndata: { root: ../.. }');
    expect(problems(up, [data])).toEqual([
      expect.stringMatching(/\/data\/root {2}"\.\.\/\.\." is .*, outside the directories a sweep may read/),
    ]);
  });
});
