// Code versions: a kind's hash covers its entry and every local module it reaches, and
// nothing else, so only edits to a kind's own code invalidate its cache.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { localModuleTree, sourceTreeHash } from '../../activities/engine/code-version.js';
import { codeVersions, runnerEntries } from '../../activities/registry.js';
import { NODE_KINDS } from '../../core/dag.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

afterAll(removeTempDirs);

async function project(files: Record<string, string>): Promise<string> {
  const root = await tempDir('sweep-code');
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), text);
  }
  return root;
}

const FILES = {
  'kind/index.ts':
    "import { helper } from './helper.js';\nexport * from '../shared/math.js';\nconst worker = new URL('./child.js', import.meta.url);\nimport fs from 'node:fs';\n",
  'kind/helper.ts': "import data from './table.json' with { type: 'json' };\nexport const helper = () => import('../shared/late.js');\n",
  'kind/child.ts': 'export {};\n',
  'kind/table.json': '[1, 2]\n',
  'shared/math.ts': 'export const two = 2;\n',
  'shared/late.ts': 'export const late = 1;\n',
  'shared/unrelated.ts': 'export const other = 3;\n',
};

describe('code versions', () => {
  it('follows static, re-exported, dynamic and new URL(..., import.meta.url) local imports', async () => {
    const root = await project(FILES);
    const tree = (await localModuleTree(join(root, 'kind/index.ts'))).map((f) => f.slice(root.length + 1));
    expect(tree).toEqual(['kind/child.ts', 'kind/helper.ts', 'kind/index.ts', 'kind/table.json', 'shared/late.ts', 'shared/math.ts']);
  });

  it('changes when a reachable module changes and only then', async () => {
    const root = await project(FILES);
    const entry = join(root, 'kind/index.ts');
    const before = await sourceTreeHash(entry);
    await writeFile(join(root, 'shared/unrelated.ts'), 'export const other = 4;\n');
    expect(await sourceTreeHash(entry)).toBe(before);
    await writeFile(join(root, 'shared/late.ts'), 'export const late = 2;\n');
    expect(await sourceTreeHash(entry)).not.toBe(before);
  });

  it('gives every kind of the registry a version, hashed from the entry its loader imports', async () => {
    const versions = await codeVersions();
    expect(Object.keys(versions)).toEqual([...NODE_KINDS]);
    for (const kind of NODE_KINDS) expect(versions[kind]).toMatch(/^[0-9a-f]{64}$/);
    const entries = await runnerEntries();
    for (const kind of NODE_KINDS) {
      expect(existsSync(entries[kind])).toBe(true);
      expect(versions[kind]).toBe(await sourceTreeHash(entries[kind]));
    }
    expect(entries.fitScaler).toMatch(/activities\/fit-scaler\/index\.ts$/);
  });

  it('covers the fused kernel (C sources and the committed kernel.wasm) in the train and score kinds, not the host-built addon', async () => {
    const entries = await runnerEntries();
    for (const kind of ['train', 'score'] as const) {
      const tree = await localModuleTree(entries[kind]);
      for (const file of ['kernel.c', 'kernel.h', 'addon.c', 'kernel.wasm']) {
        expect(
          tree.some((path) => path.endsWith(`activities/train/fused/${file}`)),
          `${kind}: ${file}`,
        ).toBe(true);
      }
      expect(tree.filter((path) => path.includes('.sweep') || !existsSync(path))).toEqual([]);
    }
  });
});
