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

/** A Dag of test nodes: cache keys from sweep, id and params, queue `gpu` for train. */
export function testDag(
  sweep: string,
  specs: TestNodeSpec[],
  options: { retry?: Partial<RetrySettings>; maxParallel?: Dag['limits']['maxParallel'] } = {},
): Dag {
  const nodes: DagNode[] = specs.map((spec) => {
    const kind = spec.kind ?? 'preselect';
    const params = { ...(kind === 'train' ? { background: 'all', architecture: 'AE', latentDim: 2, axes: {} } : {}), ...spec.params };
    return {
      id: spec.id,
      kind,
      queue: kind === 'train' ? 'gpu' : 'cpu',
      dependsOn: spec.deps ?? [],
      params: params as unknown as DagNode['params'],
      cacheKey: createHash('sha256')
        .update(JSON.stringify([sweep, spec.id, params]))
        .digest('hex')
        .slice(0, 32),
      codeVersion: 'test',
      summary: `${kind} ${spec.id} (test)`,
    };
  });
  const retry = { ...FAST_RETRY, ...options.retry };
  return {
    sweep,
    nodes,
    limits: { maxParallel: options.maxParallel ?? {} },
    retry: Object.fromEntries(NODE_KINDS.map((kind) => [kind, retry])) as Dag['retry'],
  };
}
