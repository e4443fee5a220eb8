// The thesis training procedure (Sec. 5.2) as a resumable loop written by hand, for the
// autoencoders and the DNN classifier (whose targets travel with the batches): every epoch
// a fresh shuffled k-fold split; fold by fold the model trains on the other folds (Adam,
// global-norm clipping, weight averaging) and then validates on the fold; at the end of the
// epoch the averaged weights become the model, the validation loss drives best-epoch
// selection, the plateau scheduler and early stopping. The whole state, including the
// position inside an epoch, goes into a checkpoint, so a stopped training continues with
// exactly the numbers an uninterrupted one would have seen.
//
// The arithmetic of a step is the engine's (engine.ts: the fused kernel or tfjs); this loop
// owns everything that decides which numbers the engine sees and when: the RNG (initial
// weights, then per epoch the permutation, per batch and validation chunk the noise), the
// folds, the batches, the learning rate, the stopping rules and the checkpoint.
import { createHash } from 'node:crypto';
import type { TrainingSettings } from '../../core/dag.js';
import { isVariational } from '../../core/models.js';
import { UserError } from '../../core/errors.js';
import type { TrainingProgress } from '../../core/training-progress.js';
import type { EpochProgress, StopReason } from './format.js';
import type { Backend } from './backend.js';
import { readCheckpointFile, writeCheckpointFile } from './checkpoint-file.js';
import { freshState, type EngineState, type TrainingEngine } from './engine.js';
import { foldSplit } from './folds.js';
import { initialWeights, networkShape, type NetworkArchitecture, type NetworkShape } from './network.js';
import { PlateauScheduler, type PlateauState } from './plateau.js';
import { dirichletAlpha, laplaceDirichlet, standardNormal, type GaussianPrior } from './prior.js';
import { Rng, type RngState } from '../lib/rng.js';

export interface TrainerConfig {
  /** Model name, for messages. */
  model: string;
  architecture: NetworkArchitecture;
  /** Latent dimension of an autoencoder; outputs of the DNN (1 binary, classes when multiclass). */
  latentDim: number;
  settings: TrainingSettings;
  /** Who computes the steps; its name is recorded per epoch. */
  backend: Backend;
}

/** Standardised training events, row-major, with weights normalised to mean 1. */
export interface TrainingData {
  features: string[];
  rows: number;
  x: Float32Array;
  weights: Float32Array;
  /** The DNN's classes, rows x outputs (0/1, or one-hot); absent for the autoencoders. */
  targets?: Float32Array;
}

export interface HistoryRow {
  epoch: number;
  trainLoss: number;
  trainMse: number;
  trainKl: number;
  valLoss: number;
  valMse: number;
  valKl: number;
  lr: number;
  seconds: number;
  backend: string;
}

export interface BestEpoch {
  epoch: number;
  loss: number;
  mse: number;
  kl: number;
}

export interface TrainerHooks {
  /** After each epoch, once its checkpoint is on disk. */
  onEpoch?(row: HistoryRow, best: BestEpoch): void | Promise<void>;
  /** Every few seconds while an epoch runs. */
  onProgress?(progress: EpochProgress): void;
  /** Asked before every optimiser step; true writes a checkpoint and returns 'stopped'. */
  shouldStop?(): boolean;
}

interface EpochState {
  order: Int32Array;
  fold: number;
  step: number;
  seconds: number;
}

interface CheckpointMeta {
  fingerprint: string;
  epochsDone: number;
  lr: number;
  rng: RngState;
  plateau: PlateauState;
  best: BestEpoch | null;
  stopReason: StopReason | null;
  history: HistoryRow[];
  adamStep: number;
  averageSteps: number;
  epoch: { fold: number; step: number; seconds: number; trainSums: number[]; valSums: number[] } | null;
}

/** Validation runs in chunks of this many events to bound memory. */
const VALIDATION_CHUNK = 8192;
/** The event loop gets a turn this often, so stop requests and IPC get through. */
const YIELD_MS = 50;
const PROGRESS_MS = 2000;

export class Trainer {
  readonly shape: NetworkShape;
  private readonly config: TrainerConfig;
  private readonly rows: number;
  private readonly fingerprint: string;
  private readonly data: TrainingData;
  private readonly engine: TrainingEngine;
  private readonly klWeight: number;
  private readonly plateau: PlateauScheduler;
  private readonly rng: Rng;
  /** Reused for every batch and validation chunk: the events, their weights, the noise, the targets. */
  private readonly buffers: { x: Float32Array; w: Float32Array; noise: Float32Array; targets: Float32Array };
  private lr: number;
  private epochsDone: number;
  private epoch: EpochState | null;
  private best: BestEpoch | null;
  private bestParams: Float32Array | null;
  private stopReason: StopReason | null;
  private history: HistoryRow[];
  private lastYield = performance.now();
  private lastProgress = performance.now();

  private constructor(config: TrainerConfig, data: TrainingData, fingerprint: string, restored?: Restored) {
    const { settings, architecture, latentDim } = config;
    this.config = config;
    this.rows = data.rows;
    this.fingerprint = fingerprint;
    this.shape = networkShape(architecture, data.features.length, latentDim, settings.hiddenLayers);
    this.data = data;
    this.klWeight = klWeight(architecture, settings);
    const meta = restored?.meta;
    const arrays = restored?.arrays ?? {};
    this.rng = meta ? Rng.fromState(meta.rng) : Rng.fromSeed(settings.seed);
    // A fresh training draws its initial weights first, before any epoch's permutation.
    const state: EngineState = freshState((arrays.params as Float32Array | undefined) ?? initialWeights(this.shape, this.rng));
    if (meta) {
      state.adamM = arrays.adamM as Float32Array;
      state.adamV = arrays.adamV as Float32Array;
      state.adamStep = meta.adamStep;
    }
    // The average and the sums are saved only inside an epoch; between epochs they are empty.
    if (meta?.epoch) {
      state.averageSum = arrays.averageSum as Float32Array;
      state.averageSteps = meta.averageSteps;
      state.trainSums = meta.epoch.trainSums;
      state.valSums = meta.epoch.valSums;
    }
    this.engine = config.backend.createEngine(
      {
        architecture,
        inputDim: data.features.length,
        latentDim,
        hiddenLayers: settings.hiddenLayers,
        maxRows: settings.batchSize,
        prior: latentPrior(architecture, latentDim, settings),
        klWeight: this.klWeight,
        clipNorm: settings.clipNorm,
        swa: settings.swa,
      },
      state,
    );
    const chunk = Math.min(this.rows, Math.max(settings.batchSize, VALIDATION_CHUNK));
    this.buffers = {
      x: new Float32Array(chunk * data.features.length),
      w: new Float32Array(chunk),
      noise: new Float32Array(isVariational(architecture) ? chunk * latentDim : 0),
      targets: new Float32Array(data.targets ? chunk * latentDim : 0),
    };
    this.plateau = new PlateauScheduler(settings.plateau, meta?.plateau);
    this.lr = meta?.lr ?? settings.learningRate;
    this.epochsDone = meta?.epochsDone ?? 0;
    this.epoch = meta?.epoch
      ? { order: arrays.order as Int32Array, fold: meta.epoch.fold, step: meta.epoch.step, seconds: meta.epoch.seconds }
      : null;
    this.best = meta?.best ?? null;
    this.bestParams = meta?.best ? (arrays.bestParams as Float32Array) : null;
    this.stopReason = meta?.stopReason ?? null;
    this.history = meta?.history ?? [];
  }

  /**
   * A trainer for `data`: continued from the checkpoint at `checkpointPath` when there is a
   * compatible one, fresh from the seed otherwise. `log` hears why a checkpoint is ignored.
   */
  static async open(
    config: TrainerConfig,
    data: TrainingData,
    checkpointPath: string,
    log: (message: string) => void = () => {},
  ): Promise<Trainer> {
    const fingerprint = fingerprintOf(config, data);
    let restored: Restored | undefined;
    try {
      restored = await readCheckpointFile<CheckpointMeta>(checkpointPath);
    } catch (err) {
      log(`ignoring unreadable checkpoint ${checkpointPath}: ${(err as Error).message}; starting from epoch 1`);
    }
    if (restored && restored.meta.fingerprint !== fingerprint) {
      log(`ignoring checkpoint ${checkpointPath}: it belongs to other settings or data; starting from epoch 1`);
      restored = undefined;
    }
    return new Trainer(config, data, fingerprint, restored);
  }

  get epochsCompleted(): number {
    return this.epochsDone;
  }

  get finished(): boolean {
    return this.stopReason !== null;
  }

  get bestEpoch(): BestEpoch | null {
    return this.best;
  }

  /** Learning rate of the next epoch. */
  get learningRate(): number {
    return this.lr;
  }

  epochHistory(): HistoryRow[] {
    return [...this.history];
  }

  /** Where a stopped training stands: the epoch in progress and its next fold and step. */
  get position(): { epoch: number; fold: number; step: number } {
    return { epoch: this.epochsDone + 1, fold: this.epoch?.fold ?? 0, step: this.epoch?.step ?? 0 };
  }

  get reasonStopped(): StopReason | null {
    return this.stopReason;
  }

  /** Weights of the best epoch (the model to save). */
  bestWeights(): Float32Array {
    if (!this.bestParams) throw new Error('no epoch has finished yet');
    return this.bestParams;
  }

  /** Current weights (after the last step), for tests and benchmarks. */
  currentWeights(): Promise<Float32Array> {
    return this.engine.weights();
  }

  /** Trains until the end (or a stop request), writing a checkpoint after every epoch. */
  async run(checkpointPath: string, hooks: TrainerHooks = {}): Promise<'finished' | 'stopped'> {
    const { folds, batchSize } = this.config.settings;
    while (!this.finished) {
      const epoch = this.epoch ?? this.beginEpoch();
      const started = performance.now();
      while (epoch.fold < folds) {
        const split = foldSplit(epoch.order, folds, epoch.fold);
        const steps = Math.ceil(split.train.length / batchSize);
        while (epoch.step < steps) {
          if (await this.stopRequested(hooks, { epoch: this.epochsDone + 1, fold: epoch.fold, step: epoch.step, stepsInFold: steps })) {
            epoch.seconds += (performance.now() - started) / 1000;
            await this.save(checkpointPath);
            return 'stopped';
          }
          this.trainStep(split.train.subarray(epoch.step * batchSize, (epoch.step + 1) * batchSize));
          epoch.step += 1;
        }
        this.validate(split.validation);
        epoch.fold += 1;
        epoch.step = 0;
      }
      epoch.seconds += (performance.now() - started) / 1000;
      const row = await this.endEpoch(epoch);
      await this.save(checkpointPath);
      await hooks.onEpoch?.(row, this.best!);
    }
    return 'finished';
  }

  dispose(): void {
    this.engine.dispose();
  }

  private beginEpoch(): EpochState {
    this.epoch = { order: this.rng.permutation(this.rows), fold: 0, step: 0, seconds: 0 };
    return this.epoch;
  }

  private async stopRequested(hooks: TrainerHooks, progress: EpochProgress): Promise<boolean> {
    const now = performance.now();
    if (now - this.lastYield >= YIELD_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      this.lastYield = performance.now();
      if (now - this.lastProgress >= PROGRESS_MS) {
        this.lastProgress = now;
        hooks.onProgress?.(progress);
      }
    }
    return hooks.shouldStop?.() ?? false;
  }

  /**
   * The events at `indices` gathered into the reused buffers, and for the VAE/DVAE their
   * noise drawn from the training's RNG (one draw per batch or chunk, after the gather).
   */
  private batch(indices: Int32Array): { x: Float32Array; w: Float32Array; noise: Float32Array | null; targets?: Float32Array } {
    const width = this.data.features.length;
    const { x: xs, weights: ws, targets: ts } = this.data;
    const outputs = this.config.latentDim;
    const n = indices.length;
    const x = this.buffers.x.subarray(0, n * width);
    const w = this.buffers.w.subarray(0, n);
    const targets = ts ? this.buffers.targets.subarray(0, n * outputs) : undefined;
    for (let i = 0; i < n; i++) {
      const row = indices[i]!;
      for (let j = 0; j < width; j++) x[i * width + j] = xs[row * width + j]!;
      w[i] = ws[row]!;
      if (targets) for (let k = 0; k < outputs; k++) targets[i * outputs + k] = ts![row * outputs + k]!;
    }
    const noise = isVariational(this.config.architecture) ? this.rng.fillNormal(this.buffers.noise.subarray(0, n * outputs)) : null;
    return { x, w, noise, targets };
  }

  private trainStep(indices: Int32Array): void {
    const { x, w, noise, targets } = this.batch(indices);
    this.engine.trainStep(x, w, noise, this.lr, targets);
  }

  private validate(indices: Int32Array): void {
    for (let start = 0; start < indices.length; start += VALIDATION_CHUNK) {
      const { x, w, noise, targets } = this.batch(indices.subarray(start, start + VALIDATION_CHUNK));
      this.engine.validate(x, w, noise, targets);
    }
  }

  private async endEpoch(epoch: EpochState): Promise<HistoryRow> {
    const { settings, model } = this.config;
    const sums = await this.engine.sums();
    const [trainMse, trainKl] = meanTerms(sums.train);
    const [valMse, valKl] = meanTerms(sums.val);
    const row: HistoryRow = {
      epoch: this.epochsDone + 1,
      trainLoss: trainMse + this.klWeight * trainKl,
      trainMse,
      trainKl,
      valLoss: valMse + this.klWeight * valKl,
      valMse,
      valKl,
      lr: this.lr,
      seconds: epoch.seconds,
      backend: this.config.backend.name,
    };
    for (const [which, value] of [
      ['training', row.trainLoss],
      ['validation', row.valLoss],
    ] as const) {
      if (!Number.isFinite(value)) {
        throw new UserError(
          `model ${model}: the ${which} loss is ${value} in epoch ${row.epoch} (learning rate ${this.lr}). ` +
            `Try a lower training.learningRate, keep gradient clipping on (training.clipNorm > 0), and check the ` +
            `scaler and the input features: a feature with a tiny spread or extreme values blows up after scaling.`,
        );
      }
    }
    this.engine.endEpoch();
    this.history.push(row);
    this.epochsDone += 1;
    this.epoch = null;
    if (this.best === null || row.valLoss < this.best.loss) {
      this.best = { epoch: row.epoch, loss: row.valLoss, mse: row.valMse, kl: row.valKl };
      this.bestParams = await this.engine.weights();
    }
    if (settings.plateau.enabled) this.lr = this.plateau.step(row.valLoss, this.lr);
    if (this.epochsDone >= settings.epochs) this.stopReason = 'max-epochs';
    else if (settings.earlyStopping.enabled && this.epochsDone - this.best.epoch >= settings.earlyStopping.patience) {
      this.stopReason = 'early-stopping';
    }
    return row;
  }

  private async save(path: string): Promise<void> {
    const epoch = this.epoch;
    const state = await this.engine.state();
    const arrays: Record<string, Float32Array | Int32Array> = { params: state.params, adamM: state.adamM, adamV: state.adamV };
    if (this.bestParams) arrays.bestParams = this.bestParams;
    if (epoch) {
      arrays.order = epoch.order;
      arrays.averageSum = state.averageSum;
    }
    const meta: CheckpointMeta = {
      fingerprint: this.fingerprint,
      epochsDone: this.epochsDone,
      lr: this.lr,
      rng: this.rng.state(),
      plateau: this.plateau.snapshot(),
      best: this.best,
      stopReason: this.stopReason,
      history: this.history,
      adamStep: state.adamStep,
      averageSteps: state.averageSteps,
      epoch: epoch
        ? { fold: epoch.fold, step: epoch.step, seconds: epoch.seconds, trainSums: state.trainSums, valSums: state.valSums }
        : null,
    };
    await writeCheckpointFile(path, { meta, arrays });
  }
}

type Restored = { meta: CheckpointMeta; arrays: Record<string, Float32Array | Int32Array> };

/** Weight of the KL term in the loss: none for the AE and the DNN, beta for the VAE, dvaeBeta for the DVAE. */
function klWeight(architecture: NetworkArchitecture, settings: TrainingSettings): number {
  if (architecture === 'DVAE') return settings.dvaeBeta;
  return architecture === 'VAE' ? settings.beta : 0;
}

/** The latent prior: none for the AE and the DNN, N(0, 1) for the VAE, the Laplace approximation of the Dirichlet for the DVAE. */
function latentPrior(architecture: NetworkArchitecture, latentDim: number, settings: TrainingSettings): GaussianPrior | null {
  if (!isVariational(architecture)) return null;
  return architecture === 'DVAE' ? laplaceDirichlet(dirichletAlpha(latentDim, settings.dirichletAlpha)) : standardNormal(latentDim);
}

/** Weighted means of mse and kl from [sum w*mse, sum w*kl, sum w]. */
function meanTerms(sums: ArrayLike<number>): [number, number] {
  return [sums[0]! / sums[2]!, sums[1]! / sums[2]!];
}

/** Identifies what a checkpoint may be resumed with: the settings (bar the backend) and the data. */
function fingerprintOf(config: TrainerConfig, data: TrainingData): string {
  const { backend: _backend, ...settings } = config.settings;
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ architecture: config.architecture, latentDim: config.latentDim, settings, features: data.features }));
  hash.update(new Uint8Array(data.x.buffer, data.x.byteOffset, data.x.byteLength));
  hash.update(new Uint8Array(data.weights.buffer, data.weights.byteOffset, data.weights.byteLength));
  if (data.targets) hash.update(new Uint8Array(data.targets.buffer, data.targets.byteOffset, data.targets.byteLength));
  return hash.digest('hex');
}

/**
 * What the watchers of the training see after each epoch (and once at the start).
 * `trainedPerEpoch` counts the events that go through an optimiser step in one epoch, as
 * the benchmarks do: every event trains in all folds but its own.
 */
export function trainingProgress(trainer: Trainer, maxEpochs: number, trainedPerEpoch: number, backend: string): TrainingProgress {
  const history = trainer.epochHistory();
  const last = history.at(-1);
  const epoch = trainer.epochsCompleted;
  const meanSeconds = history.reduce((sum, row) => sum + row.seconds, 0) / Math.max(1, history.length);
  const best = trainer.bestEpoch;
  return {
    epoch,
    maxEpochs,
    bestLoss: best?.loss ?? null,
    bestEpoch: best?.epoch ?? null,
    lr: trainer.learningRate,
    eventsPerSecond: last && last.seconds > 0 ? trainedPerEpoch / last.seconds : null,
    etaSeconds: last ? (trainer.finished ? 0 : (maxEpochs - epoch) * meanSeconds) : null,
    backend,
    at: new Date().toISOString(),
  };
}
