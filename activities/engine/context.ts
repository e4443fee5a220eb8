// What a node runner sees of the engine: its node, its opened inputs, where to write, and
// the attempt's channel back (heartbeats, log, cancellation). The engine owns caching and
// commits; a runner only writes files and returns a small summary.
import type { BackendSetting, DagNode, NodeKind } from '../../core/dag.js';

/** A committed artifact of a dependency, opened for reading. */
export interface InputArtifact {
  nodeId: string;
  kind: NodeKind;
  /** Directory holding the artifact's files (read-only). */
  dir: string;
  /** What the producing node returned as its summary (from the artifact's manifest). */
  summary: Record<string, unknown>;
}

/** Everything a node implementation may touch. */
export interface NodeContext<K extends NodeKind = NodeKind> {
  node: DagNode<K>;
  inputs: InputArtifact[];
  /** Staging directory: everything written here is committed atomically when the runner returns. */
  outDir: string;
  /** Durable scratch space for this cache key (checkpoints); survives retries and worker crashes. */
  workDir: string;
  /** Root that relative data paths in the definition resolve against. */
  dataRoot: string;
  /** Directories below which user files may be read, after symlinks (lib/data-files.ts). */
  allowedRoots: string[];
  /** The worker's --backend: a property of the host, so it overrides training.backend. */
  backend?: BackendSetting;
  attempt: number;
  /** Details of the last heartbeat of a previous attempt, if any. */
  heartbeatDetails: unknown;
  heartbeat(details?: unknown): void;
  /**
   * Tells whoever watches the node where it stands: the engine signals the workflow that
   * scheduled the node (a training's workflow shows it in the Temporal UI and to `sweep
   * status`). Every call is an event in that workflow's history, so call it per step that
   * matters to a reader (an epoch), never per second; liveness is heartbeat's job.
   */
  progress(details: unknown): void;
  /** Aborted when Temporal cancels the activity or the worker shuts down. */
  signal: AbortSignal;
  log(message: string): void;
}

/** A node kind's implementation: writes files into ctx.outDir, returns a small JSON summary. */
export type NodeRunner<K extends NodeKind> = (ctx: NodeContext<K>) => Promise<Record<string, unknown>>;

/** A runner for every node kind: the product's (activities/registry.ts) or a test's. */
export type RunnerRegistry = { [K in NodeKind]: NodeRunner<K> };
