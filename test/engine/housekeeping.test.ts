// sweep verify and sweep gc on a real store and a real dev server: damaged artifacts found
// and set aside; stale staging, finished and abandoned work, unreferenced artifacts and Dags
// listed, removed only when asked, and nothing a sweep still references touched.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DagStore } from '../../activities/engine/dags.js';
import { ArtifactStore } from '../../activities/engine/store.js';
import { collectGarbage, verifyStore } from '../../client/housekeeping.js';
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

describe('sweep verify', () => {
  it('hashes every artifact, names the damaged file, and with --repair sets it aside', async () => {
    const dag = testDag(uniqueName('verify'), [
      { id: 'a', kind: 'generate' },
      { id: 'b', deps: ['a'] },
    ]);
    const result = await (await engine.start(dag)).handle.result();
    expect(result.failures).toEqual([]);
    const dir = new URL(result.nodes.find((n) => n.id === 'b')!.artifact!.uri).pathname;
    await writeFile(join(dir, OUTPUT_FILE), 'B\n'); // same size as "b\n"
    const checked = await verifyStore(home, false);
    expect(checked.problems).toEqual([`preselect/${dag.nodes[1]!.cacheKey}/${OUTPUT_FILE}: content differs from the manifest`]);
    expect(checked.repaired).toEqual([]);
    expect(existsSync(dir)).toBe(true);
    const repaired = await verifyStore(home, true);
    expect(repaired.repaired).toEqual([expect.stringMatching(/^artifact preselect\/\w+ is damaged .* moved to \.quarantine\//)]);
    expect((await verifyStore(home, false)).problems).toEqual([]);
  });
});

describe('sweep gc', () => {
  it('lists, then removes, only what no sweep needs', async () => {
    const kept = testDag(uniqueName('kept'), [
      { id: 'a', kind: 'generate' },
      { id: 'b', deps: ['a'] },
    ]);
    const result = await (await engine.start(kept)).handle.result();
    expect(result.failures).toEqual([]);
    const keptDirs = result.nodes.map((n) => new URL(n.artifact!.uri).pathname);

    const deadStaging = join(store.root, '.staging', `${hostname()}~999999999~0f0f0f0f-0000-4000-8000-000000000000`);
    const liveStaging = await store.stage();
    await mkdir(deadStaging, { recursive: true });
    const finishedWork = join(home, 'work', kept.nodes[0]!.cacheKey);
    const abandonedWork = join(home, 'work', 'no-sweep-has-this-key');
    for (const dir of [finishedWork, abandonedWork]) await mkdir(dir, { recursive: true });
    const staged = await store.stage();
    await writeFile(join(staged, 'x.txt'), 'orphan');
    const orphan = await store.commit(staged, { nodeId: 'gone', kind: 'scan', cacheKey: 'orphan-key', summary: {} });
    const orphanDag = await new DagStore(store.root).put(testDag(uniqueName('never-run'), [{ id: 'z' }]));

    const dry = await collectGarbage(home, engine.client, false);
    expect(dry.staging).toEqual([deadStaging]);
    expect(dry.work.sort()).toEqual([abandonedWork, finishedWork].sort());
    expect(dry.artifacts).toContain(orphan.dir);
    for (const dir of keptDirs) expect(dry.artifacts).not.toContain(dir);
    expect(dry.dags).toContain(join(store.root, 'dags', `${orphanDag.hash}.json`));
    expect([deadStaging, abandonedWork, orphan.dir].every((path) => existsSync(path))).toBe(true);

    await collectGarbage(home, engine.client, true);
    expect([deadStaging, finishedWork, abandonedWork, orphan.dir].some((path) => existsSync(path))).toBe(false);
    expect(existsSync(liveStaging)).toBe(true);
    for (const dir of keptDirs) expect(existsSync(dir)).toBe(true);
    // What the kept sweep references is still a cache hit.
    const again = await (await engine.start(kept)).handle.result();
    expect(again.nodes.every((n) => n.cacheHit)).toBe(true);
  });

  it('without a server keeps what only the server could tell is unneeded', async () => {
    const report = await collectGarbage(home, undefined, false);
    expect(report.artifacts).toEqual([]);
    expect(report.note).toMatch(/no Temporal server/);
  });
});
