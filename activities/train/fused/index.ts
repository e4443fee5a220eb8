// The fused training kernel (kernel.c) from TypeScript: one call per batch for a training
// step (forward, loss, backward, clipping, Adam, SWA sum), one per chunk for validation and
// for scoring. Two builds of the same C source behind one API:
//   native  .sweep/native/fused.node, an N-API addon built on this machine by
//           scripts/build-fused.js (vectorised for the host: AVX-512 / AVX2 / SSE)
//   wasm    kernel.wasm next to this file, built by scripts/build-fused-wasm.js (SIMD128),
//           committed so hosts without a compiler have it
// Both compute the same numbers bit for bit. `loadFused()` takes the native build when it
// is present and built from the current sources, else the WebAssembly one; the backend
// chooser (../backend.ts) asks for one by name (training.backend fused-native / fused-wasm).
//
// A StepEngine is a TrainingEngine (../engine.ts) that holds one training's state in flat
// buffers in the project's layout (network.ts): params, Adam m/v and step, SWA sum and
// count, the epoch's loss sums in float64. The buffers belong to the engine (for wasm they
// sit in the module's memory, so the kernel works on them without copying).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Architecture } from '../../../core/models.js';
import type { EngineSpec, EngineState, TrainingEngine } from '../engine.js';
import type { GaussianPrior } from '../prior.js';

export type FusedKind = 'native' | 'wasm';

const ARCHITECTURE_CODE: Record<Architecture, number> = { AE: 0, VAE: 1, DVAE: 2 };

/** The kernel's code of an autoencoder; the DNN classifier is not the kernel's (backend.ts never sends it here). */
function architectureCode(spec: EngineSpec): number {
  if (spec.architecture === 'DNN') throw new Error('the fused kernel computes the autoencoders only; the DNN trains on a tfjs backend');
  return ARCHITECTURE_CODE[spec.architecture];
}
// The kernel's files are named by literal URLs relative to import.meta.url, so the code
// version of every kind that reaches this module (activities/engine/code-version.ts) covers
// the C sources and the committed kernel.wasm. The native build is host-specific and stays
// out of it (a cache key must not depend on which compiler a worker has).
const SOURCE_URLS: Record<string, URL> = {
  'kernel.h': new URL('./kernel.h', import.meta.url),
  'kernel.c': new URL('./kernel.c', import.meta.url),
  'addon.c': new URL('./addon.c', import.meta.url),
};
const WASM_PATH = fileURLToPath(new URL('./kernel.wasm', import.meta.url));
const WASM_MANIFEST = fileURLToPath(new URL('./kernel.wasm.json', import.meta.url));
const HERE = import.meta.url;
const NATIVE_PATH = fileURLToPath(new URL('../../../.sweep/native/fused.node', HERE));
const NATIVE_MANIFEST = fileURLToPath(new URL('../../../.sweep/native/fused.json', HERE));
export const NATIVE_SOURCES = ['kernel.h', 'kernel.c', 'addon.c'];
export const WASM_SOURCES = ['kernel.h', 'kernel.c'];

/** The fused kernel as a TrainingEngine, with its state buffers open to tests and tools. */
export interface StepEngine extends TrainingEngine {
  readonly kind: FusedKind;
  readonly spec: EngineSpec;
  /** Floats in the flat parameter vector. */
  readonly size: number;
  /** Weights, in network.ts's layout; trainStep updates them in place. */
  readonly params: Float32Array;
  readonly adamM: Float32Array;
  readonly adamV: Float32Array;
  /** Adam steps taken (the bias corrections' t). */
  adamStep: number;
  /** Sum of the weights after each step since the last resetSwa(). */
  readonly swaSum: Float32Array;
  swaCount: number;
  /** [sum w*mse, sum w*kl, sum w] of the training batches since the caller last zeroed it. */
  readonly trainSums: Float64Array;
  /** The same over validate() calls. */
  readonly valSums: Float64Array;
  /**
   * One optimiser step on a batch: x [rows x inputDim] row-major, w [rows], noise
   * [rows x latentDim] standard normal (VAE/DVAE; null for the AE), learning rate lr.
   */
  trainStep(x: Float32Array, w: Float32Array, noise: Float32Array | null, lr: number): void;
  /** Adds a validation chunk's sums (at the current weights) to valSums. */
  validate(x: Float32Array, w: Float32Array, noise: Float32Array | null): void;
  /** The sums of a chunk at `params` (default the current weights), as a new array. */
  evaluate(x: Float32Array, w: Float32Array, noise: Float32Array | null, params?: Float32Array): Float64Array;
  /** Gradient of the batch objective at `params` (no update); for tests and tools. */
  gradient(x: Float32Array, w: Float32Array, noise: Float32Array | null, params?: Float32Array): { grad: Float32Array; sums: Float64Array };
  /** Per-event MSE at the latent mean and the latent output (what loadModel's score returns, model-file.ts). */
  score(x: Float32Array, params?: Float32Array): { mse: Float32Array; latent: Float32Array };
  /** Global gradient norm of the last trainStep, before clipping. */
  lastGradNorm(): number;
  /** swaSum / swaCount in float32, as WeightAverage.mean(). */
  swaMean(): Float32Array;
  resetSwa(): void;
  /** Copies `state` into the engine's buffers (a resumed training continues bit for bit). */
  restore(state: EngineState): void;
}

export interface FusedBackend {
  kind: FusedKind;
  /** The backend's name in models.csv and the model artifact: "fused-native (avx512)", "fused-wasm (simd128)". */
  name: string;
  /** For logs, e.g. "native (cc 12.2.0, -march=native, 16 floats per vector)". */
  description: string;
  vectorWidth: number;
  createEngine(spec: EngineSpec): StepEngine;
  /** The kernel's own exp (for tests). */
  expf(x: number): number;
}

/** [mean | 1/variance | sum(log v - 1)] as kl.ts's priorTensors computes them. */
export function packPrior(prior: GaussianPrior): Float32Array {
  const K = prior.mean.length;
  const packed = new Float32Array(2 * K + 1);
  packed.set(prior.mean, 0);
  prior.variance.forEach((v, k) => (packed[K + k] = 1 / v));
  packed[2 * K] = prior.variance.reduce((s, v) => s + Math.log(v) - 1, 0);
  return packed;
}

function sourceHash(names: string[]): string {
  const hash = createHash('sha256');
  for (const name of names) hash.update(readFileSync(SOURCE_URLS[name]!));
  return hash.digest('hex');
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------------- raw calls --

/** The kernel's entry points on typed arrays; rows are given explicitly. */
interface Raw {
  readonly maxRows: number;
  /** Float arrays the kernel uses in place (wasm: in its memory); only while constructing. */
  floats(n: number): Float32Array;
  doubles(n: number): Float64Array;
  gradient(
    rows: number,
    x: Float32Array,
    w: Float32Array,
    noise: Float32Array | null,
    prior: Float32Array | null,
    klWeight: number,
    params: Float32Array,
    grad: Float32Array,
    sums: Float64Array,
  ): number;
  trainStep(
    rows: number,
    x: Float32Array,
    w: Float32Array,
    noise: Float32Array | null,
    prior: Float32Array | null,
    klWeight: number,
    lr: number,
    clipNorm: number,
    step: number,
    params: Float32Array,
    m: Float32Array,
    v: Float32Array,
    swa: Float32Array | null,
    sums: Float64Array,
  ): number;
  evaluate(
    rows: number,
    x: Float32Array,
    w: Float32Array,
    noise: Float32Array | null,
    prior: Float32Array | null,
    params: Float32Array,
    sums: Float64Array,
  ): number;
  score(rows: number, x: Float32Array, params: Float32Array, mse: Float32Array, latent: Float32Array | null): number;
  lastGradNorm(): number;
  dispose(): void;
}

interface NativeAddon {
  create(arch: number, inputDim: number, latentDim: number, hidden: Int32Array, maxRows: number): object;
  dims(ws: object): Int32Array;
  gradient(ws: object, ...args: unknown[]): number;
  trainStep(ws: object, ...args: unknown[]): number;
  evaluate(ws: object, ...args: unknown[]): number;
  score(ws: object, ...args: unknown[]): number;
  lastGradNorm(ws: object): number;
  destroy(ws: object): void;
  vectorWidth(): number;
  expf(x: number): number;
}

function nativeRaw(addon: NativeAddon, spec: EngineSpec): Raw {
  const ws = addon.create(architectureCode(spec), spec.inputDim, spec.latentDim, Int32Array.from(spec.hiddenLayers), spec.maxRows);
  return {
    maxRows: spec.maxRows,
    floats: (n) => new Float32Array(n),
    doubles: (n) => new Float64Array(n),
    gradient: (...args) => addon.gradient(ws, ...args),
    trainStep: (...args) => addon.trainStep(ws, ...args),
    evaluate: (...args) => addon.evaluate(ws, ...args),
    score: (...args) => addon.score(ws, ...args),
    lastGradNorm: () => addon.lastGradNorm(ws),
    dispose: () => addon.destroy(ws),
  };
}

interface WasmExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  fs_workspace_bytes(arch: number, inputDim: number, latentDim: number, nHidden: number, hidden: number, maxRows: number): number;
  fs_init(
    ws: number,
    bytes: number,
    arch: number,
    inputDim: number,
    latentDim: number,
    nHidden: number,
    hidden: number,
    maxRows: number,
  ): number;
  fs_vector_width(): number;
  fs_last_grad_norm(ws: number): number;
  fs_gradient(
    ws: number,
    rows: number,
    x: number,
    w: number,
    noise: number,
    prior: number,
    klWeight: number,
    params: number,
    grad: number,
    sums: number,
  ): number;
  fs_train_step(
    ws: number,
    rows: number,
    x: number,
    w: number,
    noise: number,
    prior: number,
    klWeight: number,
    lr: number,
    clipNorm: number,
    step: number,
    params: number,
    m: number,
    v: number,
    swa: number,
    sums: number,
  ): number;
  fs_evaluate(ws: number, rows: number, x: number, w: number, noise: number, prior: number, params: number, sums: number): number;
  fs_score(ws: number, rows: number, x: number, params: number, mse: number, latent: number): number;
  fs_expf(x: number): number;
}

const PAGE = 65536;

/**
 * One WebAssembly instance (its own memory) per engine. Everything is allocated when the
 * engine is made and the memory never grows afterwards, so views into it stay valid.
 * Arrays that do not live in the instance's memory go through staging areas.
 */
function wasmRaw(module: WebAssembly.Module, spec: EngineSpec, size: number, reserveFloats: number): Raw {
  const e = new WebAssembly.Instance(module, {}).exports as unknown as WasmExports;
  const { memory } = e;
  const arch = architectureCode(spec);
  const D = spec.inputDim;
  const K = spec.latentDim;
  const rowsMax = spec.maxRows;
  const hiddenBytes = 4 * Math.max(1, spec.hiddenLayers.length);
  let top = Number(e.__heap_base.value);
  const reserve = (bytes: number): number => {
    const at = Math.ceil(top / 64) * 64;
    top = at + bytes;
    return at;
  };
  const hiddenAt = reserve(hiddenBytes);
  new Int32Array(memory.buffer, hiddenAt, spec.hiddenLayers.length).set(spec.hiddenLayers);
  const wsBytes = e.fs_workspace_bytes(arch, D, K, spec.hiddenLayers.length, hiddenAt, rowsMax);
  if (wsBytes === 0) throw new Error(`fused: unsupported network ${JSON.stringify(spec)}`);
  const ws = reserve(wsBytes);
  const sizes = {
    x: 4 * rowsMax * D,
    w: 4 * rowsMax,
    noise: 4 * rowsMax * K,
    prior: 4 * (2 * K + 1),
    params: 4 * size,
    out: 4 * Math.max(size, rowsMax * K),
    mse: 4 * rowsMax,
    sums: 8 * 3,
  };
  const staging = Object.fromEntries(Object.entries(sizes).map(([name, bytes]) => [name, reserve(bytes)])) as Record<
    keyof typeof sizes,
    number
  >;
  let pool = reserve(4 * reserveFloats + 64 * 16);
  const poolEnd = top;
  const needed = Math.ceil(top / PAGE) - memory.buffer.byteLength / PAGE;
  if (needed > 0) memory.grow(needed);
  const status = e.fs_init(ws, wsBytes, arch, D, K, spec.hiddenLayers.length, hiddenAt, rowsMax);
  if (status !== 0) throw new Error(`fused: fs_init failed (${status})`);
  const heap = memory.buffer;
  const f32 = new Float32Array(heap);
  const f64 = new Float64Array(heap);

  const take = (bytes: number): number => {
    const at = Math.ceil(pool / 64) * 64;
    if (at + bytes > poolEnd) throw new Error('fused: wasm engine out of reserved memory');
    pool = at + bytes;
    return at;
  };
  const inside = (a: ArrayBufferView) => a.buffer === heap;
  /** Pointer to `a` in the instance's memory, copying it into `stage` when it is outside. */
  const capacity = new Map(Object.entries(staging).map(([name, at]) => [at, { name, bytes: sizes[name as keyof typeof sizes] }]));
  const stageIn = (a: Float32Array, stage: number): number => {
    const room = capacity.get(stage)!;
    if (a.byteLength > room.bytes)
      throw new Error(`fused: ${a.length} floats do not fit the wasm engine's ${room.name} area (maxRows ${rowsMax})`);
    f32.set(a, stage / 4);
    return stage;
  };
  const input = (a: Float32Array | null, stage: number): number => {
    if (!a) return 0;
    if (inside(a)) return a.byteOffset;
    return stageIn(a, stage);
  };
  const output = (a: Float32Array | null, stage: number, after: (() => void)[]): number => {
    if (!a) return 0;
    if (inside(a)) return a.byteOffset;
    stageIn(a, stage);
    after.push(() => a.set(f32.subarray(stage / 4, stage / 4 + a.length)));
    return stage;
  };
  const sumsPtr = (s: Float64Array, after: (() => void)[]): number => {
    if (inside(s)) return s.byteOffset;
    f64.set(s.subarray(0, 3), staging.sums / 8);
    after.push(() => s.set(f64.subarray(staging.sums / 8, staging.sums / 8 + 3)));
    return staging.sums;
  };
  const finish = (after: (() => void)[], status: number): number => {
    for (const f of after) f();
    return status;
  };
  return {
    maxRows: rowsMax,
    floats: (n) => new Float32Array(heap, take(4 * n), n),
    doubles: (n) => new Float64Array(heap, take(8 * n), n),
    gradient(rows, x, w, noise, prior, klWeight, params, grad, sums) {
      const after: (() => void)[] = [];
      const status = e.fs_gradient(
        ws,
        rows,
        input(x, staging.x),
        input(w, staging.w),
        input(noise, staging.noise),
        input(prior, staging.prior),
        klWeight,
        input(params, staging.params),
        output(grad, staging.out, after),
        sumsPtr(sums, after),
      );
      return finish(after, status);
    },
    trainStep(rows, x, w, noise, prior, klWeight, lr, clipNorm, step, params, m, v, swa, sums) {
      if (![params, m, v, ...(swa ? [swa] : [])].every(inside))
        throw new Error('fused: wasm trainStep needs the engine-owned state arrays');
      const after: (() => void)[] = [];
      const status = e.fs_train_step(
        ws,
        rows,
        input(x, staging.x),
        input(w, staging.w),
        input(noise, staging.noise),
        input(prior, staging.prior),
        klWeight,
        lr,
        clipNorm,
        step,
        params.byteOffset,
        m.byteOffset,
        v.byteOffset,
        swa ? swa.byteOffset : 0,
        sumsPtr(sums, after),
      );
      return finish(after, status);
    },
    evaluate(rows, x, w, noise, prior, params, sums) {
      const after: (() => void)[] = [];
      const s = sumsPtr(sums, after);
      const p = input(params, staging.params);
      const pr = input(prior, staging.prior);
      let status = 0;
      for (let start = 0; start < rows && status === 0; start += rowsMax) {
        const n = Math.min(rowsMax, rows - start);
        const xs = x.subarray(start * D, (start + n) * D);
        const ns = noise ? noise.subarray(start * K, (start + n) * K) : null;
        status = e.fs_evaluate(
          ws,
          n,
          input(xs, staging.x),
          input(w.subarray(start, start + n), staging.w),
          input(ns, staging.noise),
          pr,
          p,
          s,
        );
      }
      return finish(after, status);
    },
    score(rows, x, params, mse, latent) {
      const p = input(params, staging.params);
      let status = 0;
      for (let start = 0; start < rows && status === 0; start += rowsMax) {
        const n = Math.min(rowsMax, rows - start);
        status = e.fs_score(ws, n, input(x.subarray(start * D, (start + n) * D), staging.x), p, staging.mse, latent ? staging.out : 0);
        mse.set(f32.subarray(staging.mse / 4, staging.mse / 4 + n), start);
        if (latent) latent.set(f32.subarray(staging.out / 4, staging.out / 4 + n * K), start * K);
      }
      return status;
    },
    lastGradNorm: () => e.fs_last_grad_norm(ws),
    // The instance and its memory go with the last reference to the engine.
    dispose: () => {},
  };
}

// -------------------------------------------------------------------------- engine --

const STATUS: Record<number, string> = {
  [-1]: 'unsupported network shape',
  [-2]: 'workspace too small',
  [-3]: 'not a workspace',
  [-4]: 'rows outside 1..maxRows',
  [-5]: 'noise and prior are needed for VAE/DVAE',
};

function check(status: number, what: string): void {
  if (status !== 0) throw new Error(`fused ${what}: ${STATUS[status] ?? `status ${status}`}`);
}

/** Parameter count of network.ts's layout for a spec. */
export function parameterCount(spec: Pick<EngineSpec, 'architecture' | 'inputDim' | 'latentDim' | 'hiddenLayers'>): number {
  const encoderOut = spec.architecture === 'AE' ? spec.latentDim : 2 * spec.latentDim;
  const widths = [spec.inputDim, ...spec.hiddenLayers, encoderOut];
  const decoder = [spec.latentDim, ...[...spec.hiddenLayers].reverse(), spec.inputDim];
  const count = (w: number[]) => w.slice(1).reduce((s, units, i) => s + (w[i]! + 1) * units, 0);
  return count(widths) + count(decoder);
}

class Engine implements StepEngine {
  readonly size: number;
  readonly params: Float32Array;
  readonly adamM: Float32Array;
  readonly adamV: Float32Array;
  adamStep = 0;
  readonly swaSum: Float32Array;
  swaCount = 0;
  readonly trainSums: Float64Array;
  readonly valSums: Float64Array;
  private readonly prior: Float32Array | null;
  private readonly grad: Float32Array;

  constructor(
    readonly kind: FusedKind,
    readonly spec: EngineSpec,
    private readonly raw: Raw,
    size: number,
  ) {
    this.size = size;
    this.params = raw.floats(size);
    this.adamM = raw.floats(size);
    this.adamV = raw.floats(size);
    this.swaSum = raw.floats(size);
    this.grad = raw.floats(size);
    this.trainSums = raw.doubles(3);
    this.valSums = raw.doubles(3);
    const variational = spec.architecture !== 'AE';
    if (variational && !spec.prior) throw new Error(`fused: ${spec.architecture} needs a prior`);
    if (variational) {
      const packed = packPrior(spec.prior!);
      this.prior = raw.floats(packed.length);
      this.prior.set(packed);
    } else {
      this.prior = null;
    }
  }

  private rows(x: Float32Array, w: Float32Array, noise: Float32Array | null): number {
    const rows = w.length;
    if (x.length !== rows * this.spec.inputDim)
      throw new Error(`fused: x has ${x.length} values for ${rows} rows of ${this.spec.inputDim}`);
    if (this.prior && (!noise || noise.length !== rows * this.spec.latentDim)) {
      throw new Error(`fused: ${this.spec.architecture} needs noise of ${rows} x ${this.spec.latentDim}`);
    }
    return rows;
  }

  /** A training batch's rows: 1..maxRows (the gradient is over the whole batch). */
  private batchRows(x: Float32Array, w: Float32Array, noise: Float32Array | null): number {
    const rows = this.rows(x, w, noise);
    if (rows < 1 || rows > this.spec.maxRows)
      throw new Error(`fused: a batch of ${rows} rows; the engine takes 1 to maxRows = ${this.spec.maxRows}`);
    return rows;
  }

  trainStep(x: Float32Array, w: Float32Array, noise: Float32Array | null, lr: number): void {
    const rows = this.batchRows(x, w, noise);
    const { klWeight, clipNorm, swa } = this.spec;
    const status = this.raw.trainStep(
      rows,
      x,
      w,
      noise,
      this.prior,
      klWeight,
      lr,
      clipNorm,
      this.adamStep + 1,
      this.params,
      this.adamM,
      this.adamV,
      swa ? this.swaSum : null,
      this.trainSums,
    );
    check(status, 'trainStep');
    this.adamStep += 1;
    if (swa) this.swaCount += 1;
  }

  validate(x: Float32Array, w: Float32Array, noise: Float32Array | null): void {
    check(this.raw.evaluate(this.rows(x, w, noise), x, w, noise, this.prior, this.params, this.valSums), 'validate');
  }

  evaluate(x: Float32Array, w: Float32Array, noise: Float32Array | null, params: Float32Array = this.params): Float64Array {
    const sums = new Float64Array(3);
    check(this.raw.evaluate(this.rows(x, w, noise), x, w, noise, this.prior, this.checkParams(params), sums), 'evaluate');
    return sums;
  }

  gradient(
    x: Float32Array,
    w: Float32Array,
    noise: Float32Array | null,
    params: Float32Array = this.params,
  ): { grad: Float32Array; sums: Float64Array } {
    const rows = this.batchRows(x, w, noise);
    const sums = new Float64Array(3);
    check(this.raw.gradient(rows, x, w, noise, this.prior, this.spec.klWeight, this.checkParams(params), this.grad, sums), 'gradient');
    return { grad: Float32Array.from(this.grad), sums };
  }

  score(x: Float32Array, params: Float32Array = this.params): { mse: Float32Array; latent: Float32Array } {
    const rows = x.length / this.spec.inputDim;
    if (!Number.isInteger(rows)) throw new Error(`fused: x has ${x.length} values, not a multiple of ${this.spec.inputDim}`);
    const mse = new Float32Array(rows);
    const latent = new Float32Array(rows * this.spec.latentDim);
    check(this.raw.score(rows, x, this.checkParams(params), mse, latent), 'score');
    return { mse, latent };
  }

  lastGradNorm(): number {
    return this.raw.lastGradNorm();
  }

  swaMean(): Float32Array {
    if (this.swaCount === 0) throw new Error('fused: swaMean() before any step with swa');
    return Float32Array.from(this.swaSum, (s) => s / this.swaCount);
  }

  resetSwa(): void {
    this.swaSum.fill(0);
    this.swaCount = 0;
  }

  async sums(): Promise<{ train: number[]; val: number[] }> {
    return { train: Array.from(this.trainSums), val: Array.from(this.valSums) };
  }

  endEpoch(): void {
    if (this.spec.swa && this.swaCount > 0) this.params.set(this.swaMean());
    this.resetSwa();
    this.trainSums.fill(0);
    this.valSums.fill(0);
  }

  async state(): Promise<EngineState> {
    return {
      params: Float32Array.from(this.params),
      adamM: Float32Array.from(this.adamM),
      adamV: Float32Array.from(this.adamV),
      adamStep: this.adamStep,
      averageSum: Float32Array.from(this.swaSum),
      averageSteps: this.swaCount,
      trainSums: Array.from(this.trainSums),
      valSums: Array.from(this.valSums),
    };
  }

  async weights(): Promise<Float32Array> {
    return Float32Array.from(this.params);
  }

  restore(state: EngineState): void {
    for (const [name, array] of [
      ['params', state.params],
      ['adamM', state.adamM],
      ['adamV', state.adamV],
      ['averageSum', state.averageSum],
    ] as const) {
      if (array.length !== this.size) throw new Error(`fused: ${name} has ${array.length} values, the network ${this.size}`);
    }
    this.params.set(state.params);
    this.adamM.set(state.adamM);
    this.adamV.set(state.adamV);
    this.adamStep = state.adamStep;
    this.swaSum.set(state.averageSum);
    this.swaCount = state.averageSteps;
    this.trainSums.set(state.trainSums);
    this.valSums.set(state.valSums);
  }

  /** Frees the native workspace now (it would go with the garbage otherwise); the engine is unusable after. */
  dispose(): void {
    this.raw.dispose();
  }

  private checkParams(params: Float32Array): Float32Array {
    if (params.length !== this.size) throw new Error(`fused: params has ${params.length} values, the network ${this.size}`);
    return params;
  }
}

// ------------------------------------------------------------------------- loading --

/** Whether the native build can be used here, and why not. */
export function nativeStatus(): { available: boolean; reason?: string; path: string; manifest?: Record<string, unknown> } {
  if (!existsSync(NATIVE_PATH))
    return { available: false, path: NATIVE_PATH, reason: `${NATIVE_PATH} is not built (node scripts/build-fused.js)` };
  const manifest = readJson(NATIVE_MANIFEST);
  if (!manifest || manifest.sources !== sourceHash(NATIVE_SOURCES)) {
    return {
      available: false,
      path: NATIVE_PATH,
      manifest,
      reason: `${NATIVE_PATH} was built from other sources (node scripts/build-fused.js --force)`,
    };
  }
  // A -march=native build may use instructions another CPU lacks (a checkout shared by hosts).
  const cpu = `${process.arch} ${cpus()[0]?.model ?? 'unknown'}`;
  if (manifest.cpu !== undefined && manifest.cpu !== cpu) {
    return {
      available: false,
      path: NATIVE_PATH,
      manifest,
      reason: `${NATIVE_PATH} was built for ${String(manifest.cpu)}, this is ${cpu} (node scripts/build-fused.js, or FUSED_PORTABLE=1 for a build every x86-64 runs)`,
    };
  }
  return { available: true, path: NATIVE_PATH, manifest };
}

/** Whether the committed kernel.wasm was built from the current kernel sources. */
export function wasmStatus(): { current: boolean; manifest?: Record<string, unknown> } {
  const manifest = readJson(WASM_MANIFEST);
  return { current: manifest?.sources === sourceHash(WASM_SOURCES), manifest };
}

/** The instruction set a native build's vector width stands for (kernel.c picks the width from the compiler's target). */
function nativeIsa(vectorWidth: number): string {
  if (vectorWidth === 16) return 'avx512';
  if (vectorWidth === 8) return 'avx';
  return process.arch === 'x64' ? 'sse' : process.arch === 'arm64' ? 'neon' : `${vectorWidth} floats per vector`;
}

let nativeBackend: FusedBackend | undefined;
let wasmBackend: Promise<FusedBackend> | undefined;

function loadNative(): FusedBackend {
  if (nativeBackend) return nativeBackend;
  const status = nativeStatus();
  if (!status.available) throw new Error(status.reason);
  const addon = createRequire(import.meta.url)(NATIVE_PATH) as NativeAddon;
  const flags = (status.manifest?.flags as string[] | undefined) ?? [];
  const vectorWidth = addon.vectorWidth();
  nativeBackend = {
    kind: 'native',
    name: `fused-native (${nativeIsa(vectorWidth)})`,
    vectorWidth,
    description: `native (${String(status.manifest?.compiler ?? 'unknown compiler')}, ${flags.includes('-march=native') ? '-march=native' : 'portable'}, ${vectorWidth} floats per vector)`,
    createEngine: (spec) => {
      const size = parameterCount(spec);
      return new Engine('native', spec, nativeRaw(addon, spec), size);
    },
    expf: (x) => addon.expf(x),
  };
  return nativeBackend;
}

async function loadWasm(): Promise<FusedBackend> {
  wasmBackend ??= (async () => {
    const module = await WebAssembly.compile(readFileSync(WASM_PATH));
    const probe = new WebAssembly.Instance(module, {}).exports as unknown as WasmExports;
    const vectorWidth = probe.fs_vector_width();
    const stale = wasmStatus().current ? '' : ', STALE: rebuild with node scripts/build-fused-wasm.js';
    return {
      kind: 'wasm' as const,
      name: 'fused-wasm (simd128)',
      vectorWidth,
      description: `wasm (SIMD128, ${vectorWidth} floats per vector${stale})`,
      createEngine: (spec: EngineSpec) => {
        const size = parameterCount(spec);
        // params, m, v, swa sum, gradient, prior, sums.
        const reserve = 5 * size + 2 * spec.latentDim + 1 + 16 * 4;
        return new Engine('wasm', spec, wasmRaw(module, spec, size, reserve), size);
      },
      expf: (x: number) => probe.fs_expf(x),
    };
  })();
  return wasmBackend;
}

/**
 * The fused kernel: the native addon when it is built from the current sources, else the
 * WebAssembly build; `which` asks for one. Asking for native when it is not there is an
 * error naming the reason.
 */
export async function loadFused(which: 'auto' | FusedKind = 'auto'): Promise<FusedBackend> {
  if (which === 'native') return loadNative();
  if (which === 'wasm') return loadWasm();
  return nativeStatus().available ? loadNative() : loadWasm();
}
