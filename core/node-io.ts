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

/** What starts a sweep workflow: its name and the stored Dag; a continued run also gets the state so far. */
export interface SweepInput {
  sweep: string;
  dag: DagRef;
  /** Set by the run this one continues (continue-as-new). */
  carried?: CarriedState;
  /** When a run continues as new; by default Temporal's suggestion or HISTORY_LIMIT (workflows/sweep.ts), whichever comes first. */
  historyLimit?: HistoryLimit;
}

/** A run continues as new before its history has this many events or bytes. */
export interface HistoryLimit {
  events: number;
  bytes: number;
}

/**
 * What a sweep run hands to the run it continues as (`continueAsNew`): enough to go on
 * where it stopped, kept small because it is the new run's input, stored in its history.
 * A done node is its artifact's hash, store root (an index into `roots`), attempt and cache
 * hit (1); its summary stays in the artifact's manifest. Skipped nodes follow from the failed.
 */
export interface CarriedState {
  /** Roots of the stores the carried artifacts lie in (`<root>/<kind>/<cacheKey>`), each once. */
  roots: string[];
  done: Record<string, [hash: string, root: number, attempt: number, cacheHit: 0 | 1]>;
  failed: Record<string, [error: string, attempts: number | null]>;
  /** How often a node's artifact was lost (only nodes lost at least once). */
  losses: Record<string, number>;
  /** Trainings running at the boundary: node id -> run id of the training workflow to attach to ('' = its latest run). */
  trainings: Record<string, string>;
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
  /**
   * The plan of a stored Dag (every node without its params), in pages that each fit a
   * Temporal payload: nodes from `from` on, and where the next page starts (null: none).
   */
  planSweep(dag: DagRef, from: number): Promise<{ plan: SweepPlan; next: number | null }>;
  /**
   * Waits for a training workflow this sweep started before (in an earlier run, or a run that
   * was terminated) and returns its result, so a training is never started twice.
   */
  trainingResult(training: { workflowId: string; runId?: string }): Promise<NodeActivityResult>;
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
  /**
   * Set when every node's outcome would not fit one payload (a sweep of thousands of
   * nodes): the done nodes in CarriedState's compact form, and `nodes` lists the others. The
   * client expands it with the Dag (client/sweeps.ts).
   */
  done?: Pick<CarriedState, 'roots' | 'done'>;
}
