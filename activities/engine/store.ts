// Content-addressed artifact store: `<root>/<kind>/<cacheKey>/` holds a node's files and a
// manifest with the sha256 and size of every file. A node writes into a private staging
// directory; one rename publishes it whole, so a reader never sees half an artifact and a
// crashed writer leaves nothing that counts. Nothing is used unchecked: an artifact whose
// files no longer match its manifest is set aside (quarantined) and computed again.
import { createHash, randomUUID } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NODE_KINDS, type ArtifactRef, type NodeKind } from '../../core/dag.js';
import { sha256File } from '../lib/content-hash.js';

export interface FileEntry {
  sha256: string;
  size: number;
}

export interface Manifest {
  nodeId: string;
  kind: NodeKind;
  cacheKey: string;
  /** Relative path (with `/`) -> the file's sha256 and size. */
  files: Record<string, FileEntry>;
  summary: Record<string, unknown>;
  createdAt: string;
}

export interface StoredArtifact {
  ref: ArtifactRef;
  manifest: Manifest;
  dir: string;
  /** Set when the manifest itself cannot be read: the artifact is damaged whatever its files. */
  unreadable?: string;
}

const MANIFEST = 'manifest.json';
const CACHE_KEY = /^[A-Za-z0-9_-]{1,128}$/;
/** Staging directories are named `<host>~<pid>~<uuid>`, so a cleaner can tell whether their writer lives. */
const STAGING_NAME = /^(.+)~(\d+)~[0-9a-f-]+$/;

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
  /** Files this process has found to match their manifest, with the size and mtime they had then. */
  private readonly hashed = new Map<string, string>();

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

  /** The committed artifact for this key as its manifest says, unchecked; a directory without manifest does not count. */
  async lookup(kind: NodeKind, cacheKey: string): Promise<StoredArtifact | undefined> {
    const dir = this.dirFor(kind, cacheKey);
    let text: string;
    try {
      text = await readFile(join(dir, MANIFEST), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const ref = { uri: pathToFileURL(dir).href, hash: sha256(text), cacheKey };
    try {
      return { dir, ref, manifest: JSON.parse(text) as Manifest };
    } catch (err) {
      // Corruption like any other: damage() reports it and the artifact is computed again.
      const manifest: Manifest = { nodeId: '?', kind, cacheKey, files: {}, summary: {}, createdAt: '' };
      return { dir, ref, manifest, unreadable: `${kind}/${cacheKey}/${MANIFEST}: not valid JSON (${(err as Error).message})` };
    }
  }

  /**
   * The artifact for this key if it is intact; a damaged one is quarantined (`report` hears
   * why, once) and counts as absent, so the caller computes it again.
   */
  async usable(kind: NodeKind, cacheKey: string, report: (message: string) => void): Promise<StoredArtifact | undefined> {
    const found = await this.lookup(kind, cacheKey);
    if (!found) return undefined;
    const problems = await this.damage(found);
    if (problems.length === 0) return found;
    report(await this.quarantine(found, problems));
    return undefined;
  }

  /**
   * Opens an input artifact by reference. Undefined when it is gone, was replaced since the
   * reference was made, or is damaged (then it is quarantined and `report` hears why).
   */
  async open(kind: NodeKind, ref: ArtifactRef, report: (message: string) => void): Promise<StoredArtifact | undefined> {
    const found = await this.lookup(kind, ref.cacheKey);
    if (!found || found.ref.hash !== ref.hash) return undefined;
    const problems = await this.damage(found);
    if (problems.length === 0) return found;
    report(await this.quarantine(found, problems));
    return undefined;
  }

  /**
   * How the artifact differs from its manifest. Sizes are checked every time; contents
   * (sha256) the first time this process uses a file, and again whenever the file's size or
   * modification time has changed since.
   */
  async damage(found: StoredArtifact): Promise<string[]> {
    if (found.unreadable) return [found.unreadable];
    const problems: string[] = [];
    const where = `${found.manifest.kind}/${found.ref.cacheKey}`;
    for (const [name, entry] of Object.entries(found.manifest.files)) {
      const path = join(found.dir, name);
      const info = await stat(path).catch(() => undefined);
      if (!info) problems.push(`${where}/${name}: missing`);
      else if (info.size !== entry.size) problems.push(`${where}/${name}: ${info.size} bytes, the manifest says ${entry.size}`);
      else if (this.hashed.get(path) !== fingerprint(info, entry)) {
        if ((await sha256File(path)) === entry.sha256) this.hashed.set(path, fingerprint(info, entry));
        else problems.push(`${where}/${name}: content differs from the manifest`);
      }
    }
    return problems;
  }

  /** Every file checked (sha256 always) and no file beside the manifest's: empty when intact. */
  async verify(kind: NodeKind, cacheKey: string): Promise<string[]> {
    const found = await this.lookup(kind, cacheKey);
    if (!found) return [`${kind}/${cacheKey}: no manifest`];
    for (const name of Object.keys(found.manifest.files)) this.hashed.delete(join(found.dir, name));
    const problems = await this.damage(found);
    if (found.unreadable) return problems;
    const actual = await listTree(found.dir, [MANIFEST]);
    for (const name of actual) if (!(name in found.manifest.files)) problems.push(`${kind}/${cacheKey}/${name}: not in the manifest`);
    return problems;
  }

  /** Moves a damaged artifact out of the way (kept for inspection) and returns the one line that says so. */
  async quarantine(found: StoredArtifact, problems: string[]): Promise<string> {
    const { kind, cacheKey } = { kind: found.manifest.kind, cacheKey: found.ref.cacheKey };
    const target = join(this.root, '.quarantine', kind, `${cacheKey}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    await mkdir(join(target, '..'), { recursive: true });
    try {
      await rename(found.dir, target);
    } catch (err) {
      // Another process quarantined it first: the same outcome.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const line = `artifact ${kind}/${cacheKey} is damaged (${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; ${problems.length - 3} more` : ''}); moved to ${relative(this.root, target)} and computing it again`;
    await appendFile(join(this.root, 'quarantine.log'), `${new Date().toISOString()}\t${kind}\t${cacheKey}\t${problems.join('; ')}\n`);
    return line;
  }

  /** Every committed artifact (kind and key), for verification and cleaning. */
  async list(): Promise<{ kind: NodeKind; cacheKey: string }[]> {
    const all: { kind: NodeKind; cacheKey: string }[] = [];
    for (const kind of NODE_KINDS) {
      const keys = await readdir(join(this.root, kind)).catch(() => [] as string[]);
      for (const cacheKey of keys.sort()) if (CACHE_KEY.test(cacheKey)) all.push({ kind, cacheKey });
    }
    return all;
  }

  /** A fresh private directory to write a node's outputs into, named after its writer. */
  async stage(): Promise<string> {
    const dir = join(this.root, '.staging', `${hostname()}~${process.pid}~${randomUUID()}`);
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
    const names = await listTree(staging);
    if (names.includes(MANIFEST)) throw new Error(`node ${meta.nodeId} wrote ${MANIFEST}, a file name the artifact store reserves`);
    const files: Record<string, FileEntry> = {};
    for (const name of names) {
      const path = join(staging, name);
      files[name] = { sha256: await sha256File(path), size: (await stat(path)).size };
    }
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
    // This process just hashed what it wrote; a rename keeps size and modification time.
    for (const [name, entry] of Object.entries(files)) {
      const info = await stat(join(stored.dir, name));
      this.hashed.set(join(stored.dir, name), fingerprint(info, entry));
    }
    return { ...stored, committed: true };
  }

  /**
   * Staging directories whose writer is gone: a dead process of this host, or (for another
   * host, whose processes we cannot see) one older than `otherHostAgeMs`.
   */
  async staleStaging(otherHostAgeMs: number): Promise<string[]> {
    const stagingRoot = join(this.root, '.staging');
    const stale: string[] = [];
    for (const name of await readdir(stagingRoot).catch(() => [] as string[])) {
      const dir = join(stagingRoot, name);
      const owner = STAGING_NAME.exec(name);
      if (owner && owner[1] === hostname()) {
        if (!processAlive(Number(owner[2]))) stale.push(dir);
        continue;
      }
      const info = await stat(dir).catch(() => undefined);
      if (info && info.mtimeMs < Date.now() - otherHostAgeMs) stale.push(dir);
    }
    return stale;
  }

  private inside(path: string): string {
    const full = resolve(path);
    if (!full.startsWith(this.root + sep)) throw new Error(`path ${path} is outside the artifact store ${this.root}`);
    return full;
  }
}

/** Whether a process of this host with this pid exists (signal 0 tests without signalling). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What makes a file's earlier hash still trustworthy: its content hash, size and mtime then. */
function fingerprint(info: { size: number; mtimeMs: number }, entry: FileEntry): string {
  return `${entry.sha256}/${info.size}/${info.mtimeMs}`;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every file below dir as its `/`-separated relative path, sorted. */
async function listTree(dir: string, skip: string[] = []): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter((name) => !skip.includes(name))
    .sort();
}
