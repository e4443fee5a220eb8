// What a model is called and which models exist: rules shared by the sweep language, the
// workflows (training ids), the node kinds and the tables. Pure.

export const ARCHITECTURES = ['AE', 'VAE', 'DVAE'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** The variational models sample their latent point and add a KL term to the loss. */
export function isVariational(architecture: Architecture): boolean {
  return architecture !== 'AE';
}

/** `AE-l3`: architecture and latent dimension, the model's name inside one training set. */
export function modelId(model: { architecture: Architecture; latentDim: number }): string {
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

/** Matrix order for every table and page: training set, then AE, VAE, DVAE, then latent dimension. */
export function compareModels(a: { architecture: string; latentDim: number; background: string }, b: typeof a): number {
  return (
    a.background.localeCompare(b.background) ||
    ARCHITECTURES.indexOf(a.architecture as Architecture) - ARCHITECTURES.indexOf(b.architecture as Architecture) ||
    a.latentDim - b.latentDim
  );
}
