// The latent priors of the variational models.
//
// DVAE (thesis Sec. 5.1.3, following Srivastava & Sutton 2017 / Hennig et al. 2012): a
// Dirichlet(alpha) on the simplex is approximated by softmax(z) with z ~ N(mu, diag(var)),
// the Laplace approximation in the softmax basis:
//   mu_k  = log alpha_k - (1/K) sum_i log alpha_i
//   var_k = (1/alpha_k) (1 - 2/K) + (1/K^2) sum_i 1/alpha_i
// (thesis Eq. 5.10/5.11 drop the log in the mean's sum and misprint K; these are the
// published formulas).

export interface GaussianPrior {
  mean: Float32Array;
  variance: Float32Array;
}

/** alpha = `others` for every latent variable but the last, `last` for the last (Eq. 5.13). */
export function dirichletAlpha(latentDim: number, alpha: { others: number; last: number }): number[] {
  return Array.from({ length: latentDim }, (_, k) => (k === latentDim - 1 ? alpha.last : alpha.others));
}

/** Laplace approximation of Dirichlet(alpha) as a diagonal Gaussian in the softmax basis. */
export function laplaceDirichlet(alpha: number[]): GaussianPrior {
  const K = alpha.length;
  const meanLog = alpha.reduce((s, a) => s + Math.log(a), 0) / K;
  const sumInverse = alpha.reduce((s, a) => s + 1 / a, 0);
  return {
    mean: Float32Array.from(alpha, (a) => Math.log(a) - meanLog),
    variance: Float32Array.from(alpha, (a) => (1 / a) * (1 - 2 / K) + sumInverse / (K * K)),
  };
}

/** The VAE prior N(0, 1) in every latent dimension. */
export function standardNormal(latentDim: number): GaussianPrior {
  return { mean: new Float32Array(latentDim), variance: new Float32Array(latentDim).fill(1) };
}
