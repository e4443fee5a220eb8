// The artifact store and executeNode on real files: atomic commits (exactly once, even
// when writers race), caching, manifests, and paths that must stay inside the root.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NodeRunner } from '../../activities/engine/context.js';
import { DagStore } from '../../activities/engine/dags.js';
import { executeNode } from '../../activities/engine/node-activity.js';
import { ArtifactStore } from '../../activities/engine/store.js';
import type { NodeKind } from '../../core/dag.js';
import { testDag } from '../helpers/dags.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

afterAll(removeTempDirs);

async function freshStore() {
  const home = await tempDir('sweep-store');
  const store = ArtifactStore.fromHome(home);
  return { home, store, dags: new DagStore(store.root) };
}

async function staged(store: ArtifactStore, files: Record<string, string>): Promise<string> {
  const dir = await store.stage();
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const meta = { nodeId: 'preselect/x', kind: 'preselect' as const, cacheKey: 'k1', summary: { events: 3 } };

describe('ArtifactStore', () => {
  it('commits a staging directory whole, with a manifest of file hashes, and logs it once', async () => {
    const { store } = await freshStore();
    expect(await store.lookup('preselect', 'k1')).toBeUndefined();
    const committed = await store.commit(await staged(store, { 'a.txt': 'A', 'model/w.bin': 'W' }), meta);
    expect(committed.committed).toBe(true);
    expect(committed.manifest.files).toEqual({
      'a.txt': { sha256: sha256('A'), size: 1 },
      'model/w.bin': { sha256: sha256('W'), size: 1 },
    });
    expect(committed.ref.hash).toBe(sha256(await readFile(join(committed.dir, 'manifest.json'), 'utf8')));
    const found = await store.lookup('preselect', 'k1');
    expect(found?.ref).toEqual(committed.ref);
    expect(found?.manifest.summary).toEqual({ events: 3 });
    expect(await store.verify('preselect', 'k1')).toEqual([]);
    expect((await readFile(join(store.root, 'commits.log'), 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('lets exactly one of several racing writers commit a key; the others get the winner', async () => {
    const { store } = await freshStore();
    const dirs = await Promise.all([1, 2, 3, 4].map((i) => staged(store, { 'out.txt': `writer ${i}` })));
    const results = await Promise.all(dirs.map((dir) => store.commit(dir, meta)));
    expect(results.filter((r) => r.committed)).toHaveLength(1);
    expect(new Set(results.map((r) => r.ref.hash)).size).toBe(1);
    expect((await readFile(join(store.root, 'commits.log'), 'utf8')).trim().split('\n')).toHaveLength(1);
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
  });

  it('never counts a directory without manifest as done, and commits over it', async () => {
    const { store } = await freshStore();
    const squatter = store.dirFor('preselect', 'k1');
    await mkdir(squatter, { recursive: true });
    await writeFile(join(squatter, 'half.txt'), 'half written');
    expect(await store.lookup('preselect', 'k1')).toBeUndefined();
    const committed = await store.commit(await staged(store, { 'out.txt': 'whole' }), meta);
    expect(committed.committed).toBe(true);
    expect(Object.keys(committed.manifest.files)).toEqual(['out.txt']);
  });

  it('finds files changed after the commit', async () => {
    const { store } = await freshStore();
    const { dir } = await store.commit(await staged(store, { 'a.txt': 'A', 'b.txt': 'B' }), meta);
    await writeFile(join(dir, 'a.txt'), 'tampered');
    await writeFile(join(dir, 'extra.txt'), '?');
    expect(await store.verify('preselect', 'k1')).toEqual([
      'preselect/k1/a.txt: 8 bytes, the manifest says 1',
      'preselect/k1/extra.txt: not in the manifest',
    ]);
  });

  it('finds a flipped byte (same size) the first time a process uses the artifact, and quarantines it', async () => {
    const { store } = await freshStore();
    const { dir } = await store.commit(await staged(store, { 'w.bin': 'weights!' }), meta);
    // A second store object is another process's view: it has hashed nothing yet.
    const elsewhere = new ArtifactStore(store.root);
    await writeFile(join(dir, 'w.bin'), 'weightz!');
    const heard: string[] = [];
    expect(await elsewhere.usable('preselect', 'k1', (line) => heard.push(line))).toBeUndefined();
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatch(
      /^artifact preselect\/k1 is damaged \(preselect\/k1\/w\.bin: content differs from the manifest\); moved to \.quarantine\/preselect\/k1-.* and computing it again$/,
    );
    expect(existsSync(dir)).toBe(false);
    expect(await store.lookup('preselect', 'k1')).toBeUndefined();
    expect(await readFile(join(store.root, 'quarantine.log'), 'utf8')).toContain('preselect\tk1\tpreselect/k1/w.bin: content differs');
    // The key is free again: the recomputed artifact commits normally.
    expect((await store.commit(await staged(store, { 'w.bin': 'weights!' }), meta)).committed).toBe(true);
  });

  it('treats a manifest that is not JSON, or a missing file, as damage', async () => {
    const { store } = await freshStore();
    const { dir } = await store.commit(await staged(store, { 'a.txt': 'A', 'b.txt': 'B' }), meta);
    await writeFile(join(dir, 'manifest.json'), '{"nodeId": "pre');
    expect(await store.verify('preselect', 'k1')).toEqual([expect.stringMatching(/^preselect\/k1\/manifest\.json: not valid JSON/)]);
    const other = await store.commit(await staged(store, { 'a.txt': 'A' }), { ...meta, cacheKey: 'k2' });
    await rm(join(other.dir, 'a.txt'));
    expect(await store.usable('preselect', 'k2', () => {})).toBeUndefined();
  });

  it('knows which staging directories have a dead writer on this host', async () => {
    const { store } = await freshStore();
    const live = await store.stage();
    const dead = join(store.root, '.staging', `${hostname()}~999999999~0f0f0f0f-0000-4000-8000-000000000000`);
    await mkdir(dead, { recursive: true });
    const farAway = join(store.root, '.staging', 'other-host~1~0f0f0f0f-0000-4000-8000-000000000001');
    await mkdir(farAway, { recursive: true });
    expect(await store.staleStaging(60_000)).toEqual([dead]);
    expect(existsSync(live)).toBe(true);
  });

  it('rejects keys and kinds that would leave the root, and a runner-written manifest', async () => {
    const { store } = await freshStore();
    expect(() => store.dirFor('preselect', '../../etc')).toThrow(/invalid cache key/);
    expect(() => store.dirFor('..' as NodeKind, 'k1')).toThrow(/unknown node kind/);
    await expect(store.discard('/tmp')).rejects.toThrow(/outside the artifact store/);
    await expect(store.commit(await staged(store, { 'manifest.json': '{}' }), meta)).rejects.toThrow(/reserves/);
  });
});

describe('executeNode', () => {
  const dag = testDag('store', [
    { id: 'a', kind: 'generate' },
    { id: 'b', deps: ['a'] },
  ]);
  const attempt = {
    attempt: 1,
    heartbeatDetails: undefined,
    heartbeat: () => {},
    progress: () => {},
    signal: new AbortController().signal,
    log: () => {},
  };

  it('runs a node once, then serves it from the cache; inputs arrive as committed directories', async () => {
    const { home, store, dags } = await freshStore();
    let runs = 0;
    const runner: NodeRunner<NodeKind> = async (ctx) => {
      runs += 1;
      expect(existsSync(ctx.workDir)).toBe(true);
      const seen = ctx.inputs.map((input) => [input.nodeId, input.kind, existsSync(join(input.dir, 'out.txt'))]);
      await writeFile(join(ctx.outDir, 'out.txt'), ctx.node.id);
      return { seen };
    };
    const env = { store, dags, home, dataRoot: home, allowedRoots: [home] };
    const ref = await dags.put(dag);
    const a = await executeNode(runner, { dag: ref, nodeId: 'a', inputs: {} }, env, attempt);
    expect(a).toMatchObject({ cacheHit: false, attempt: 1, summary: { seen: [] } });
    expect(existsSync(join(home, 'work', dag.nodes[0]!.cacheKey))).toBe(false); // scratch goes once committed
    const inputs = { a: { ref: a.artifact, kind: 'generate' as const } };
    const b = await executeNode(runner, { dag: ref, nodeId: 'b', inputs }, env, attempt);
    expect(b.summary).toEqual({ seen: [['a', 'generate', true]] });
    const again = await executeNode(runner, { dag: ref, nodeId: 'a', inputs: {} }, env, attempt);
    expect(again).toEqual({ ...a, cacheHit: true });
    expect(runs).toBe(2);
  });

  it('commits nothing when the runner throws, and refuses an input that does not match its reference', async () => {
    const { home, store, dags } = await freshStore();
    const env = { store, dags, home, dataRoot: home, allowedRoots: [home] };
    const ref = await dags.put(dag);
    const failing: NodeRunner<NodeKind> = async (ctx) => {
      await writeFile(join(ctx.outDir, 'partial.txt'), 'half');
      throw new Error('disk on fire');
    };
    await expect(executeNode(failing, { dag: ref, nodeId: 'a', inputs: {} }, env, attempt)).rejects.toThrow('disk on fire');
    expect(await store.lookup('generate', dag.nodes[0]!.cacheKey)).toBeUndefined();
    expect(existsSync(join(store.root, 'commits.log'))).toBe(false);

    const ok: NodeRunner<NodeKind> = async () => ({});
    const a = await executeNode(ok, { dag: ref, nodeId: 'a', inputs: {} }, env, attempt);
    const forged = { ...a.artifact, hash: 'not-the-manifest-hash' };
    const inputs = { a: { ref: forged, kind: 'generate' as const } };
    await expect(executeNode(ok, { dag: ref, nodeId: 'b', inputs }, env, attempt)).rejects.toMatchObject({
      name: 'ArtifactLost',
      lost: ['a'],
    });
  });
});
