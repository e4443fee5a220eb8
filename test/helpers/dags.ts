// Dags of test nodes (see runners.ts for what the nodes do). Pure, for unit tests too.
import { createHash } from 'node:crypto';
import { NODE_KINDS, type Dag, type DagNode, type NodeKind, type RetrySettings } from '../../core/dag.js';
import type { TestBehaviour } from './runners.js';

export interface TestNodeSpec {
  id: string;
  kind?: NodeKind;
  deps?: string[];
  params?: TestBehaviour & Record<string, unknown>;
}

const FAST_RETRY: RetrySettings = {
  maximumAttempts: 3,
  initialIntervalSeconds: 0.1,
  backoffCoefficient: 1,
  maximumIntervalSeconds: 0.5,
  heartbeatTimeoutSeconds: 3,
};

/** One node as the tests build it: cache key from sweep, id and params, queue `gpu` for train. */
export function testNode(id: string, kind: NodeKind, dependsOn: string[], params: unknown, sweep: string): DagNode {
  return {
    id,
    kind,
    queue: kind === 'train' ? 'gpu' : 'cpu',
    dependsOn,
    params: params as DagNode['params'],
    cacheKey: createHash('sha256')
      .update(JSON.stringify([sweep, id, params]))
      .digest('hex')
      .slice(0, 32),
    codeVersion: 'test',
    summary: `${kind} ${id} (test)`,
  };
}

/** A Dag of test nodes (testNode), train nodes with the labels a training needs. */
export function testDag(
  sweep: string,
  specs: TestNodeSpec[],
  options: { retry?: Partial<RetrySettings>; maxParallel?: Dag['limits']['maxParallel'] } = {},
): Dag {
  const nodes: DagNode[] = specs.map((spec) => {
    const kind = spec.kind ?? 'preselect';
    const params = { ...(kind === 'train' ? { background: 'all', architecture: 'AE', latentDim: 2, axes: {} } : {}), ...spec.params };
    return testNode(spec.id, kind, spec.deps ?? [], params, sweep);
  });
  const retry = { ...FAST_RETRY, ...options.retry };
  return {
    sweep,
    nodes,
    limits: { maxParallel: options.maxParallel ?? {} },
    retry: Object.fromEntries(NODE_KINDS.map((kind) => [kind, retry])) as Dag['retry'],
  };
}
