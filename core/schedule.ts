// Scheduling rules of a sweep, kept pure (no I/O, no clocks: callers pass timestamps) so
// the deterministic workflow can run them and unit tests can check them in microseconds.
import type { ArtifactRef, NodeKind, NodeStatus, PlannedNode, SweepPlan, TaskQueue } from './dag.js';
import type { CarriedState, NodeActivityResult, NodeInput, NodeOutcome, NodeProgress, SweepResult } from './node-io.js';

/** Structural problems that would make a Dag unschedulable; empty when it is fine. */
export function dagProblems(dag: Pick<SweepPlan, 'nodes' | 'limits'>): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const node of dag.nodes) {
    if (ids.has(node.id)) problems.push(`node id "${node.id}" appears twice`);
    ids.add(node.id);
  }
  for (const node of dag.nodes) {
    for (const dep of node.dependsOn) {
      if (!ids.has(dep)) problems.push(`node "${node.id}" depends on unknown node "${dep}"`);
    }
  }
  for (const [name, limit] of Object.entries(dag.limits.maxParallel)) {
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
      problems.push(`limits.maxParallel.${name} must be a whole number >= 1, got ${limit}`);
    }
  }
  const cycle = findCycle(dag);
  if (cycle) problems.push(`dependency cycle: ${cycle.join(' -> ')}`);
  return problems;
}

function findCycle(dag: Pick<SweepPlan, 'nodes'>): string[] | undefined {
  const byId = new Map(dag.nodes.map((n) => [n.id, n]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const seen = state.get(id);
    if (seen === 'done') return undefined;
    if (seen === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const dep of byId.get(id)?.dependsOn ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const node of dag.nodes) {
    const cycle = visit(node.id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** A sweep's result in full up to this size; Temporal refuses payloads over 2 MB. */
const RESULT_BYTES = 1024 * 1024;

/**
 * Nodes one sweep runs at once, whatever its limits say: Temporal fails a workflow task that
 * leaves a workflow with more than 2,000 pending activities or child workflows, or whose
 * commands do not fit one message; 500 keeps far from both and still feeds many hosts.
 */
export const MAX_RUNNING = 500;

/**
 * Trainings whose child workflow the sweep has asked for but not yet seen start. The server
 * starts child workflows one by one; a sweep that asks for hundreds at once queues them
 * there, ahead of the activities it schedules next, and a run that continues as new waits
 * for every one of them first. A few dozen in flight keep the server busy: on the 10,000-node
 * bench this window cut the wall time by a third (README "Benchmarks").
 */
export const MAX_STARTING_TRAININGS = 50;

/** The store root of an artifact, from its uri `<root>/<kind>/<cacheKey>` (activities/engine/store.ts). */
function storeRoot(kind: NodeKind, ref: ArtifactRef): string {
  const suffix = `/${kind}/${ref.cacheKey}`;
  if (!ref.uri.endsWith(suffix)) throw new Error(`artifact uri ${ref.uri} does not end in ${suffix}`);
  return ref.uri.slice(0, -suffix.length);
}

/**
 * The live state of one sweep: which nodes wait, run, finished or were skipped, and the
 * results of finished ones. Nodes start in Dag order (the compiler emits a topological
 * order), so the schedule is deterministic for a given sequence of completions. Every status
 * change goes through setStatus, which keeps the counts, the running set and the number of
 * unfinished dependencies per node up to date, so scheduling a node costs the size of its
 * neighbourhood, not of the Dag (a 10,000-node sweep settles a node per workflow task).
 */
export class SweepState {
  private readonly progressById = new Map<string, NodeProgress>();
  private readonly results = new Map<string, NodeActivityResult>();
  private readonly nodeById: Map<string, PlannedNode>;
  private readonly order = new Map<string, number>();
  private readonly dependants = new Map<string, string[]>();
  /** How often each node's artifact was lost after it finished. */
  private readonly losses = new Map<string, number>();
  /** Dependencies of each node that are not done. */
  private readonly unmet = new Map<string, number>();
  /** Pending nodes whose dependencies are all done. */
  private readonly candidates = new Set<string>();
  private readonly running = new Set<string>();
  private readonly tally = { pending: 0, running: 0, done: 0, failed: 0, skipped: 0, cacheHits: 0 };
  /** Done nodes restored from an earlier run: their summaries stayed in their manifests. */
  private readonly restored = new Set<string>();

  constructor(
    readonly dag: SweepPlan,
    carried?: CarriedState,
  ) {
    this.nodeById = new Map(dag.nodes.map((n) => [n.id, n]));
    dag.nodes.forEach((node, index) => {
      this.order.set(node.id, index);
      this.progressById.set(node.id, { id: node.id, kind: node.kind, status: 'pending', cacheHit: false });
      this.tally.pending += 1;
      this.unmet.set(node.id, node.dependsOn.length);
      if (node.dependsOn.length === 0) this.candidates.add(node.id);
      for (const dep of node.dependsOn) {
        const list = this.dependants.get(dep) ?? [];
        list.push(node.id);
        this.dependants.set(dep, list);
      }
    });
    if (carried) this.restore(carried);
  }

  private restore(carried: CarriedState): void {
    for (const [id, [hash, root, attempt, cacheHit]] of Object.entries(carried.done)) {
      const node = this.node(id);
      const artifact = { uri: `${carried.roots[root]}/${node.kind}/${node.cacheKey}`, hash, cacheKey: node.cacheKey };
      this.succeed(id, { artifact, cacheHit: cacheHit === 1, summary: {}, attempt }, undefined);
      this.restored.add(id);
    }
    for (const [id, [error, attempts]] of Object.entries(carried.failed)) this.fail(id, error, attempts ?? undefined, undefined);
    for (const [id, losses] of Object.entries(carried.losses)) this.losses.set(id, losses);
  }

  /** The state for the next run: see CarriedState. Nodes still running go in `trainings` (the caller's). */
  carry(trainings: Record<string, string>): CarriedState {
    const roots: string[] = [];
    const done: CarriedState['done'] = {};
    const failed: CarriedState['failed'] = {};
    for (const p of this.progressById.values()) {
      if (p.status === 'failed') failed[p.id] = [p.error ?? 'failed', p.attempts ?? null];
      const result = this.results.get(p.id);
      if (p.status !== 'done' || !result) continue;
      const root = storeRoot(p.kind, result.artifact);
      if (!roots.includes(root)) roots.push(root);
      done[p.id] = [result.artifact.hash, roots.indexOf(root), result.attempt, result.cacheHit ? 1 : 0];
    }
    return { roots, done, failed, losses: Object.fromEntries(this.losses), trainings };
  }

  /**
   * Pending nodes whose dependencies are all done, within the per-kind and per-queue limits,
   * MAX_RUNNING and, with `startingTrainings` training workflows still starting, the
   * MAX_STARTING_TRAININGS window.
   */
  ready(startingTrainings = 0): PlannedNode[] {
    const limits = this.dag.limits.maxParallel;
    const running = new Map<NodeKind | TaskQueue, number>();
    const bump = (key: NodeKind | TaskQueue) => running.set(key, (running.get(key) ?? 0) + 1);
    const atLimit = (key: NodeKind | TaskQueue) => (running.get(key) ?? 0) >= (limits[key] ?? Infinity);
    for (const id of this.running) {
      const node = this.node(id);
      bump(node.kind);
      bump(node.queue);
    }
    const ready: PlannedNode[] = [];
    let starting = startingTrainings;
    const byOrder = [...this.candidates].sort((a, b) => this.order.get(a)! - this.order.get(b)!);
    for (const id of byOrder) {
      if (this.running.size + ready.length >= MAX_RUNNING) break;
      const node = this.node(id);
      if (atLimit(node.kind) || atLimit(node.queue)) continue;
      if (node.model) {
        if (starting >= MAX_STARTING_TRAININGS) continue;
        starting += 1;
      }
      bump(node.kind);
      bump(node.queue);
      ready.push(node);
    }
    return ready;
  }

  /** What a node receives about its finished dependencies. */
  inputsOf(id: string): Record<string, NodeInput> {
    const inputs: Record<string, NodeInput> = {};
    for (const dep of this.node(id).dependsOn) {
      const result = this.results.get(dep);
      if (!result) throw new Error(`node "${id}" started before its dependency "${dep}" finished`);
      inputs[dep] = { ref: result.artifact, kind: this.node(dep).kind };
    }
    return inputs;
  }

  start(id: string, now: string): void {
    const p = this.setStatus(id, 'running');
    p.startedAt = now;
    delete p.finishedAt;
    delete p.error;
  }

  /** `now` is undefined for a node restored from an earlier run (its times stayed there). */
  succeed(id: string, result: NodeActivityResult, now: string | undefined): void {
    this.results.set(id, result);
    const p = this.setStatus(id, 'done');
    p.attempts = result.attempt;
    if (now !== undefined) p.finishedAt = now;
  }

  /** Marks the node failed and every node downstream of it skipped; returns the skipped ids. */
  fail(id: string, error: string, attempts: number | undefined, now: string | undefined): string[] {
    const p = this.setStatus(id, 'failed');
    p.error = error;
    if (now !== undefined) p.finishedAt = now;
    if (attempts !== undefined) p.attempts = attempts;
    const skipped: string[] = [];
    const queue = [...(this.dependants.get(id) ?? [])];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (this.status(next) !== 'pending') continue;
      this.setStatus(next, 'skipped').error = `skipped: depends on failed node ${id}`;
      skipped.push(next);
      queue.push(...(this.dependants.get(next) ?? []));
    }
    return skipped;
  }

  /**
   * A node found the artifacts of `lost` (its finished dependencies) corrupt or missing: they
   * go back to pending to be computed again, and so does the node, which waits for them.
   * Returns the nodes lost more than `maxLosses` times, which the caller fails instead.
   */
  recompute(id: string, lost: string[], maxLosses: number): string[] {
    const givenUp: string[] = [];
    for (const dep of lost) {
      if (this.status(dep) !== 'done') continue;
      const losses = (this.losses.get(dep) ?? 0) + 1;
      this.losses.set(dep, losses);
      if (losses > maxLosses) {
        givenUp.push(dep);
        continue;
      }
      const p = this.setStatus(dep, 'pending');
      delete p.startedAt;
      delete p.finishedAt;
    }
    delete this.setStatus(id, 'pending').startedAt;
    return givenUp;
  }

  /** Failed and skipped nodes go back to pending so the sweep runs them again. */
  resetFailed(): string[] {
    const reset: string[] = [];
    for (const p of this.progressById.values()) {
      if (p.status !== 'failed' && p.status !== 'skipped') continue;
      this.setStatus(p.id, 'pending');
      delete p.error;
      delete p.startedAt;
      delete p.finishedAt;
      reset.push(p.id);
    }
    return reset;
  }

  /** Nothing waits and nothing runs: the sweep is over (possibly with failures). */
  finished(): boolean {
    return this.tally.pending === 0 && this.tally.running === 0;
  }

  /** Ids of the running nodes. */
  runningIds(): string[] {
    return [...this.running];
  }

  snapshot(): NodeProgress[] {
    return [...this.progressById.values()].map((p) => ({ ...p }));
  }

  counts(): Record<NodeProgress['status'], number> & { cacheHits: number } {
    return { ...this.tally };
  }

  /** One line for the Temporal UI: what runs now and how far the sweep is. */
  describe(): string {
    const c = this.tally;
    const running = [...this.running];
    const shown = running.slice(0, 6).join(', ') + (running.length > 6 ? `, +${running.length - 6} more` : '');
    const parts = [`${c.done}/${this.dag.nodes.length} done (${c.cacheHits} cached)`];
    if (c.failed > 0) parts.push(`${c.failed} failed`);
    if (c.skipped > 0) parts.push(`${c.skipped} skipped`);
    parts.push(running.length > 0 ? `running: ${shown}` : 'nothing running');
    return parts.join(' · ');
  }

  /**
   * Every node's outcome; nodes restored from an earlier run carry no summary (it is in their
   * artifact's manifest). Past `maxBytes` of JSON the done nodes go in compact form (`done`).
   */
  result(maxBytes = RESULT_BYTES): SweepResult {
    const nodes: NodeOutcome[] = this.snapshot().map((p) => {
      const result = this.results.get(p.id);
      if (!result || p.status !== 'done') return p;
      return this.restored.has(p.id) ? { ...p, artifact: result.artifact } : { ...p, artifact: result.artifact, summary: result.summary };
    });
    const failures = nodes.filter((n) => n.status === 'failed').map((n) => ({ id: n.id, error: n.error ?? 'failed' }));
    const full = { sweep: this.dag.sweep, nodes, failures };
    if (JSON.stringify(full).length <= maxBytes) return full;
    const { roots, done } = this.carry({});
    return { ...full, nodes: nodes.filter((n) => n.status !== 'done'), done: { roots, done } };
  }

  /**
   * The one place a node's status changes. Keeps the tally, the running set, the candidates
   * and, when a node enters or leaves `done`, its dependants' counts of unmet dependencies.
   */
  private setStatus(id: string, status: NodeStatus): NodeProgress {
    const p = this.progress(id);
    const before = p.status;
    const wasHit = before === 'done' && p.cacheHit;
    this.tally[before] -= 1;
    this.tally[status] += 1;
    if (wasHit) this.tally.cacheHits -= 1;
    p.status = status;
    if (status === 'done') {
      p.cacheHit = this.results.get(id)?.cacheHit ?? false;
      if (p.cacheHit) this.tally.cacheHits += 1;
    } else {
      p.cacheHit = false;
      this.results.delete(id);
      this.restored.delete(id);
    }
    if (status === 'running') this.running.add(id);
    else this.running.delete(id);
    if (status === 'pending' && this.unmet.get(id) === 0) this.candidates.add(id);
    else this.candidates.delete(id);
    if ((before === 'done') !== (status === 'done')) {
      const step = status === 'done' ? -1 : 1;
      for (const dependant of this.dependants.get(id) ?? []) {
        const unmet = this.unmet.get(dependant)! + step;
        this.unmet.set(dependant, unmet);
        if (unmet === 0 && this.status(dependant) === 'pending') this.candidates.add(dependant);
        else this.candidates.delete(dependant);
      }
    }
    return p;
  }

  private status(id: string): NodeStatus {
    return this.progress(id).status;
  }

  private progress(id: string): NodeProgress {
    const p = this.progressById.get(id);
    if (!p) throw new Error(`unknown node "${id}"`);
    return p;
  }

  private node(id: string): PlannedNode {
    const node = this.nodeById.get(id);
    if (!node) throw new Error(`unknown node "${id}"`);
    return node;
  }
}
