// What a model is called and which models exist: rules shared by the sweep language, the
// workflows (training ids), the node kinds and the tables. Pure.

/** The autoencoders: the axis of the model matrix, each with a latent dimension. */
export const ARCHITECTURES = ['AE', 'VAE', 'DVAE'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/**
 * The supervised baselines (models.supervised): a neural-network classifier trained with the
 * project's training loop, and XGBoost's gradient-boosted trees. They know the signal they
 * are trained on and have no latent space.
 */
export const SUPERVISED_ARCHITECTURES = ['DNN', 'BDT'] as const;
export type SupervisedArchitecture = (typeof SUPERVISED_ARCHITECTURES)[number];

/** Every kind of model a train node makes. */
export type ModelArchitecture = Architecture | SupervisedArchitecture;

/** What a supervised model's scan cuts on (scan.score of its scan node): its output, as log-odds of signal. */
export const SUPERVISED_SCORE = 'output';

export function isSupervised(architecture: ModelArchitecture): architecture is SupervisedArchitecture {
  return (SUPERVISED_ARCHITECTURES as readonly string[]).includes(architecture);
}

/** The variational models sample their latent point and add a KL term to the loss. */
export function isVariational(architecture: ModelArchitecture): boolean {
  return architecture === 'VAE' || architecture === 'DVAE';
}

/** Training settings a model matrix may vary besides training set, architecture and latent dimension, in id order. */
export const SETTING_AXES = ['learningRate', 'batchSize', 'hiddenLayers', 'beta', 'dvaeBeta', 'seed'] as const;
export type SettingAxis = (typeof SETTING_AXES)[number];
/** A setting's value: a number, or for hiddenLayers the list of widths. */
export type AxisValue = number | readonly number[];
export type ModelAxes = Partial<Record<SettingAxis, AxisValue>>;

/** A model's values of every setting axis, from its training settings. */
export function settingsOf(training: { [A in SettingAxis]: A extends 'hiddenLayers' ? readonly number[] : number }): ModelAxes {
  return Object.fromEntries(SETTING_AXES.map((axis) => [axis, training[axis]]));
}

/** beta weighs the VAE's KL term only and dvaeBeta the DVAE's: for other models the axis changes nothing. */
export function axisApplies(axis: SettingAxis, architecture: ModelArchitecture): boolean {
  if (axis === 'beta') return architecture === 'VAE';
  if (axis === 'dvaeBeta') return architecture === 'DVAE';
  return true;
}

/** A value as tables and search attributes write it: `0.001`, `100x100x100`. */
export function axisText(value: AxisValue): string {
  return typeof value === 'number' ? String(value) : value.join('x');
}

/** `seed=3`, `beta=0.01`: one keyword per set axis, in axis order. */
export function axisKeywords(axes: ModelAxes): string[] {
  return SETTING_AXES.filter((axis) => axes[axis] !== undefined).map((axis) => `${axis}=${axisText(axes[axis]!)}`);
}

const AXIS_TAGS: Record<SettingAxis, string> = {
  learningRate: 'lr',
  batchSize: 'b',
  hiddenLayers: 'h',
  beta: 'beta',
  dvaeBeta: 'dbeta',
  seed: 's',
};

/**
 * `AE-l3`, or with the axes that vary in the sweep `VAE-l6-beta0.01-s3`: the model's name
 * inside one training set. An axis with one value names no model, so adding one keeps ids.
 * A supervised model has a name of its own (definitions/supervised.ts), e.g. `DNN-light`.
 */
export function modelId(model: { architecture: ModelArchitecture; latentDim: number; axes?: ModelAxes; model?: string }): string {
  if (isSupervised(model.architecture)) {
    if (model.model === undefined) throw new Error(`modelId: the ${model.architecture} model needs its name`);
    return model.model;
  }
  return `${model.architecture}-l${model.latentDim}${axisTags(model.axes ?? {})}`;
}

/** The id's part that names the axes: `-beta0.01-s3`, empty for none. */
export function axisTags(axes: ModelAxes): string {
  return SETTING_AXES.filter((axis) => axes[axis] !== undefined)
    .map((axis) => `-${AXIS_TAGS[axis]}${axisText(axes[axis]!)}`)
    .join('');
}

/** The DVAE's latent space is a simplex, which needs at least two coordinates. */
const MIN_LATENT_DIM: Record<Architecture, number> = { AE: 1, VAE: 1, DVAE: 2 };

/** Why this architecture cannot have this latent dimension, or undefined when it can. */
export function latentDimProblem(architecture: Architecture, latentDim: number): string | undefined {
  const min = MIN_LATENT_DIM[architecture];
  if (latentDim >= min) return undefined;
  return `${architecture} needs latentDim >= ${min} (its Dirichlet latent space is a simplex, undefined for one dimension)`;
}

const TABLE_ORDER: readonly string[] = [...ARCHITECTURES, ...SUPERVISED_ARCHITECTURES];

/**
 * Matrix order for every table and page: training set, then AE, VAE, DVAE, DNN, BDT, then
 * latent dimension, then the settings, then the name (supervised models of one kind differ by name only).
 */
export function compareModels(
  a: { architecture: string; latentDim: number; background: string; axes?: ModelAxes; model?: string },
  b: typeof a,
): number {
  return (
    a.background.localeCompare(b.background) ||
    TABLE_ORDER.indexOf(a.architecture) - TABLE_ORDER.indexOf(b.architecture) ||
    a.latentDim - b.latentDim ||
    compareSettings(a.axes ?? {}, b.axes ?? {}) ||
    (a.model ?? '').localeCompare(b.model ?? '')
  );
}

/** Axis by axis in id order, numbers by value; an axis one side leaves unset does not order. */
export function compareSettings(a: ModelAxes, b: ModelAxes): number {
  for (const axis of SETTING_AXES) {
    const [x, y] = [a[axis], b[axis]];
    if (x === undefined || y === undefined || axisText(x) === axisText(y)) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    // Hidden layers: width by width, so [64] comes before [100, 100, 100].
    const [xs, ys] = [x as readonly number[], y as readonly number[]];
    const differing = xs.findIndex((width, i) => width !== ys[i]);
    return differing < 0 ? xs.length - ys.length : xs[differing]! - (ys[differing] ?? 0);
  }
  return 0;
}

/** The table column of each setting axis (models.csv, scan.csv). */
const SETTING_COLUMN = {
  learningRate: 'learning_rate',
  batchSize: 'batch_size',
  hiddenLayers: 'hidden_layers',
  beta: 'beta',
  dvaeBeta: 'dvae_beta',
  seed: 'seed',
} as const satisfies Record<SettingAxis, string>;
export type SettingColumn = (typeof SETTING_COLUMN)[SettingAxis];
export const SETTING_COLUMNS: readonly SettingColumn[] = SETTING_AXES.map((axis) => SETTING_COLUMN[axis]);

/** A model's settings as table cells; empty where the axis does not apply (beta of an AE) or is not known (an ensemble's seed). */
export function settingCells(architecture: ModelArchitecture, settings: ModelAxes): Record<SettingColumn, string | number | null> {
  const cells = {} as Record<SettingColumn, string | number | null>;
  for (const axis of SETTING_AXES) {
    const value = settings[axis];
    cells[SETTING_COLUMN[axis]] =
      value === undefined || !axisApplies(axis, architecture) ? null : typeof value === 'number' ? value : axisText(value);
  }
  return cells;
}
