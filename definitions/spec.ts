// The loaded sweep definition: the YAML as the schema (sweep.schema.json) describes it, with
// the schema's defaults filled in. Presets, derived seeds and matrices are resolved later by
// compile.ts, so this type mirrors what the user wrote.
import type { BdtSettings, NodeKind, RetrySettings, TaskQueue, TrainingSettings } from '../core/dag.js';
import type { Architecture, SettingAxis, SupervisedArchitecture } from '../core/models.js';
import type { PresetName } from './presets.js';

export interface GenerateSpec {
  events: number;
}

/** What a sample read from the user's ntuples says about them (core/dag.ts FileSource). */
export interface FileSampleSpec {
  /** A path, a wildcard pattern or a list of them, relative to data.root. */
  file?: string | string[];
  tree?: string;
  weight?: number;
  weightColumn?: string;
  /** Cross section in nb: with `generated`, the weight is crossSectionNb x luminosity / generated. */
  crossSectionNb?: number;
  generated?: number;
}

/** A sample's `file` entries as a list (one entry may be written alone). */
export function fileEntries(file: string | string[] | undefined): string[] {
  return file === undefined ? [] : typeof file === 'string' ? [file] : file;
}

export interface BackgroundSampleSpec extends FileSampleSpec {
  name: string;
  process: string;
  /** Exactly one of `generate` and `file` (checked by the loader). */
  generate?: GenerateSpec;
}

export interface MassPoint {
  m_chi1: number;
  m_hprime: number;
}

/** `file` entries are templates per grid point with {name}, {m_chi1}, {m_hprime}. */
export interface SignalSpec extends FileSampleSpec {
  process: string;
  grid: { m_chi1: number[]; m_hprime: number[] };
  where?: string;
  generate?: GenerateSpec;
  examples: Record<string, MassPoint>;
}

export interface CutSpec {
  name: string;
  expr: string;
  forEach?: string[];
}

/** One value or a list of values per setting axis (hiddenLayers: one list of widths, or a list of them). */
export type SettingSelector = { [A in SettingAxis]?: A extends 'hiddenLayers' ? number[] | number[][] : number | number[] };

/** One value or a list of values per axis, as in CI matrices. */
export interface ModelSelector extends SettingSelector {
  background?: string | string[];
  architecture?: Architecture | Architecture[];
  latentDim?: number | number[];
}

/** A point of the grid as the definition names it: an example name or a sample name; `all` is the grid. */
export type PointList = string | string[];

/** One supervised baseline (definitions/supervised.ts resolves it). */
export interface SupervisedModelSpec {
  name?: string;
  architecture: SupervisedArchitecture;
  signal?: PointList;
  classes?: Record<string, PointList>;
}

export interface ModelsSpec {
  matrix?: { background: string[]; architecture: Architecture[]; latentDim: number[] } & {
    [A in SettingAxis]?: A extends 'hiddenLayers' ? number[][] : number[];
  };
  exclude: ModelSelector[];
  include: ModelSelector[];
  /** Adds, for every group of models that differ in the seed alone, a model whose score is their mean. */
  ensemble?: 'seed';
  supervised: SupervisedModelSpec[];
}

/** The autoencoders of models: the matrix, minus `exclude`, plus `include` (matrix.ts). */
export type ModelMatrixSpec = Omit<ModelsSpec, 'supervised'>;

export interface SupervisedSettings {
  bdt: BdtSettings;
  dnn: { hiddenLayers: number[]; learningRate: number; epochs: number };
}

/** Every TrainingSettings field may override the preset; nested objects field by field. */
export type TrainingOverrides = Partial<
  Omit<TrainingSettings, 'plateau' | 'earlyStopping' | 'dirichletAlpha'> & {
    plateau: Partial<TrainingSettings['plateau']>;
    earlyStopping: Partial<TrainingSettings['earlyStopping']>;
    dirichletAlpha: Partial<TrainingSettings['dirichletAlpha']>;
  }
>;

export const CPU_KINDS = [
  'generate',
  'preselect',
  'fitScaler',
  'score',
  'ensemble',
  'scan',
  'report',
] as const satisfies readonly NodeKind[];
export type CpuKind = (typeof CPU_KINDS)[number];

export interface Spec {
  /** Path of the definition file as given to the loader (for messages). */
  file: string;
  /** Absolute directory that sample `file` paths resolve against (data.root, relative to the file). */
  dataRoot: string;
  name: string;
  description?: string;
  seed: number;
  luminosity: number;
  data: { root: string };
  samples: { background: BackgroundSampleSpec[]; signal: SignalSpec };
  columns: Record<string, string>;
  preselection: { testFraction: number; cuts: CutSpec[]; bestCandidate: { minimise: string } };
  features: string[];
  trainingSets: Record<string, string[]>;
  models: ModelsSpec;
  training: TrainingOverrides & { preset: PresetName; retry?: Partial<RetrySettings> };
  supervised: SupervisedSettings;
  scan: { score: string; punziA: number; quantiles: [number, number]; steps: number };
  report: { heatmapModel?: string };
  execution: {
    maxParallel: Partial<Record<NodeKind | TaskQueue, number>>;
    retry: Partial<Record<CpuKind, Partial<RetrySettings>>>;
  };
}
