// What travels between the sweep workflow and the node activities, and what the sweep
// returns. Pure types only: imported by workflow code, activities and the client alike.
import type { ArtifactRef, DagNode, NodeKind, NodeResult, NodeStatus } from './dag.js';

/**
 * A finished dependency as the workflow hands it to a node: a reference, never the data and
 * never the dependency's params (the node reads what it needs from the artifact itself).
 */
export interface NodeInput {
  ref: ArtifactRef;
  kind: NodeKind;
}

export interface NodeActivityInput {
  node: DagNode;
  /** Keyed by the dependency's node id. */
  inputs: Record<string, NodeInput>;
}

export interface NodeActivityResult extends NodeResult {
  /** Attempt that produced (or found) the artifact; 1 unless Temporal retried the node. */
  attempt: number;
}

/**
 * The signal by which a node's activity passes its runner's progress reports to the
 * workflow that scheduled it (for a train node: its training workflow).
 */
export const NODE_PROGRESS_SIGNAL = 'nodeProgress';

/** The activities a worker registers: one per node kind, named after it. */
export type NodeActivities = Record<NodeKind, (input: NodeActivityInput) => Promise<NodeActivityResult>>;

/** One node's state as the `progress` query and the sweep result report it. */
export interface NodeProgress {
  id: string;
  kind: NodeKind;
  status: NodeStatus;
  attempts?: number;
  cacheHit: boolean;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
}

export interface NodeOutcome extends NodeProgress {
  artifact?: ArtifactRef;
  summary?: Record<string, unknown>;
}

export interface SweepResult {
  sweep: string;
  nodes: NodeOutcome[];
  failures: { id: string; error: string }[];
}
