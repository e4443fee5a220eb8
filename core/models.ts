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

/**
 * The model's name inside one training set: `AE-l3` (architecture and latent dimension) for
 * an autoencoder; a supervised model's own name (definitions/supervised.ts), e.g. `DNN-light`.
 */
export function modelId(model: { architecture: ModelArchitecture; latentDim: number; model?: string }): string {
  if (isSupervised(model.architecture)) {
    if (model.model === undefined) throw new Error(`modelId: the ${model.architecture} model needs its name`);
    return model.model;
  }
  return `${model.architecture}-l${model.latentDim}`;
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
 * latent dimension, then name (the supervised models of one kind differ by name only).
 */
export function compareModels(a: { architecture: string; latentDim: number; background: string; model?: string }, b: typeof a): number {
  return (
    a.background.localeCompare(b.background) ||
    TABLE_ORDER.indexOf(a.architecture) - TABLE_ORDER.indexOf(b.architecture) ||
    a.latentDim - b.latentDim ||
    (a.model ?? '').localeCompare(b.model ?? '')
  );
}
