// Scheduling rules of a sweep, kept pure (no I/O, no clocks: callers pass timestamps) so
// the deterministic workflow can run them and unit tests can check them in microseconds.
import type { NodeKind, PlannedNode, SweepPlan, TaskQueue } from './dag.js';
import type { NodeActivityResult, NodeInput, NodeOutcome, NodeProgress, SweepResult } from './node-io.js';

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

/**
 * The live state of one sweep: which nodes wait, run, finished or were skipped, and the
 * results of finished ones. Nodes start in Dag order (the compiler emits a topological
 * order), so the schedule is deterministic for a given sequence of completions.
 */
export class SweepState {
  private readonly progressById = new Map<string, NodeProgress>();
  private readonly results = new Map<string, NodeActivityResult>();
  private readonly nodeById: Map<string, PlannedNode>;
  private readonly dependants = new Map<string, string[]>();
  /** How often each node's artifact was lost after it finished. */
  private readonly losses = new Map<string, number>();

  constructor(readonly dag: SweepPlan) {
    this.nodeById = new Map(dag.nodes.map((n) => [n.id, n]));
    for (const node of dag.nodes) {
      this.progressById.set(node.id, { id: node.id, kind: node.kind, status: 'pending', cacheHit: false });
      for (const dep of node.dependsOn) {
        const list = this.dependants.get(dep) ?? [];
        list.push(node.id);
        this.dependants.set(dep, list);
      }
    }
  }

  /** Pending nodes whose dependencies are all done, within the per-kind and per-queue limits. */
  ready(): PlannedNode[] {
    const limits = this.dag.limits.maxParallel;
    const running = new Map<NodeKind | TaskQueue, number>();
    const bump = (key: NodeKind | TaskQueue) => running.set(key, (running.get(key) ?? 0) + 1);
    const atLimit = (key: NodeKind | TaskQueue) => (running.get(key) ?? 0) >= (limits[key] ?? Infinity);
    for (const p of this.progressById.values()) {
      if (p.status === 'running') {
        bump(p.kind);
        bump(this.node(p.id).queue);
      }
    }
    const ready: PlannedNode[] = [];
    for (const node of this.dag.nodes) {
      if (this.status(node.id) !== 'pending') continue;
      if (!node.dependsOn.every((dep) => this.status(dep) === 'done')) continue;
      if (atLimit(node.kind) || atLimit(node.queue)) continue;
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
    const p = this.progress(id);
    p.status = 'running';
    p.startedAt = now;
    delete p.finishedAt;
    delete p.error;
  }

  succeed(id: string, result: NodeActivityResult, now: string): void {
    const p = this.progress(id);
    p.status = 'done';
    p.cacheHit = result.cacheHit;
    p.attempts = result.attempt;
    p.finishedAt = now;
    this.results.set(id, result);
  }

  /** Marks the node failed and every node downstream of it skipped; returns the skipped ids. */
  fail(id: string, error: string, attempts: number | undefined, now: string): string[] {
    const p = this.progress(id);
    p.status = 'failed';
    p.error = error;
    p.finishedAt = now;
    if (attempts !== undefined) p.attempts = attempts;
    const skipped: string[] = [];
    const queue = [...(this.dependants.get(id) ?? [])];
    while (queue.length > 0) {
      const next = queue.shift()!;
      const q = this.progress(next);
      if (q.status !== 'pending') continue;
      q.status = 'skipped';
      q.error = `skipped: depends on failed node ${id}`;
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
      const p = this.progress(dep);
      if (p.status !== 'done') continue;
      const losses = (this.losses.get(dep) ?? 0) + 1;
      this.losses.set(dep, losses);
      if (losses > maxLosses) {
        givenUp.push(dep);
        continue;
      }
      p.status = 'pending';
      p.cacheHit = false;
      delete p.startedAt;
      delete p.finishedAt;
      this.results.delete(dep);
    }
    const p = this.progress(id);
    p.status = 'pending';
    delete p.startedAt;
    return givenUp;
  }

  /** Failed and skipped nodes go back to pending so the sweep runs them again. */
  resetFailed(): string[] {
    const reset: string[] = [];
    for (const p of this.progressById.values()) {
      if (p.status !== 'failed' && p.status !== 'skipped') continue;
      p.status = 'pending';
      delete p.error;
      delete p.startedAt;
      delete p.finishedAt;
      reset.push(p.id);
    }
    return reset;
  }

  /** Nothing waits and nothing runs: the sweep is over (possibly with failures). */
  finished(): boolean {
    for (const p of this.progressById.values()) {
      if (p.status === 'pending' || p.status === 'running') return false;
    }
    return true;
  }

  snapshot(): NodeProgress[] {
    return [...this.progressById.values()].map((p) => ({ ...p }));
  }

  counts(): Record<NodeProgress['status'], number> & { cacheHits: number } {
    const counts = { pending: 0, running: 0, done: 0, failed: 0, skipped: 0, cacheHits: 0 };
    for (const p of this.progressById.values()) {
      counts[p.status] += 1;
      if (p.status === 'done' && p.cacheHit) counts.cacheHits += 1;
    }
    return counts;
  }

  /** One line for the Temporal UI: what runs now and how far the sweep is. */
  describe(): string {
    const c = this.counts();
    const running = [...this.progressById.values()].filter((p) => p.status === 'running').map((p) => p.id);
    const shown = running.slice(0, 6).join(', ') + (running.length > 6 ? `, +${running.length - 6} more` : '');
    const parts = [`${c.done}/${this.dag.nodes.length} done (${c.cacheHits} cached)`];
    if (c.failed > 0) parts.push(`${c.failed} failed`);
    if (c.skipped > 0) parts.push(`${c.skipped} skipped`);
    parts.push(running.length > 0 ? `running: ${shown}` : 'nothing running');
    return parts.join(' · ');
  }

  result(): SweepResult {
    const nodes: NodeOutcome[] = this.snapshot().map((p) => {
      const result = this.results.get(p.id);
      return result && p.status === 'done' ? { ...p, artifact: result.artifact, summary: result.summary } : p;
    });
    const failures = nodes.filter((n) => n.status === 'failed').map((n) => ({ id: n.id, error: n.error ?? 'failed' }));
    return { sweep: this.dag.sweep, nodes, failures };
  }

  private status(id: string): NodeProgress['status'] {
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
