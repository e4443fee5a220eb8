// The compiled form of a sweep definition. Pure data and pure functions only: this module
// is imported by the deterministic workflow code as well as by the client and activities,
// so it must never import anything that does I/O.

/** Pipeline order of node kinds; `--until KIND` keeps the kinds up to and including KIND. */
export const NODE_KINDS = ['generate', 'preselect', 'fitScaler', 'train', 'score', 'ensemble', 'scan', 'report'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

import type { ModelArchitecture, ModelAxes } from './models.js';

export type TaskQueue = 'cpu' | 'gpu';

/**
 * Who does a training's numerics (activities/train/backend.ts): `auto` picks the fastest one
 * present on the host; `fused` is the fused kernel (native build if there is one, else its
 * WebAssembly build), `fused-native` / `fused-wasm` one of its builds; `tensorflow-gpu`
 * tfjs-node-gpu, `tensorflow` tfjs-node (the GPU package first), `wasm` and `cpu` tfjs's own.
 * The one list of the names: the schema's training.backend enum and the worker's --backend
 * accept exactly these (test/definitions/schema.test.ts).
 */
export const BACKEND_SETTINGS = ['auto', 'fused', 'fused-native', 'fused-wasm', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendSetting = (typeof BACKEND_SETTINGS)[number];

/** One sample as the generator and preselection see it (fully resolved from the YAML). */
export interface SampleParams {
  name: string;
  kind: 'background' | 'signal';
  /** tautau, mumu, ee, eeee, eemumu, eepipi, mumumumu, uubar, ddbar, ssbar, ccbar, B0B0bar, BpBm, K0K0bargamma, idmdh */
  process: string;
  /** Signal mass point in GeV; absent for background. */
  mChi1?: number;
  mHprime?: number;
  /** Embedded generator settings, or the user's ntuple files. */
  source: { generate: { events: number; seed: number } } | FileSource;
  /** Integrated luminosity the per-event weights must stand for, in fb^-1. */
  luminosityFb: number;
}

/** One input file of a sample, as the client found it when it planned the sweep. */
export interface InputFile {
  /** Relative to the data root, with `/`. */
  path: string;
  /** sha256 of the file's bytes: part of the preselection's cache key, checked again before reading. */
  sha256: string;
}

/** A sample read from the user's ROOT or Parquet ntuples (definition keys of the same names). */
export interface FileSource {
  /** In reading order: the definition's entries in turn, each pattern's matches sorted. */
  files: InputFile[];
  /** TTree of the ROOT files; by default each file's only tree. */
  tree?: string;
  /** Factor on every candidate's weight: the definition's weight, or crossSectionNb x luminosity / generated. */
  weight?: number;
  /** Column of the files with a weight per candidate, instead of the canonical `weight` column. */
  weightColumn?: string;
  /** Events the files stand for before any selection (the efficiency's denominator), when the definition gives it. */
  generated?: number;
}

export interface CutParams {
  name: string;
  /** Checked expression over ntuple columns (never evaluated as code). */
  expr: string;
}

export interface PreselectParams {
  sample: SampleParams;
  cuts: CutParams[];
  /** Column whose lowest value picks the best candidate per event (thesis: missing energy). */
  bestCandidate: { minimise: string };
  /** Feature columns, in model input order. */
  features: string[];
  /** Maps canonical column names to the names in a user's ntuple. */
  columns: Record<string, string>;
  /** Fraction of background events held out for scoring and scans (column `split` = 1). */
  testFraction: number;
  seed: number;
}

export interface FitScalerParams {
  background: string;
  samples: string[];
  features: string[];
}

export interface TrainingSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  folds: number;
  swa: boolean;
  /** Global gradient-norm clip; 0 disables. */
  clipNorm: number;
  plateau: { enabled: boolean; factor: number; patience: number; threshold: number; minLr: number };
  earlyStopping: { enabled: boolean; patience: number };
  hiddenLayers: number[];
  /** Weight of the VAE's KL term (thesis: 0.1). */
  beta: number;
  /** Weight of the DVAE's KL term; see the `thesis` preset for why it differs from beta. */
  dvaeBeta: number;
  dirichletAlpha: { others: number; last: number };
  backend: BackendSetting;
  seed: number;
}

export interface RetrySettings {
  maximumAttempts: number;
  initialIntervalSeconds: number;
  backoffCoefficient: number;
  maximumIntervalSeconds: number;
  heartbeatTimeoutSeconds: number;
}

/** What names a model: its display name, architecture, latent dimension, training set and the varying setting axes. */
export interface ModelLabels {
  model: string;
  architecture: ModelArchitecture;
  /** An autoencoder's latent dimension; 0 for a supervised model. */
  latentDim: number;
  background: string;
  /** The settings of the axes that vary in the sweep (part of the model's id). */
  axes: ModelAxes;
}

/** XGBoost's settings as the definition names them (supervised.bdt; seeds/002). */
export interface BdtSettings {
  trees: number;
  maxDepth: number;
  learningRate: number;
  subsample: number;
}

/** A supervised model's signal classes in output order (class 0, the background, is implied). */
export interface SupervisedParams {
  /** One class: a binary classifier; several: a multiclass DNN. */
  classes: { name: string; samples: string[] }[];
  /** BDT only. */
  bdt?: BdtSettings;
}

export interface TrainParams extends ModelLabels {
  /** The samples it trains on: background, and a supervised model's signal points. */
  samples: string[];
  features: string[];
  training: TrainingSettings;
  /** Supervised models only. */
  supervised?: SupervisedParams;
}

export type ScoreParams = ModelLabels;

/** An ensemble: a score that is the mean of its members' scores, event by event. */
export interface EnsembleParams extends ModelLabels {
  /** The member models (names), which differ in the seed alone. */
  members: string[];
}

export interface ScanParams extends ModelLabels {
  /** The model's training settings that a matrix can vary (the seed is absent for an ensemble), for the tables. */
  settings: ModelAxes;
  /** For an ensemble: its member models. */
  ensembleOf?: string[];
  /** For a supervised model: the signal samples it trained on (the others it never saw). */
  trainedOn?: string[];
  /** `mse`, or `latent:<i>` to scan a latent coordinate (thesis 7.4); `output` for a supervised model. */
  score: string;
  punziA: number;
  quantiles: [number, number];
  steps: number;
}

export interface ReportParams {
  sweep: string;
  luminosityFb: number;
  examples: { name: string; mChi1: number; mHprime: number }[];
  /** Model shown in the mass-grid heat maps. */
  heatmapModel: string;
}

export interface NodeParamsByKind {
  generate: { sample: SampleParams };
  preselect: PreselectParams;
  fitScaler: FitScalerParams;
  train: TrainParams;
  score: ScoreParams;
  ensemble: EnsembleParams;
  scan: ScanParams;
  report: ReportParams;
}

export interface DagNode<K extends NodeKind = NodeKind> {
  /** Unique, human-readable, stable: e.g. `train/all/AE-l3`. */
  id: string;
  kind: K;
  queue: TaskQueue;
  dependsOn: string[];
  params: NodeParamsByKind[K];
  /** Hash of kind, resolved params, the dependencies' cache keys and the kind's code version. */
  cacheKey: string;
  /** The code version of the kind the node was planned with (part of its cache key); a worker with other code refuses it. */
  codeVersion: string;
  /** One line for the Temporal UI. */
  summary: string;
}

export interface Dag {
  sweep: string;
  nodes: DagNode[];
  limits: { maxParallel: Partial<Record<NodeKind | TaskQueue, number>> };
  retry: Record<NodeKind, RetrySettings>;
}

/**
 * A Dag kept in the artifact store under the sha256 of its JSON. The workflow receives this,
 * never the Dag itself, so a definition's size is bounded by the store, not by a message.
 */
export interface DagRef {
  hash: string;
}

/**
 * What the workflow needs of a node to schedule it: everything but its params and code
 * version (the worker checks that against the stored Dag). It is in every run's history, so
 * each byte counts ten thousand times in a 10,000-node sweep.
 */
export interface PlannedNode extends Omit<DagNode, 'params' | 'codeVersion'> {
  /** Train nodes: the model, for the training workflow's id and search attributes. */
  model?: ModelLabels;
}

/** The Dag as the sweep workflow holds it: structure, limits and retries, no params. */
export interface SweepPlan extends Omit<Dag, 'nodes'> {
  dag: DagRef;
  nodes: PlannedNode[];
}

export function sweepPlan(dag: Dag, ref: DagRef): SweepPlan {
  const nodes = dag.nodes.map(({ params, codeVersion: _, ...node }): PlannedNode => {
    if (node.kind !== 'train') return node;
    const { model, architecture, latentDim, background, axes } = params as TrainParams;
    return { ...node, model: { model, architecture, latentDim, background, axes } };
  });
  return { sweep: dag.sweep, limits: dag.limits, retry: dag.retry, dag: ref, nodes };
}

/** Reference to a committed artifact; the only thing about data that travels through Temporal. */
export interface ArtifactRef {
  uri: string;
  hash: string;
  cacheKey: string;
}

export type NodeStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface NodeResult {
  artifact: ArtifactRef;
  cacheHit: boolean;
  /** Small JSON the node reports (val loss, cut-flow totals, ...). */
  summary: Record<string, unknown>;
}
