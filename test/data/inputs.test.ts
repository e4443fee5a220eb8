// Input files as the client plans them: entries (paths, patterns, lists) resolved under the
// data root, hashed by content with a cache kept by stat, and the hashes in the cache keys,
// so that a file replaced in place re-runs exactly the preselection that reads it.
import { copyFile, mkdir, readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DagNode } from '../../core/dag.js';
import { DefinitionError } from '../../core/errors.js';
import { contentHash, sha256File } from '../../activities/lib/content-hash.js';
import { expandFileEntry } from '../../activities/lib/data-files.js';
import { compile } from '../../definitions/compile.js';
import { loadSpecText } from '../../definitions/load.js';
import { resolveInputs } from '../../client/inputs.js';
import { changedKeys, CODE, downstreamOf, edit, SMALL } from '../definitions/fixture.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

let dir: string;
let data: string;
let cache: string;

beforeAll(async () => {
  dir = await tempDir('inputs');
  data = join(dir, 'data');
  cache = join(dir, 'hash-cache');
  for (const [file, text] of Object.entries({
    'taus/b.root': 'second',
    'taus/a.root': 'first',
    'taus/c.parquet': 'not matched by *.root',
    'more/d.root': 'fourth',
    'mumu.parquet': 'mumu',
    'signal/idmdh_mchi1-0.5_mhp-0.5.parquet': 'signal 1',
    'signal/idmdh_mchi1-1_mhp-0.5.parquet': 'signal 2',
    'signal/idmdh_mchi1-1_mhp-1.parquet': 'signal 3',
  })) {
    await mkdir(join(data, file, '..'), { recursive: true });
    await writeFile(join(data, file), text);
  }
});
afterAll(removeTempDirs);

/** SMALL with its data root at `data`, `mine` reading `file` and the signal from files. */
function definition(file = 'mumu.parquet'): string {
  const signal = edit(SMALL, 'generate: { events: 200 }', "file: 'signal/{name}.parquet'");
  const text = edit(edit(signal, 'file: mumu.parquet', `file: ${file}`), 'luminosity: 100', 'luminosity: 100\ndata: { root: data }');
  return edit(text, 'where: m_hprime <= m_chi1', 'where: m_hprime <= m_chi1 && m_chi1 < 3');
}

const spec = (file?: string) => loadSpecText(definition(file), join(dir, 'small.yaml'));

async function problems(file: string): Promise<string[]> {
  try {
    await resolveInputs(spec(file), cache);
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    return (err as DefinitionError).messages;
  }
  throw new Error('the inputs resolved');
}

describe('resolving a definition input files', () => {
  it('expands patterns in sorted order and lists in their order, each file with the sha256 of its bytes', async () => {
    const inputs = await resolveInputs(spec('[taus/*.root, more/d.root]'), cache);
    expect(inputs.get('taus/*.root')).toEqual([
      { path: 'taus/a.root', sha256: await sha256File(join(data, 'taus/a.root')) },
      { path: 'taus/b.root', sha256: await sha256File(join(data, 'taus/b.root')) },
    ]);
    expect(inputs.get('more/d.root')).toEqual([{ path: 'more/d.root', sha256: await sha256File(join(data, 'more/d.root')) }]);
    expect([...inputs.keys()].filter((k) => k.startsWith('signal/'))).toHaveLength(3);
    const dag = compile(spec('[taus/*.root, more/d.root]'), { codeVersions: CODE, inputs });
    const { source } = (dag.nodes.find((n) => n.id === 'preselect/mine') as DagNode<'preselect'>).params.sample;
    expect('files' in source && source.files.map((f) => f.path)).toEqual(['taus/a.root', 'taus/b.root', 'more/d.root']);
  });

  it('names every missing file, empty pattern and file named twice at once', async () => {
    const messages = await problems('[taus/*.root, nothing/*.root, gone.root, taus/a.root]');
    const yaml = join(dir, 'small.yaml');
    expect(messages).toEqual([
      `${yaml}: sample mine: no file matches 'nothing/*.root' under the data root ${data}; check the pattern (relative to data.root).`,
      `${yaml}: sample mine: file 'gone.root' not found under the data root ${data}; check the path (relative to data.root) or create the file.`,
      `${yaml}: sample mine: 'taus/a.root' is named by two of its file entries ('taus/*.root' and 'taus/a.root'); name each file once.`,
    ]);
  });

  it('keeps pattern matches inside the data root, past what the loader already refuses', async () => {
    await writeFile(join(dir, 'outside.root'), 'outside');
    // The loader refuses '../' after normalising; a pattern given to the resolver directly meets the same rule per match.
    await expect(expandFileEntry(data, '*/../../*.root', 'mine')).rejects.toThrow(
      `sample mine: file '../outside.root' must be a path relative to data.root that stays inside it (no leading / and no ..).`,
    );
  });
});

describe('content hashes with a cache kept by stat', () => {
  it('reuse the cached hash while size and timestamps stay, and hash again when they change', async () => {
    const file = join(dir, 'cached.root');
    await writeFile(file, 'version one');
    const old = new Date(Date.now() - 60_000);
    await utimes(file, old, old);
    const own = join(dir, 'own-cache');
    const first = await contentHash(file, own);
    expect(first).toBe(await sha256File(file));
    // Prove the entry is what answers: tamper with it, and an unchanged file returns the tampered hash.
    const [entry] = await readdir(own);
    const text = await readFile(join(own, entry), 'utf8');
    await writeFile(join(own, entry), text.replace(first, 'from the cache'));
    expect(await contentHash(file, own)).toBe('from the cache');
    // Same size, same mtime restored (as `cp -p` would): the ctime still tells.
    await writeFile(file, 'version two');
    await utimes(file, old, old);
    expect((await stat(file)).size).toBe('version one'.length);
    expect(await contentHash(file, own)).toBe(await sha256File(file));
    expect(await contentHash(file, own)).not.toBe(first);
  });

  it('do not cache a file written moments ago, whose timestamp could repeat after another write', async () => {
    const file = join(dir, 'racy.root');
    await writeFile(file, 'fresh');
    const own = join(dir, 'racy-cache');
    expect(await contentHash(file, own)).toBe(await sha256File(file));
    await expect(readdir(own)).rejects.toThrow(/ENOENT/);
  });
});

describe('cache keys of input files', () => {
  it('a file replaced in place changes its sample preselection and what depends on it, and nothing else', async () => {
    const before = compile(spec('taus/*.root'), { codeVersions: CODE, inputs: await resolveInputs(spec('taus/*.root'), cache) });
    const again = compile(spec('taus/*.root'), { codeVersions: CODE, inputs: await resolveInputs(spec('taus/*.root'), cache) });
    expect(changedKeys(before, again)).toEqual(new Set());
    await copyFile(join(data, 'more/d.root'), join(data, 'taus/b.root'));
    const after = compile(spec('taus/*.root'), { codeVersions: CODE, inputs: await resolveInputs(spec('taus/*.root'), cache) });
    expect(changedKeys(before, after)).toEqual(downstreamOf(before, ['preselect/mine']));
  });
});
