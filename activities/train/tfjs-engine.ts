// The tfjs engine: the thesis step with TensorFlow.js tensors on whichever tfjs backend is
// current (tfjs-node-gpu, tfjs-node, wasm, cpu). The fallback where the fused kernel cannot
// run, the reference it is tested against, and the one engine of the DNN classifier. The state stays on the backend between
// steps: the flat parameter vector, Adam's moments (adam.ts), the SWA sum (swa.ts) and the
// epoch's loss sums (float32, where the fused kernel sums in float64).
import * as tf from '@tensorflow/tfjs';
import { FlatAdam } from './adam.js';
import { clipByGlobalNorm } from './clip.js';
import type { EngineSpec, EngineState, Scorer, TrainingEngine } from './engine.js';
import { disposePrior, priorTensors, type PriorTensors } from './kl.js';
import { networkShape, type NetworkShape } from './network.js';
import { blocksOf, classifierScore, latentScore, layersOf, lossTerms, transpose, type LossTerms } from './tfjs-network.js';
import { WeightAverage } from './swa.js';
import { readFloat32 } from './tensors.js';

/** The tfjs backends in tfjs's own names. */
export type TfjsBackend = 'tensorflow' | 'wasm' | 'cpu';

/**
 * Makes one tfjs backend current, importing its package first (`pkg` for the TensorFlow
 * ones); the reason it cannot be used, or undefined on success.
 */
export async function selectTfjsBackend(name: TfjsBackend, pkg?: string): Promise<string | undefined> {
  // TensorFlow reads these when its library loads. Its info lines would crowd the real error
  // out of the output tail the engine keeps; and one intra-op thread is fastest for this
  // small network (tfjs issues many small kernels) and lets a host run one training per core.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  process.env.TF_NUM_INTRAOP_THREADS ??= '1';
  try {
    if (pkg) await import(pkg);
    if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend(name))) return `tf.setBackend('${name}') failed`;
    await tf.ready();
    return tf.getBackend() === name ? undefined : `tfjs runs on ${tf.getBackend()} instead`;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

/**
 * Whether this backend gets the network's blocks from JavaScript (with the transposed
 * kernels) instead of tf.split: wasm's split copies the whole vector out of the module per
 * part, and its transposed products are slow (tfjs-network.ts, dense).
 */
function blocksFromJavaScript(): boolean {
  return tf.getBackend() !== 'tensorflow';
}

export class TfjsEngine implements TrainingEngine {
  private readonly shape: NetworkShape;
  private readonly prior: PriorTensors | null;
  /** Batch objective = sum(objective * [sum w*mse, sum w*kl, sum w]) / rows. */
  private readonly objective: tf.Tensor1D;
  private readonly params: tf.Variable;
  private readonly adam: FlatAdam;
  private readonly average: WeightAverage;
  /** [sum w*mse, sum w*kl, sum w] over the epoch so far. */
  private readonly trainSums: tf.Variable;
  private readonly valSums: tf.Variable;

  constructor(
    private readonly spec: EngineSpec,
    state: EngineState,
  ) {
    this.shape = networkShape(spec.architecture, spec.inputDim, spec.latentDim, spec.hiddenLayers);
    this.prior = spec.prior ? priorTensors(spec.prior) : null;
    this.objective = tf.tensor1d([1, spec.klWeight, 0]);
    this.params = tf.variable(tf.tensor1d(state.params), false);
    this.adam = new FlatAdam(this.shape.size, { step: state.adamStep, m: state.adamM, v: state.adamV });
    this.average = new WeightAverage(this.shape.size, { sum: state.averageSum, count: state.averageSteps });
    this.trainSums = tf.variable(tf.tensor1d(state.trainSums), false);
    this.valSums = tf.variable(tf.tensor1d(state.valSums), false);
  }

  trainStep(x: Float32Array, w: Float32Array, noise: Float32Array | null, lr: number, targets?: Float32Array): void {
    const { clipNorm, swa } = this.spec;
    tf.tidy(() => {
      const { grad, sums } = this.objectiveGradient(x, w, noise, targets);
      const update = clipNorm > 0 ? clipByGlobalNorm([grad], clipNorm).clipped[0]! : grad;
      this.adam.apply(this.params, update, lr);
      if (swa) this.average.add(this.params);
      this.trainSums.assign(tf.add(this.trainSums, sums));
      sums.dispose();
    });
  }

  /** The gradient trainStep would apply and the batch's sums, at the current weights, without a step (tests compare it with autodiff). */
  gradient(
    x: Float32Array,
    w: Float32Array,
    noise: Float32Array | null,
    targets?: Float32Array,
  ): { grad: Float32Array; sums: Float32Array } {
    let out: { grad: Float32Array; sums: Float32Array } | undefined;
    tf.tidy(() => {
      const { grad, sums } = this.objectiveGradient(x, w, noise, targets);
      out = { grad: grad.dataSync() as Float32Array, sums: sums.dataSync() as Float32Array };
      sums.dispose();
    });
    return out!;
  }

  validate(x: Float32Array, w: Float32Array, noise: Float32Array | null, targets?: Float32Array): void {
    tf.tidy(() => {
      const layers = layersOf(this.shape, this.blocks(false).blocks);
      const batch = this.batch(x, w, noise, targets, false);
      this.valSums.assign(tf.add(this.valSums, this.weightedSums(lossTerms(this.shape, layers, batch, this.prior), batch.w)));
    });
  }

  async sums(): Promise<{ train: number[]; val: number[] }> {
    return { train: Array.from(await this.trainSums.data()), val: Array.from(await this.valSums.data()) };
  }

  endEpoch(): void {
    if (this.spec.swa && this.average.steps > 0) {
      const mean = this.average.mean();
      this.params.assign(mean);
      mean.dispose();
      this.average.reset();
    }
    tf.tidy(() => {
      this.trainSums.assign(tf.zerosLike(this.trainSums));
      this.valSums.assign(tf.zerosLike(this.valSums));
    });
  }

  async state(): Promise<EngineState> {
    const adam = await this.adam.snapshot();
    const average = await this.average.snapshot();
    const { train, val } = await this.sums();
    return {
      params: await this.weights(),
      adamM: adam.m,
      adamV: adam.v,
      adamStep: adam.step,
      averageSum: average.sum,
      averageSteps: average.count,
      trainSums: train,
      valSums: val,
    };
  }

  weights(): Promise<Float32Array> {
    return readFloat32(this.params);
  }

  dispose(): void {
    tf.dispose([this.objective, this.params, this.trainSums, this.valSums]);
    this.adam.dispose();
    this.average.dispose();
    if (this.prior) disposePrior(this.prior);
  }

  /**
   * Inside a tidy: the batch objective's gradient in the flat layout and the batch's
   * [sum w*mse, sum w*kl, sum w]. The sums are kept out of the tape's scope, which frees the
   * forward pass's tensors: the caller disposes them.
   */
  private objectiveGradient(
    x: Float32Array,
    w: Float32Array,
    noise: Float32Array | null,
    targets: Float32Array | undefined,
  ): { grad: tf.Tensor1D; sums: tf.Tensor1D } {
    const rows = w.length;
    const { blocks, kernelsT } = this.blocks(true);
    const batch = this.batch(x, w, noise, targets, kernelsT !== undefined);
    let sums: tf.Tensor1D | undefined;
    const { grads } = tf.valueAndGrads((...leaves: tf.Tensor[]) => {
      const layers = layersOf(this.shape, leaves as tf.Tensor1D[], kernelsT);
      const batchSums = this.weightedSums(lossTerms(this.shape, layers, batch, this.prior), batch.w);
      sums = tf.keep(batchSums);
      return tf.div(tf.sum(tf.mul(batchSums, this.objective)), rows) as tf.Scalar;
    })(blocks);
    return { grad: tf.concat(grads) as tf.Tensor1D, sums: sums! };
  }

  /**
   * The weights cut into the network's blocks (gradients are taken with respect to these):
   * tf.split on TensorFlow, else from JavaScript, with the transposed kernels when
   * `forGradient` (see blocksFromJavaScript).
   */
  private blocks(forGradient: boolean): { blocks: tf.Tensor1D[]; kernelsT?: tf.Tensor2D[] } {
    if (blocksFromJavaScript()) return blocksOf(this.shape, this.params.dataSync() as Float32Array, forGradient);
    return { blocks: tf.split(this.params, this.shape.blocks) as tf.Tensor1D[] };
  }

  /** A batch as tensors; with `transposed`, x^T too (made in JavaScript, see tfjs-network.ts). */
  private batch(x: Float32Array, w: Float32Array, noise: Float32Array | null, targets: Float32Array | undefined, transposed: boolean) {
    const rows = w.length;
    const { inputDim, latentDim } = this.spec;
    return {
      x: tf.tensor2d(x, [rows, inputDim]),
      ...(transposed && { xT: tf.tensor2d(transpose(x, rows, inputDim), [inputDim, rows]) }),
      w: tf.tensor1d(w),
      noise: noise ? tf.tensor2d(noise, [rows, latentDim]) : null,
      ...(targets && { targets: tf.tensor2d(targets, [rows, latentDim]) }),
    };
  }

  /** [sum w*mse, sum w*kl, sum w] of a batch. */
  private weightedSums(terms: LossTerms, w: tf.Tensor1D): tf.Tensor1D {
    const kl = terms.kl ? tf.sum(tf.mul(terms.kl, w)) : tf.scalar(0);
    return tf.stack([tf.sum(tf.mul(terms.mse, w)), kl, tf.sum(w)]) as tf.Tensor1D;
  }
}

/** Rows per tensor while scoring, to bound memory. */
const SCORE_CHUNK = 16384;

/** Scoring at the latent mean with tfjs (tfjs-network.ts latentScore), chunk by chunk. */
export function tfjsScorer(spec: EngineSpec, params: Float32Array): Scorer {
  const shape = networkShape(spec.architecture, spec.inputDim, spec.latentDim, spec.hiddenLayers);
  const { blocks } = blocksOf(shape, params, false);
  return {
    score(x) {
      const rows = x.length / spec.inputDim;
      const mse = new Float32Array(rows);
      const latent = new Float32Array(rows * spec.latentDim);
      for (let start = 0; start < rows; start += SCORE_CHUNK) {
        const end = Math.min(rows, start + SCORE_CHUNK);
        tf.tidy(() => {
          const out = latentScore(
            shape,
            layersOf(shape, blocks),
            tf.tensor2d(x.subarray(start * spec.inputDim, end * spec.inputDim), [end - start, spec.inputDim]),
          );
          mse.set(out.mse.dataSync(), start);
          latent.set(out.latent.dataSync(), start * spec.latentDim);
        });
      }
      return { mse, latent };
    },
    dispose: () => tf.dispose(blocks),
  };
}

/** The DNN's log-odds of signal (tfjs-network.ts classifierScore) with fixed weights, chunk by chunk. */
export function tfjsClassifierScorer(shape: NetworkShape, params: Float32Array): { score(x: Float32Array): Float32Array; dispose(): void } {
  const { blocks } = blocksOf(shape, params, false);
  return {
    score(x) {
      const rows = x.length / shape.inputDim;
      const out = new Float32Array(rows);
      for (let start = 0; start < rows; start += SCORE_CHUNK) {
        const end = Math.min(rows, start + SCORE_CHUNK);
        tf.tidy(() => {
          const chunk = tf.tensor2d(x.subarray(start * shape.inputDim, end * shape.inputDim), [end - start, shape.inputDim]);
          out.set(classifierScore(layersOf(shape, blocks), chunk).dataSync(), start);
        });
      }
      return out;
    },
    dispose: () => tf.dispose(blocks),
  };
}
