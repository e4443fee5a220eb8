// Content-addressed artifact store: `<root>/<kind>/<cacheKey>/` holds a node's files and a
// manifest. A node writes into a private staging directory; one rename publishes it whole,
// so a reader never sees half an artifact and a crashed writer leaves nothing that counts.
import { createHash, randomUUID } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NODE_KINDS, type ArtifactRef, type NodeKind } from '../../core/dag.js';
import { sha256File } from '../lib/content-hash.js';

export interface Manifest {
  nodeId: string;
  kind: NodeKind;
  cacheKey: string;
  /** Relative path (with `/`) -> sha256 of the file's bytes. */
  files: Record<string, string>;
  summary: Record<string, unknown>;
  createdAt: string;
}

export interface StoredArtifact {
  ref: ArtifactRef;
  manifest: Manifest;
  dir: string;
}

const MANIFEST = 'manifest.json';
const CACHE_KEY = /^[A-Za-z0-9_-]{1,128}$/;

/** `SWEEP_HOME` or `<cwd>/.sweep`: the root of everything the engine keeps on disk. */
export function sweepHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.SWEEP_HOME ?? join(process.cwd(), '.sweep'));
}

/** Where the content hashes of input files are kept between plans (lib/content-hash.ts). */
export function inputHashCache(home: string = sweepHome()): string {
  return join(home, 'input-hashes');
}

export class ArtifactStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The store under `<SWEEP_HOME>/artifacts`. */
  static fromHome(home: string = sweepHome()): ArtifactStore {
    return new ArtifactStore(join(home, 'artifacts'));
  }

  /** Directory of an artifact; rejects kinds and keys that could leave the root. */
  dirFor(kind: NodeKind, cacheKey: string): string {
    if (!(NODE_KINDS as readonly string[]).includes(kind)) throw new Error(`unknown node kind "${kind}"`);
    if (!CACHE_KEY.test(cacheKey)) throw new Error(`invalid cache key "${cacheKey}": expected letters, digits, - or _`);
    return this.inside(join(this.root, kind, cacheKey));
  }

  /** The committed artifact for this key, or undefined; a directory without manifest does not count. */
  async lookup(kind: NodeKind, cacheKey: string): Promise<StoredArtifact | undefined> {
    const dir = this.dirFor(kind, cacheKey);
    let text: string;
    try {
      text = await readFile(join(dir, MANIFEST), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const manifest = JSON.parse(text) as Manifest;
    return { dir, manifest, ref: { uri: pathToFileURL(dir).href, hash: sha256(text), cacheKey } };
  }

  /** Opens an input artifact by reference, checking that it is the one the reference names. */
  async open(kind: NodeKind, ref: ArtifactRef): Promise<StoredArtifact> {
    const found = await this.lookup(kind, ref.cacheKey);
    if (!found) throw new Error(`artifact ${kind}/${ref.cacheKey} is missing from ${this.root}; was the store moved or cleaned?`);
    if (found.ref.hash !== ref.hash) {
      throw new Error(`artifact ${kind}/${ref.cacheKey} in ${this.root} does not match its reference (manifest hash differs)`);
    }
    return found;
  }

  /** A fresh private directory to write a node's outputs into. */
  async stage(): Promise<string> {
    const dir = join(this.root, '.staging', randomUUID());
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async discard(stagingDir: string): Promise<void> {
    await rm(this.inside(stagingDir), { recursive: true, force: true });
  }

  /**
   * Publishes a staging directory as the artifact of (kind, cacheKey). If another writer
   * committed the same key first, ours is discarded and theirs returned: a key is committed
   * exactly once, so `commits.log` has one line per artifact.
   */
  async commit(
    stagingDir: string,
    meta: { nodeId: string; kind: NodeKind; cacheKey: string; summary: Record<string, unknown> },
  ): Promise<StoredArtifact & { committed: boolean }> {
    const staging = this.inside(stagingDir);
    const target = this.dirFor(meta.kind, meta.cacheKey);
    const files = await hashTree(staging);
    if (MANIFEST in files) throw new Error(`node ${meta.nodeId} wrote ${MANIFEST}, a file name the artifact store reserves`);
    const manifest: Manifest = { ...meta, files, createdAt: new Date().toISOString() };
    await writeFile(join(staging, MANIFEST), JSON.stringify(manifest, null, 2));
    await mkdir(join(this.root, meta.kind), { recursive: true });
    try {
      await rename(staging, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      const winner = await this.lookup(meta.kind, meta.cacheKey);
      if (winner) {
        await this.discard(staging);
        return { ...winner, committed: false };
      }
      // Something without a manifest squats on the key (never produced by commit): set it aside.
      await rename(target, join(this.root, '.staging', `stray-${randomUUID()}`));
      await rename(staging, target);
    }
    await appendFile(join(this.root, 'commits.log'), `${manifest.createdAt}\t${meta.kind}\t${meta.cacheKey}\t${meta.nodeId}\n`);
    const stored = await this.lookup(meta.kind, meta.cacheKey);
    if (!stored) throw new Error(`artifact ${meta.kind}/${meta.cacheKey} vanished right after its commit`);
    return { ...stored, committed: true };
  }

  /** Files whose bytes no longer match the manifest (empty when the artifact is intact). */
  async verify(kind: NodeKind, cacheKey: string): Promise<string[]> {
    const found = await this.lookup(kind, cacheKey);
    if (!found) return [`${kind}/${cacheKey}: no manifest`];
    const actual = await hashTree(found.dir, [MANIFEST]);
    const problems: string[] = [];
    for (const [name, hash] of Object.entries(found.manifest.files)) {
      if (actual[name] !== hash) problems.push(`${kind}/${cacheKey}/${name}: ${actual[name] ? 'content differs' : 'missing'}`);
    }
    for (const name of Object.keys(actual)) {
      if (!(name in found.manifest.files)) problems.push(`${kind}/${cacheKey}/${name}: not in manifest`);
    }
    return problems;
  }

  /** Removes staging directories of writers that died long ago (never a live writer's). */
  async removeStaleStaging(olderThanMs: number): Promise<void> {
    const stagingRoot = join(this.root, '.staging');
    const entries = await readdir(stagingRoot).catch(() => [] as string[]);
    const cutoff = Date.now() - olderThanMs;
    for (const name of entries) {
      const dir = join(stagingRoot, name);
      const info = await stat(dir).catch(() => undefined);
      if (info && info.mtimeMs < cutoff) await rm(dir, { recursive: true, force: true });
    }
  }

  private inside(path: string): string {
    const full = resolve(path);
    if (!full.startsWith(this.root + sep)) throw new Error(`path ${path} is outside the artifact store ${this.root}`);
    return full;
  }
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of every file below dir, keyed by its `/`-separated relative path, in sorted order. */
async function hashTree(dir: string, skip: string[] = []): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter((name) => !skip.includes(name))
    .sort();
  const hashes: Record<string, string> = {};
  for (const name of files) hashes[name] = await sha256File(join(dir, name));
  return hashes;
}
