import type { DagNode, NodeKind, NodeParamsByKind } from '../definitions/dag.js';

/** A committed artifact of a dependency, opened for reading. */
export interface InputArtifact {
  nodeId: string;
  kind: NodeKind;
  params: NodeParamsByKind[NodeKind];
  /** Directory holding the artifact's files (read-only). */
  dir: string;
  /** What the producing node returned as its summary. */
  summary: Record<string, unknown>;
}

/** Everything a node implementation may touch. The engine owns caching and commits. */
export interface NodeContext<K extends NodeKind = NodeKind> {
  node: DagNode<K>;
  inputs: InputArtifact[];
  /** Staging directory: everything written here is committed atomically when `run` returns. */
  outDir: string;
  /** Durable scratch space for this cache key (checkpoints); survives retries and worker crashes. */
  workDir: string;
  /** Root that relative data paths in the definition resolve against. */
  dataRoot: string;
  attempt: number;
  /** Details of the last heartbeat of a previous attempt, if any. */
  heartbeatDetails: unknown;
  heartbeat(details?: unknown): void;
  /** Aborted when Temporal cancels the activity or the worker shuts down. */
  signal: AbortSignal;
  log(message: string): void;
}

/** A node kind's implementation: writes files into ctx.outDir, returns a small JSON summary. */
export type NodeRunner<K extends NodeKind> = (ctx: NodeContext<K>) => Promise<Record<string, unknown>>;
