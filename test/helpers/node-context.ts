// A node's context as the engine hands it to a runner, for running runners in the test
// process: a fresh output directory under `root` per call, user files under `dataRoot`.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DagNode, NodeKind } from '../../core/dag.js';
import type { InputArtifact, NodeContext } from '../../activities/engine/context.js';

let counter = 0;

export function nodeContext<K extends NodeKind>(
  kind: K,
  params: DagNode<K>['params'],
  dirs: { root: string; dataRoot: string },
  inputs: InputArtifact[] = [],
): NodeContext<K> {
  const outDir = join(dirs.root, `out-${counter++}`);
  mkdirSync(outDir);
  return {
    node: { id: `${kind}/test`, kind, queue: 'cpu', dependsOn: [], params, cacheKey: 'k', codeVersion: 'test', summary: '' } as DagNode<K>,
    inputs,
    outDir,
    workDir: outDir,
    dataRoot: dirs.dataRoot,
    allowedRoots: [dirs.dataRoot],
    attempt: 1,
    heartbeatDetails: undefined,
    heartbeat: () => undefined,
    progress: () => undefined,
    signal: new AbortController().signal,
    log: () => undefined,
  };
}
