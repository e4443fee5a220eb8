// What the thesis loop (trainer.ts) asks of whoever does the arithmetic: one optimiser step
// per batch, validation sums, the end of an epoch, and the state in the project's flat
// layout for checkpoints. Two implementations: the fused kernel (fused/index.ts, one native
// or WebAssembly call per batch) and the tfjs engine (tfjs-engine.ts, tensors on any
// TensorFlow.js backend). Everything that decides which numbers are drawn and when (the
// RNG, folds, batches, plateau, early stopping, checkpoints) stays in the trainer, so both
// engines see the same batches and noise in the same order.
import type { NetworkArchitecture } from './network.js';
import type { GaussianPrior } from './prior.js';

/** The network and the step an engine computes. */
export interface EngineSpec {
  /** The fused kernel computes the autoencoders; the DNN classifier runs on the tfjs engine. */
  architecture: NetworkArchitecture;
  inputDim: number;
  /** Latent dimension of an autoencoder; number of outputs (logits) of the DNN. */
  latentDim: number;
  /** The encoder's hidden widths; the decoder mirrors them. */
  hiddenLayers: number[];
  /** Largest training batch (rows per trainStep); validate and score take any number. */
  maxRows: number;
  /** The latent prior of the VAE/DVAE (prior.ts); null for the AE. */
  prior: GaussianPrior | null;
  /** Weight of the KL term in the objective (0 for the AE). */
  klWeight: number;
  /** Global-norm clipping of the gradient; 0 turns it off. */
  clipNorm: number;
  /** Add the weights to the SWA sum after every step. */
  swa: boolean;
}

/**
 * A training's state in network.ts's flat layout: what a checkpoint stores (trainer.ts
 * names the arrays) and what an engine starts from.
 */
export interface EngineState {
  params: Float32Array;
  adamM: Float32Array;
  adamV: Float32Array;
  /** Adam steps taken (the bias corrections' t). */
  adamStep: number;
  /** Sum of the weights after each step since the epoch began, and how many were added. */
  averageSum: Float32Array;
  averageSteps: number;
  /** [sum w*mse, sum w*kl, sum w] of the epoch's training batches and validation chunks so far. */
  trainSums: number[];
  valSums: number[];
}

/**
 * Batches are row-major: x [rows x inputDim], w [rows], noise [rows x latentDim] standard
 * normal for the VAE/DVAE (null for the AE and the DNN), targets [rows x outputs] for the
 * DNN only (the class as 0/1, one-hot with several outputs). The batch objective is
 * sum_i w_i (mse_i + klWeight kl_i) / rows, where the DNN's data term in place of the MSE
 * is its cross-entropy.
 */
export interface TrainingEngine {
  /** One optimiser step (gradient, clipping, Adam, SWA sum); adds the batch's sums to the training sums. */
  trainStep(x: Float32Array, w: Float32Array, noise: Float32Array | null, lr: number, targets?: Float32Array): void;
  /** Adds a validation chunk's sums at the current weights. */
  validate(x: Float32Array, w: Float32Array, noise: Float32Array | null, targets?: Float32Array): void;
  /** The epoch's training and validation sums so far. */
  sums(): Promise<{ train: number[]; val: number[] }>;
  /** End of an epoch: the weights become the SWA mean (when steps were averaged); SWA and sums restart. */
  endEpoch(): void;
  /** A copy of the whole state. */
  state(): Promise<EngineState>;
  /** A copy of the current weights. */
  weights(): Promise<Float32Array>;
  dispose(): void;
}

/** Per-event reconstruction MSE at the latent mean, and the latent output (DVAE: softmax of the mean). */
export interface Scorer {
  score(x: Float32Array): { mse: Float32Array; latent: Float32Array };
  dispose(): void;
}

/** A fresh state: the given weights, zero moments, an empty average, zero sums. */
export function freshState(params: Float32Array): EngineState {
  const zeros = () => new Float32Array(params.length);
  return {
    params,
    adamM: zeros(),
    adamV: zeros(),
    adamStep: 0,
    averageSum: zeros(),
    averageSteps: 0,
    trainSums: [0, 0, 0],
    valSums: [0, 0, 0],
  };
}
