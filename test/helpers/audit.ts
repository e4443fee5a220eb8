// What a fault test checks of the artifact store afterwards: how many artifacts were
// committed, which keys were committed more than once, and which artifacts are torn.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArtifactStore } from '../../activities/engine/store.js';

export interface StoreAudit {
  committed: number;
  /** Cache keys with more than one line in commits.log. */
  duplicates: string[];
  /** Problems of committed artifacts whose files do not match their manifests. */
  torn: string[];
}

export async function auditStore(store: ArtifactStore): Promise<StoreAudit> {
  const log = join(store.root, 'commits.log');
  const lines = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : [];
  const keys = lines.map((line) => line.split('\t')[2]!);
  const duplicates = [...new Set(keys.filter((key, i) => keys.indexOf(key) !== i))];
  const torn: string[] = [];
  for (const { kind, cacheKey } of await store.list()) torn.push(...(await store.verify(kind, cacheKey)));
  return { committed: lines.length, duplicates, torn };
}
