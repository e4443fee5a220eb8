// Checks a training node's hyperparameters before anything runs, so a bad value fails the
// node at once, non-retryably, with every problem and its fix in one message.
import type { TrainParams, TrainingSettings } from '../../definitions/dag.js';
import { UserError } from '../errors.js';

export const ARCHITECTURES = ['AE', 'VAE', 'DVAE'] as const;
export const BACKEND_SETTINGS: readonly TrainingSettings['backend'][] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export function validateTrainParams(params: TrainParams): void {
  const problems: string[] = [];
  const t = params.training;
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  const wholeAtLeast = (value: number, min: number) => Number.isInteger(value) && value >= min;
  const finite = (value: number) => typeof value === 'number' && Number.isFinite(value);

  check((ARCHITECTURES as readonly string[]).includes(params.architecture), `architecture must be one of ${ARCHITECTURES.join(', ')} (got ${params.architecture})`);
  check(wholeAtLeast(params.latentDim, 1), `latentDim must be a whole number >= 1 (got ${params.latentDim})`);
  check(
    params.architecture !== 'DVAE' || params.latentDim >= 2,
    `a DVAE needs latentDim >= 2 (got ${params.latentDim}): its latent space is a simplex; exclude DVAE with latentDim 1 in models.exclude`,
  );
  check(params.features.length > 0, 'features is empty; list the input features');
  check(wholeAtLeast(t.epochs, 1), `training.epochs must be a whole number >= 1 (got ${t.epochs})`);
  check(wholeAtLeast(t.batchSize, 1), `training.batchSize must be a whole number >= 1 (got ${t.batchSize})`);
  check(finite(t.learningRate) && t.learningRate > 0, `training.learningRate must be > 0 (got ${t.learningRate}); the thesis uses 1e-5`);
  check(wholeAtLeast(t.folds, 2), `training.folds must be a whole number >= 2 (got ${t.folds}): each epoch validates every fold once`);
  check(finite(t.clipNorm) && t.clipNorm >= 0, `training.clipNorm must be >= 0 (got ${t.clipNorm}); 0 turns clipping off`);
  check(
    finite(t.plateau.factor) && t.plateau.factor > 0 && t.plateau.factor < 1,
    `training.plateau.factor must be between 0 and 1 (got ${t.plateau.factor}); the thesis uses 0.1`,
  );
  check(wholeAtLeast(t.plateau.patience, 0), `training.plateau.patience must be a whole number >= 0 (got ${t.plateau.patience})`);
  check(finite(t.plateau.threshold) && t.plateau.threshold >= 0 && t.plateau.threshold < 1, `training.plateau.threshold must be in [0, 1) (got ${t.plateau.threshold})`);
  check(finite(t.plateau.minLr) && t.plateau.minLr >= 0, `training.plateau.minLr must be >= 0 (got ${t.plateau.minLr})`);
  check(wholeAtLeast(t.earlyStopping.patience, 1), `training.earlyStopping.patience must be a whole number >= 1 (got ${t.earlyStopping.patience})`);
  check(t.hiddenLayers.every((n) => wholeAtLeast(n, 1)), `training.hiddenLayers must be whole numbers >= 1 (got [${t.hiddenLayers.join(', ')}])`);
  check(finite(t.beta) && t.beta >= 0, `training.beta must be >= 0 (got ${t.beta})`);
  check(finite(t.dvaeBeta) && t.dvaeBeta >= 0, `training.dvaeBeta must be >= 0 (got ${t.dvaeBeta})`);
  check(
    finite(t.dirichletAlpha.others) && t.dirichletAlpha.others > 0 && finite(t.dirichletAlpha.last) && t.dirichletAlpha.last > 0,
    `training.dirichletAlpha values must be > 0 (got others ${t.dirichletAlpha.others}, last ${t.dirichletAlpha.last})`,
  );
  check(BACKEND_SETTINGS.includes(t.backend), `training.backend must be one of ${BACKEND_SETTINGS.join(', ')} (got ${t.backend})`);
  check(Number.isSafeInteger(t.seed), `training.seed must be a whole number (got ${t.seed})`);
  if (problems.length > 0) {
    throw new UserError(`model ${params.model}: invalid training settings — ${problems.join('; ')}. Fix them in the definition and submit it again.`);
  }
}
