// Nothing damaged is used: a corrupted artifact found as a cache hit, or as the input of a
// node, is quarantined and computed again, through the real sweep workflow and dev server.
import { readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactStore } from '../../activities/engine/store.js';
import type { Dag } from '../../core/dag.js';
import { startTestEngine, tempHome, testDag, uniqueName, type TestEngine } from '../helpers/engine.js';
import { OUTPUT_FILE } from '../helpers/runners.js';
import { removeTempDirs } from '../helpers/temp.js';

let engine: TestEngine;
let home: string;
let store: ArtifactStore;

beforeAll(async () => {
  home = await tempHome();
  store = ArtifactStore.fromHome(home);
  engine = await startTestEngine(home);
});

afterAll(async () => {
  await engine?.close();
  await removeTempDirs();
});

/** commits.log lines per node of `dag` (by cache key: node ids repeat across tests). */
function commitsPerNode(dag: Dag): Record<string, number> {
  const lines = readFileSync(join(store.root, 'commits.log'), 'utf8').trim().split('\n');
  return Object.fromEntries(dag.nodes.map((n) => [n.id, lines.filter((line) => line.split('\t')[2] === n.cacheKey).length]));
}

/** Flips one byte of a committed file, keeping its size. */
async function flipByte(dir: string): Promise<void> {
  const path = join(dir, OUTPUT_FILE);
  const bytes = readFileSync(path);
  bytes[0] = bytes[0]! ^ 0x20;
  await writeFile(path, bytes);
}

describe('integrity', () => {
  it('a damaged cache hit is quarantined and recomputed; intact ones stay cache hits', async () => {
    const name = uniqueName('cachehit');
    const dag = testDag(name, [
      { id: 'a', kind: 'generate' },
      { id: 'b', deps: ['a'] },
      { id: 'c', kind: 'train', deps: ['b'] },
    ]);
    const first = await (await engine.start(dag)).handle.result();
    expect(first.failures).toEqual([]);
    const b = first.nodes.find((n) => n.id === 'b')!;
    await flipByte(new URL(b.artifact!.uri).pathname);

    const second = await (await engine.start(dag)).handle.result();
    expect(second.failures).toEqual([]);
    const hits = Object.fromEntries(second.nodes.map((n) => [n.id, n.cacheHit]));
    expect(hits).toEqual({ a: true, b: false, c: true });
    expect(commitsPerNode(dag)).toEqual({ a: 1, b: 2, c: 1 });
    expect(await readdir(join(store.root, '.quarantine', 'preselect'))).toHaveLength(1);
    expect(await store.verify('preselect', dag.nodes[1]!.cacheKey)).toEqual([]);
  });

  it('a node whose input was damaged after it was made sends the input back to be computed again', async () => {
    const name = uniqueName('input');
    const gate = join(home, `${name}.gate`);
    // b also waits for g, which waits for the gate: so a is damaged after its commit and
    // before b starts and checks its inputs, whatever the machine's load.
    const dag = testDag(name, [
      { id: 'a', kind: 'generate' },
      { id: 'g', kind: 'generate', params: { waitForFile: gate } },
      { id: 'b', deps: ['a', 'g'] },
    ]);
    const { handle } = await engine.start(dag);
    const a = store.dirFor('generate', dag.nodes[0]!.cacheKey);
    const deadline = Date.now() + 20_000;
    while (!(await store.lookup('generate', dag.nodes[0]!.cacheKey))) {
      if (Date.now() > deadline) throw new Error('a never committed');
      await new Promise((r) => setTimeout(r, 50));
    }
    await flipByte(a);
    await writeFile(gate, '');
    const result = await handle.result();
    expect(result.failures).toEqual([]);
    expect(commitsPerNode(dag)).toEqual({ a: 2, g: 1, b: 1 });
    // b read the recomputed a, whole.
    const bOut = result.nodes.find((n) => n.id === 'b')!;
    expect(bOut.summary).toMatchObject({ inputs: { a: 'a\n'.length } });
  });
});
