// The thesis training procedure (Sec. 5.2) as a resumable loop written by hand: every epoch
// a fresh shuffled k-fold split; fold by fold the model trains on the other folds (Adam,
// global-norm clipping, weight averaging) and then validates on the fold; at the end of the
// epoch the averaged weights become the model, the validation loss drives best-epoch
// selection, the plateau scheduler and early stopping. The whole state, including the
// position inside an epoch, goes into a checkpoint, so a stopped training continues with
// exactly the numbers an uninterrupted one would have seen.
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import type { TrainingSettings } from '../../core/dag.js';
import { isVariational, type Architecture } from '../../core/models.js';
import { UserError } from '../../core/errors.js';
import type { EpochProgress, StopReason } from './format.js';
import { FlatAdam } from './adam.js';
import { readCheckpointFile, writeCheckpointFile } from './checkpoint-file.js';
import { clipByGlobalNorm } from './clip.js';
import { foldSplit } from './folds.js';
import { disposePrior, priorTensors, type PriorTensors } from './kl.js';
import { initialWeights, lossTerms, networkShape, type LossTerms, type NetworkShape } from './network.js';
import { PlateauScheduler, type PlateauState } from './plateau.js';
import { dirichletAlpha, laplaceDirichlet, standardNormal } from './prior.js';
import { Rng, type RngState } from '../lib/rng.js';
import { WeightAverage } from './swa.js';
import { readFloat32 } from './tensors.js';

export interface TrainerConfig {
  /** Model name, for messages. */
  model: string;
  architecture: Architecture;
  latentDim: number;
  settings: TrainingSettings;
  /** Backend in use, recorded per epoch. */
  backend: string;
}

/** Standardised training events, row-major, with weights normalised to mean 1. */
export interface TrainingData {
  features: string[];
  rows: number;
  x: Float32Array;
  weights: Float32Array;
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
  private readonly prior: PriorTensors | null;
  /** Batch objective = sum(objective * [sum w*mse, sum w*kl, sum w]) / batch size. */
  private readonly objective: tf.Tensor1D;
  private readonly klWeight: number;
  private readonly params: tf.Variable;
  private readonly adam: FlatAdam;
  private readonly average: WeightAverage;
  private readonly plateau: PlateauScheduler;
  /** Weighted sums over the epoch so far: [sum w*mse, sum w*kl, sum w]. */
  private readonly trainSums: tf.Variable;
  private readonly valSums: tf.Variable;
  private readonly rng: Rng;
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
    const { settings } = config;
    this.config = config;
    this.rows = data.rows;
    this.fingerprint = fingerprint;
    this.shape = networkShape(config.architecture, data.features.length, config.latentDim, settings.hiddenLayers);
    this.data = data;
    this.prior = isVariational(config.architecture)
      ? priorTensors(
          config.architecture === 'DVAE'
            ? laplaceDirichlet(dirichletAlpha(config.latentDim, settings.dirichletAlpha))
            : standardNormal(config.latentDim),
        )
      : null;
    this.klWeight = klWeight(config.architecture, settings);
    this.objective = tf.tensor1d([1, this.klWeight, 0]);
    const meta = restored?.meta;
    const arrays = restored?.arrays ?? {};
    this.rng = meta ? Rng.fromState(meta.rng) : Rng.fromSeed(settings.seed);
    const initial = arrays.params ?? initialWeights(this.shape, this.rng);
    this.params = tf.variable(tf.tensor1d(initial as Float32Array), false);
    this.adam = new FlatAdam(
      this.shape.size,
      meta ? { step: meta.adamStep, m: arrays.adamM as Float32Array, v: arrays.adamV as Float32Array } : undefined,
    );
    this.average = new WeightAverage(
      this.shape.size,
      meta?.epoch ? { sum: arrays.averageSum as Float32Array, count: meta.averageSteps } : undefined,
    );
    this.plateau = new PlateauScheduler(settings.plateau, meta?.plateau);
    this.trainSums = tf.variable(tf.tensor1d(meta?.epoch?.trainSums ?? [0, 0, 0]), false);
    this.valSums = tf.variable(tf.tensor1d(meta?.epoch?.valSums ?? [0, 0, 0]), false);
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
  async currentWeights(): Promise<Float32Array> {
    return readFloat32(this.params);
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
    tf.dispose([this.objective, this.params, this.trainSums, this.valSums]);
    this.adam.dispose();
    this.average.dispose();
    if (this.prior) disposePrior(this.prior);
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
   * The events at `indices` as tensors. Assembled in JavaScript: copying a few thousand
   * floats is cheaper than the backend's gather kernel, the slowest op per step on wasm.
   */
  private batch(indices: Int32Array): { x: tf.Tensor2D; w: tf.Tensor1D } {
    const width = this.data.features.length;
    const x = new Float32Array(indices.length * width);
    const w = new Float32Array(indices.length);
    indices.forEach((row, i) => {
      x.set(this.data.x.subarray(row * width, (row + 1) * width), i * width);
      w[i] = this.data.weights[row]!;
    });
    return { x: tf.tensor2d(x, [indices.length, width]), w: tf.tensor1d(w) };
  }

  private noise(rows: number): tf.Tensor2D | null {
    if (!this.prior) return null;
    const { latentDim } = this.config;
    return tf.tensor2d(this.rng.fillNormal(new Float32Array(rows * latentDim)), [rows, latentDim]);
  }

  /** [sum w*mse, sum w*kl, sum w] of a batch. */
  private weightedSums(terms: LossTerms, w: tf.Tensor1D): tf.Tensor1D {
    const kl = terms.kl ? tf.sum(tf.mul(terms.kl, w)) : tf.scalar(0);
    return tf.stack([tf.sum(tf.mul(terms.mse, w)), kl, tf.sum(w)]) as tf.Tensor1D;
  }

  private trainStep(indices: Int32Array): void {
    const { clipNorm, swa } = this.config.settings;
    let sums: tf.Tensor1D | undefined;
    tf.tidy(() => {
      const { x, w } = this.batch(indices);
      const noise = this.noise(indices.length);
      const { grad } = tf.valueAndGrad((params: tf.Tensor) => {
        const batchSums = this.weightedSums(lossTerms(this.shape, params, x, noise, this.prior), w);
        sums = tf.keep(batchSums);
        return tf.div(tf.sum(tf.mul(batchSums, this.objective)), indices.length) as tf.Scalar;
      })(this.params);
      const update = clipNorm > 0 ? clipByGlobalNorm([grad], clipNorm).clipped[0]! : grad;
      this.adam.apply(this.params, update, this.lr);
      if (swa) this.average.add(this.params);
      this.trainSums.assign(tf.add(this.trainSums, sums!));
    });
    sums?.dispose();
  }

  private validate(indices: Int32Array): void {
    for (let start = 0; start < indices.length; start += VALIDATION_CHUNK) {
      const chunk = indices.subarray(start, start + VALIDATION_CHUNK);
      tf.tidy(() => {
        const { x, w } = this.batch(chunk);
        const terms = lossTerms(this.shape, this.params, x, this.noise(chunk.length), this.prior);
        this.valSums.assign(tf.add(this.valSums, this.weightedSums(terms, w)));
      });
    }
  }

  private async endEpoch(epoch: EpochState): Promise<HistoryRow> {
    const { settings, model } = this.config;
    const [trainMse, trainKl] = meanTerms(await this.trainSums.data());
    const [valMse, valKl] = meanTerms(await this.valSums.data());
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
      backend: this.config.backend,
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
    if (settings.swa && this.average.steps > 0) {
      const mean = this.average.mean();
      this.params.assign(mean);
      mean.dispose();
      this.average.reset();
    }
    tf.tidy(() => {
      this.trainSums.assign(tf.zerosLike(this.trainSums));
      this.valSums.assign(tf.zerosLike(this.valSums));
    });
    this.history.push(row);
    this.epochsDone += 1;
    this.epoch = null;
    if (this.best === null || row.valLoss < this.best.loss) {
      this.best = { epoch: row.epoch, loss: row.valLoss, mse: row.valMse, kl: row.valKl };
      this.bestParams = await readFloat32(this.params);
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
    const adam = await this.adam.snapshot();
    const arrays: Record<string, Float32Array | Int32Array> = {
      params: await readFloat32(this.params),
      adamM: adam.m,
      adamV: adam.v,
    };
    if (this.bestParams) arrays.bestParams = this.bestParams;
    if (epoch) {
      arrays.order = epoch.order;
      arrays.averageSum = (await this.average.snapshot()).sum;
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
      adamStep: adam.step,
      averageSteps: this.average.steps,
      epoch: epoch
        ? {
            fold: epoch.fold,
            step: epoch.step,
            seconds: epoch.seconds,
            trainSums: Array.from(await this.trainSums.data()),
            valSums: Array.from(await this.valSums.data()),
          }
        : null,
    };
    await writeCheckpointFile(path, { meta, arrays });
  }
}

type Restored = { meta: CheckpointMeta; arrays: Record<string, Float32Array | Int32Array> };

/** Weighted means of mse and kl from [sum w*mse, sum w*kl, sum w]. */
/** Weight of the KL term in the loss: none for the AE, beta for the VAE, dvaeBeta for the DVAE. */
function klWeight(architecture: Architecture, settings: TrainingSettings): number {
  if (architecture === 'DVAE') return settings.dvaeBeta;
  return architecture === 'VAE' ? settings.beta : 0;
}

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
  return hash.digest('hex');
}
