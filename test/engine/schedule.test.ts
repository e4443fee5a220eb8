// The pure scheduling rules the sweep workflow runs: readiness, limits, skipping, resets.
import { describe, expect, it } from 'vitest';
import { sweepPlan, type Dag, type SweepPlan } from '../../core/dag.js';
import type { NodeActivityResult } from '../../core/node-io.js';
import { dagProblems, MAX_RUNNING, MAX_STARTING_TRAININGS, SweepState } from '../../core/schedule.js';
import { expandResult } from '../../client/sweeps.js';
import { testDag, type TestNodeSpec } from '../helpers/dags.js';

const T = '2024-01-01T00:00:00.000Z';

function result(id: string, cacheHit = false): NodeActivityResult {
  return { artifact: { uri: `file:///x/${id}`, hash: `h-${id}`, cacheKey: id }, cacheHit, summary: { id }, attempt: 1 };
}

/** The plan the workflow would get for this Dag. */
function plan(dag: Dag): SweepPlan {
  return sweepPlan(dag, { hash: 'test' });
}

function ids(nodes: { id: string }[]): string[] {
  return nodes.map((n) => n.id);
}

// a -> b -> d, a -> c -> d, e independent
const DIAMOND: TestNodeSpec[] = [
  { id: 'a', kind: 'generate' },
  { id: 'b', deps: ['a'] },
  { id: 'c', deps: ['a'] },
  { id: 'd', kind: 'fitScaler', deps: ['b', 'c'] },
  { id: 'e', kind: 'generate' },
];

describe('SweepState', () => {
  it('starts roots first, then whatever has all dependencies done', () => {
    const state = new SweepState(plan(testDag('s', DIAMOND)));
    expect(ids(state.ready())).toEqual(['a', 'e']);
    state.start('a', T);
    state.start('e', T);
    expect(state.ready()).toEqual([]);
    state.succeed('a', result('a'), T);
    expect(ids(state.ready())).toEqual(['b', 'c']);
    state.start('b', T);
    state.start('c', T);
    state.succeed('b', result('b'), T);
    expect(state.ready()).toEqual([]); // d still waits for c
    state.succeed('c', result('c'), T);
    expect(ids(state.ready())).toEqual(['d']);
    expect(Object.keys(state.inputsOf('d'))).toEqual(['b', 'c']);
    // References only: what the dependency is and where its artifact is, never its params or summary.
    expect(state.inputsOf('d').b).toEqual({ kind: 'preselect', ref: result('b').artifact });
  });

  it('respects per-kind and per-queue limits, counting running nodes', () => {
    const specs: TestNodeSpec[] = [
      ...['p1', 'p2', 'p3'].map((id) => ({ id })),
      ...['t1', 't2', 't3'].map((id) => ({ id, kind: 'train' as const, params: { latentDim: Number(id[1]) } })),
      { id: 'g1', kind: 'generate' },
    ];
    const state = new SweepState(plan(testDag('s', specs, { maxParallel: { preselect: 2, train: 1, cpu: 2 } })));
    // cpu allows 2: p1, p2 (preselect limit 2 as well); g1 would be the third cpu node.
    const first = ids(state.ready());
    expect(first).toEqual(['p1', 'p2', 't1']);
    for (const id of first) state.start(id, T);
    expect(state.ready()).toEqual([]);
    state.succeed('p1', result('p1'), T);
    state.succeed('t1', result('t1'), T);
    expect(ids(state.ready())).toEqual(['p3', 't2']);
  });

  it(`runs at most ${MAX_RUNNING} nodes at once, however wide the Dag`, () => {
    const state = new SweepState(
      plan(
        testDag(
          's',
          Array.from({ length: MAX_RUNNING + 20 }, (_, i) => ({ id: `n${i}` })),
        ),
      ),
    );
    const first = state.ready();
    expect(first).toHaveLength(MAX_RUNNING);
    for (const node of first) state.start(node.id, T);
    expect(state.ready()).toEqual([]);
    state.succeed('n0', result('n0'), T);
    expect(ids(state.ready())).toEqual([`n${MAX_RUNNING}`]);
  });

  it(`asks for at most ${MAX_STARTING_TRAININGS} training workflows at a time; other nodes go past them`, () => {
    const specs: TestNodeSpec[] = [
      ...Array.from({ length: MAX_STARTING_TRAININGS + 5 }, (_, i) => ({
        id: `t${i}`,
        kind: 'train' as const,
        params: { latentDim: i + 1 },
      })),
      { id: 'p', kind: 'preselect' },
    ];
    const state = new SweepState(plan(testDag('s', specs)));
    const first = ids(state.ready());
    expect(first).toHaveLength(MAX_STARTING_TRAININGS + 1);
    expect(first.at(-1)).toBe('p'); // after the trainings in Dag order, and not held up by the window
    for (const id of first) state.start(id, T);
    // All of them still starting: no more trainings until some have started.
    expect(state.ready(MAX_STARTING_TRAININGS)).toEqual([]);
    // Three have started (the caller's count drops): three more may go.
    expect(ids(state.ready(MAX_STARTING_TRAININGS - 3))).toEqual([
      `t${MAX_STARTING_TRAININGS}`,
      `t${MAX_STARTING_TRAININGS + 1}`,
      `t${MAX_STARTING_TRAININGS + 2}`,
    ]);
  });

  it('skips every node downstream of a failure and nothing else', () => {
    const state = new SweepState(plan(testDag('s', DIAMOND)));
    for (const id of ['a', 'e']) state.start(id, T);
    state.succeed('a', result('a'), T);
    state.start('b', T);
    state.start('c', T);
    expect(state.fail('b', 'boom', 3, T)).toEqual(['d']);
    expect(state.finished()).toBe(false); // c and e still run
    state.succeed('c', result('c'), T);
    state.succeed('e', result('e'), T);
    expect(state.ready()).toEqual([]);
    expect(state.finished()).toBe(true);
    const { failures, nodes } = state.result();
    expect(failures).toEqual([{ id: 'b', error: 'boom' }]);
    expect(nodes.find((n) => n.id === 'b')).toMatchObject({ status: 'failed', attempts: 3 });
    expect(nodes.find((n) => n.id === 'd')).toMatchObject({ status: 'skipped', error: 'skipped: depends on failed node b' });
    expect(nodes.find((n) => n.id === 'c')).toMatchObject({ status: 'done', artifact: { cacheKey: 'c' } });
  });

  it('resets failed and skipped nodes to pending and runs them again', () => {
    const state = new SweepState(plan(testDag('s', DIAMOND)));
    for (const id of ['a', 'e']) state.start(id, T);
    state.succeed('a', result('a'), T);
    state.succeed('e', result('e', true), T);
    state.start('b', T);
    state.start('c', T);
    state.fail('b', 'boom', 1, T);
    state.succeed('c', result('c'), T);
    expect(state.resetFailed()).toEqual(['b', 'd']);
    expect(state.finished()).toBe(false);
    expect(ids(state.ready())).toEqual(['b']);
    expect(state.counts()).toEqual({ pending: 2, running: 0, done: 3, failed: 0, skipped: 0, cacheHits: 1 });
    expect(state.snapshot().find((n) => n.id === 'b')).not.toHaveProperty('error');
  });

  it('carries its state to a new run compactly: done with refs, failed with skips, losses, running trainings', () => {
    const dag = testDag('s', DIAMOND);
    const state = new SweepState(plan(dag));
    // As the store names an artifact: `<root>/<kind>/<cacheKey>`, the node's cache key.
    const stored = (id: string, kind: string) => {
      const cacheKey = dag.nodes.find((n) => n.id === id)!.cacheKey;
      return { ...result(id), artifact: { uri: `file:///store/${kind}/${cacheKey}`, hash: `h-${id}`, cacheKey } };
    };
    for (const id of ['a', 'e']) state.start(id, T);
    state.succeed('a', stored('a', 'generate'), T);
    state.start('b', T);
    state.start('c', T);
    state.fail('b', 'boom', 2, T);
    state.recompute('c', ['a'], 3); // a lost once: pending again, and c waits for it
    state.start('a', T);
    state.succeed('a', { ...stored('a', 'generate'), cacheHit: true }, T);
    const carried = state.carry({ e: 'run-of-e' });
    expect(carried).toEqual({
      roots: ['file:///store'],
      done: { a: ['h-a', 0, 1, 1] },
      failed: { b: ['boom', 2] },
      losses: { a: 1 },
      trainings: { e: 'run-of-e' },
    });

    const next = new SweepState(plan(dag), carried);
    expect(next.counts()).toEqual({ pending: 2, running: 0, done: 1, failed: 1, skipped: 1, cacheHits: 1 });
    expect(ids(next.ready())).toEqual(['c', 'e']);
    expect(next.inputsOf('c').a).toEqual({ kind: 'generate', ref: stored('a', 'generate').artifact });
    // The summary of a node done in an earlier run stays in its manifest.
    expect(next.result().nodes.find((n) => n.id === 'a')).toEqual({
      id: 'a',
      kind: 'generate',
      status: 'done',
      cacheHit: true,
      attempts: 1,
      artifact: stored('a', 'generate').artifact,
    });
    expect(next.resetFailed()).toEqual(['b', 'd']);
  });

  it('returns the done nodes compactly past a size, and the client expands them to the same outcomes', () => {
    const dag = testDag('s', DIAMOND);
    const state = new SweepState(plan(dag));
    const stored = (id: string) => {
      const node = dag.nodes.find((n) => n.id === id)!;
      return { ...result(id), artifact: { uri: `file:///store/${node.kind}/${node.cacheKey}`, hash: `h-${id}`, cacheKey: node.cacheKey } };
    };
    for (const id of ['a', 'e']) state.start(id, T);
    state.succeed('a', stored('a'), T);
    state.succeed('e', { ...stored('e'), cacheHit: true }, T);
    state.start('b', T);
    state.fail('b', 'boom', 1, T);
    const compact = state.result(300);
    expect(compact.nodes.map((n) => n.id)).toEqual(['b', 'c', 'd']);
    expect(compact.done).toEqual({ roots: ['file:///store'], done: { a: ['h-a', 0, 1, 0], e: ['h-e', 0, 1, 1] } });
    // What the compact form leaves out: timestamps and summaries (the client reads those from the manifests).
    const full = state.result();
    expect(full.done).toBeUndefined();
    const withoutTimes = full.nodes.map(({ startedAt: _s, finishedAt: _f, summary: _m, ...n }) =>
      n.status === 'done' ? n : full.nodes.find((m) => m.id === n.id),
    );
    expect(expandResult(compact, dag)).toEqual({ ...full, nodes: withoutTimes });
  });

  it('describes what runs for the Temporal UI', () => {
    const state = new SweepState(plan(testDag('s', DIAMOND)));
    state.start('a', T);
    expect(state.describe()).toBe('0/5 done (0 cached) · running: a');
  });
});

describe('dagProblems', () => {
  it('accepts a well-formed Dag', () => {
    expect(dagProblems(testDag('s', DIAMOND))).toEqual([]);
  });

  it('reports unknown dependencies, duplicate ids and bad limits', () => {
    const dag: Dag = testDag('s', [{ id: 'a' }, { id: 'b', deps: ['a', 'ghost'] }, { id: 'a' }], { maxParallel: { train: 0 } });
    expect(dagProblems(dag)).toEqual([
      'node id "a" appears twice',
      'node "b" depends on unknown node "ghost"',
      'limits.maxParallel.train must be a whole number >= 1, got 0',
    ]);
  });

  it('reports a dependency cycle with its path', () => {
    const dag = testDag('s', [
      { id: 'a', deps: ['c'] },
      { id: 'b', deps: ['a'] },
      { id: 'c', deps: ['b'] },
    ]);
    expect(dagProblems(dag)).toEqual(['dependency cycle: a -> c -> b -> a']);
  });
});
