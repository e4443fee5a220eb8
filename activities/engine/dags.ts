// Dags kept in the artifact store under the sha256 of their JSON (`<root>/dags/<hash>.json`):
// the client writes a sweep's Dag here and the workflow receives only its reference, so a
// definition's size is bounded by the store, not by Temporal's message limit.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Dag, DagNode, DagRef } from '../../core/dag.js';
import { sha256 } from './store.js';

const HASH = /^[0-9a-f]{64}$/;
/** Dags read in this process, by hash (a worker serves few sweeps at a time). */
const CACHE_SIZE = 8;

export class DagStore {
  private readonly dir: string;
  private readonly cache = new Map<string, { dag: Dag; byId: Map<string, DagNode> }>();

  constructor(artifactRoot: string) {
    this.dir = join(artifactRoot, 'dags');
  }

  async put(dag: Dag): Promise<DagRef> {
    const text = JSON.stringify(dag);
    const hash = sha256(text);
    const path = join(this.dir, `${hash}.json`);
    if (!existsSync(path)) {
      await mkdir(this.dir, { recursive: true });
      // Unique per call: two submissions in one process may write the same Dag at once.
      const temp = `${path}.${randomUUID()}.tmp`;
      await writeFile(temp, text);
      await rename(temp, path);
    }
    return { hash };
  }

  /** Whether this store holds the Dag (a client on a host that does not share the store has not). */
  has(ref: DagRef): boolean {
    return HASH.test(ref.hash) && existsSync(join(this.dir, `${ref.hash}.json`));
  }

  async get(ref: DagRef): Promise<Dag> {
    return (await this.entry(ref)).dag;
  }

  async node(ref: DagRef, id: string): Promise<DagNode> {
    const node = (await this.entry(ref)).byId.get(id);
    if (!node) throw new Error(`the sweep's Dag ${ref.hash.slice(0, 12)} has no node ${id}`);
    return node;
  }

  private async entry(ref: DagRef): Promise<{ dag: Dag; byId: Map<string, DagNode> }> {
    if (!HASH.test(ref.hash)) throw new Error(`invalid Dag reference "${ref.hash}"`);
    const cached = this.cache.get(ref.hash);
    if (cached) return cached;
    const path = join(this.dir, `${ref.hash}.json`);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new Error(`the sweep's Dag ${path} is missing: was the artifact store moved, cleaned, or not shared with this host?`);
    }
    if (sha256(text) !== ref.hash) throw new Error(`the sweep's Dag ${path} does not match its hash: the file is damaged`);
    const dag = JSON.parse(text) as Dag;
    const entry = { dag, byId: new Map(dag.nodes.map((n) => [n.id, n])) };
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(ref.hash, entry);
    return entry;
  }
}
