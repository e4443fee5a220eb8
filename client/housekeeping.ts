// `sweep verify` and `sweep gc`: the artifact store checked whole, and cleaned of what no
// sweep needs any more. Both say what they would do before they do it.
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { DagStore } from '../activities/engine/dags.js';
import { ArtifactStore } from '../activities/engine/store.js';
import { dagRefOfRun } from './sweeps.js';

/** Staging directories of writers on other hosts (whose processes we cannot see) count as stale after this long. */
const OTHER_HOST_STAGING_MS = 7 * 24 * 3600 * 1000;

export interface StoreAudit {
  committed: number;
  /** Cache keys with more than one line in commits.log (a quarantined artifact computed again counts too). */
  duplicates: string[];
  /** Problems of committed artifacts whose files do not match their manifests. */
  torn: string[];
}

/** How many artifacts were committed, which keys twice, and which artifacts are torn: what a fault test or chaos run checks. */
export async function auditStore(home: string): Promise<StoreAudit> {
  const store = ArtifactStore.fromHome(home);
  const log = join(store.root, 'commits.log');
  const lines = existsSync(log) ? (await readFile(log, 'utf8')).trim().split('\n').filter(Boolean) : [];
  const keys = lines.map((line) => line.split('\t')[2]!);
  const duplicates = [...new Set(keys.filter((key, i) => keys.indexOf(key) !== i))];
  const torn: string[] = [];
  for (const { kind, cacheKey } of await store.list()) torn.push(...(await store.verify(kind, cacheKey)));
  return { committed: lines.length, duplicates, torn };
}

export interface VerifyOutcome {
  artifacts: number;
  /** One line per damaged file or artifact. */
  problems: string[];
  /** Lines saying what --repair did. */
  repaired: string[];
}

/** Hashes every file of every artifact; with `repair`, damaged artifacts are quarantined (recomputed on the next run). */
export async function verifyStore(home: string, repair: boolean): Promise<VerifyOutcome> {
  const store = ArtifactStore.fromHome(home);
  const outcome: VerifyOutcome = { artifacts: 0, problems: [], repaired: [] };
  for (const { kind, cacheKey } of await store.list()) {
    outcome.artifacts += 1;
    const problems = await store.verify(kind, cacheKey);
    outcome.problems.push(...problems);
    if (problems.length === 0 || !repair) continue;
    const found = await store.lookup(kind, cacheKey);
    if (found) outcome.repaired.push(await store.quarantine(found, problems));
  }
  return outcome;
}

export interface GarbageReport {
  staging: string[];
  work: string[];
  artifacts: string[];
  dags: string[];
  /** Why unreferenced artifacts were not looked for (no server), if so. */
  note?: string;
}

/**
 * What no sweep needs: staging directories of dead writers, work directories of nodes that
 * finished (their artifact exists) or that no sweep on the server references any more,
 * artifacts and Dags that no sweep on the server references. Without a client, only what
 * needs no server is collected. Removed with `apply`.
 */
export async function collectGarbage(home: string, client: Client | undefined, apply: boolean): Promise<GarbageReport> {
  const store = ArtifactStore.fromHome(home);
  const report: GarbageReport = { staging: await store.staleStaging(OTHER_HOST_STAGING_MS), work: [], artifacts: [], dags: [] };
  const committed = await store.list();
  const committedKeys = new Set(committed.map((a) => a.cacheKey));
  const referenced = client ? await referencedBySweeps(client, home) : undefined;
  if (!referenced) report.note = 'no Temporal server: artifacts, Dags and work directories of abandoned nodes were kept';

  const workRoot = join(home, 'work');
  for (const key of existsSync(workRoot) ? await readdir(workRoot) : []) {
    if (committedKeys.has(key) || (referenced && !referenced.keys.has(key))) report.work.push(join(workRoot, key));
  }
  if (referenced) {
    for (const { kind, cacheKey } of committed) if (!referenced.keys.has(cacheKey)) report.artifacts.push(store.dirFor(kind, cacheKey));
    const dagRoot = join(store.root, 'dags');
    for (const file of existsSync(dagRoot) ? await readdir(dagRoot) : []) {
      if (!referenced.dags.has(file.replace(/\.json$/, ''))) report.dags.push(join(dagRoot, file));
    }
  }
  if (apply)
    for (const path of [...report.staging, ...report.work, ...report.artifacts, ...report.dags])
      await rm(path, { recursive: true, force: true });
  return report;
}

/** Cache keys and Dags of the latest run of every sweep on the server whose Dag is in this store. */
async function referencedBySweeps(client: Client, home: string): Promise<{ keys: Set<string>; dags: Set<string> }> {
  const latest = new Map<string, { runId: string; startTime: number }>();
  for await (const execution of client.workflow.list({ query: "WorkflowType = 'sweep'" })) {
    const known = latest.get(execution.workflowId);
    if (!known || execution.startTime.getTime() > known.startTime)
      latest.set(execution.workflowId, { runId: execution.runId, startTime: execution.startTime.getTime() });
  }
  const keys = new Set<string>();
  const dags = new Set<string>();
  const store = new DagStore(ArtifactStore.fromHome(home).root);
  for (const [workflowId, { runId }] of latest) {
    const ref = await dagRefOfRun(client, workflowId, runId);
    // Sweeps of other checkouts sharing the server keep their Dags in their own stores.
    const dag = await store.get(ref).catch(() => undefined);
    if (!dag) continue;
    dags.add(ref.hash);
    for (const node of dag.nodes) keys.add(node.cacheKey);
  }
  return { keys, dags };
}
