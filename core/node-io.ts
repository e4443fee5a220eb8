// What travels between the sweep workflow and the node activities, and what the sweep
// returns. Pure types only: imported by workflow code, activities and the client alike.
import type { ArtifactRef, DagRef, NodeKind, NodeResult, NodeStatus, SweepPlan } from './dag.js';

/**
 * A finished dependency as the workflow hands it to a node: a reference, never the data and
 * never the dependency's params (the node reads what it needs from the artifact itself).
 */
export interface NodeInput {
  ref: ArtifactRef;
  kind: NodeKind;
}

export interface NodeActivityInput {
  /** The stored Dag the node belongs to; the activity reads the node's params from it. */
  dag: DagRef;
  nodeId: string;
  /** Keyed by the dependency's node id. */
  inputs: Record<string, NodeInput>;
}

/** What starts a sweep workflow: its name and the stored Dag. */
export interface SweepInput {
  sweep: string;
  dag: DagRef;
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

/** The activities of the sweep workflow itself, on its own task queue. */
export interface SweepActivities {
  /** The plan of a stored Dag (every node without its params). */
  planSweep(dag: DagRef): Promise<SweepPlan>;
}

/**
 * Failure type of a node whose input artifact was found corrupt or missing: the engine has
 * set it aside, and the sweep recomputes the dependencies named in the details (`lost`).
 */
export const ARTIFACT_LOST = 'ArtifactLost';

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
