// The optimiser part of the fused step (global-norm clipping, Adam in PyTorch's form, the
// SWA sum) against the TypeScript/tfjs reference (clip.ts, adam.ts, swa.ts) fed with the
// kernel's own gradient; resuming from the engine's flat state equals an uninterrupted run
// bit for bit; validation sums against lossTerms; NaN inputs come out as NaN sums.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FlatAdam } from '../../activities/train/adam.js';
import { clipByGlobalNorm } from '../../activities/train/clip.js';
import { loadFused, type FusedKind } from '../../activities/train/fused/index.js';
import { disposePrior, priorTensors } from '../../activities/train/kl.js';
import { lossTerms, unpack } from '../../activities/train/tfjs-network.js';
import { WeightAverage } from '../../activities/train/swa.js';
import { Rng } from '../../activities/lib/rng.js';
import { firstDifference, INPUT_DIM, NATIVE, NATIVE_SKIP, problem, relativeL2, type Problem } from './fused-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A fresh batch per step (new events, weights and noise), from one seeded stream. */
function batches(p: Problem, count: number, seed: number): { x: Float32Array; w: Float32Array; noise: Float32Array | null }[] {
  const rng = Rng.fromSeed(seed);
  return Array.from({ length: count }, () => ({
    x: rng.fillNormal(new Float32Array(p.rows * INPUT_DIM)),
    w: Float32Array.from({ length: p.rows }, () => rng.range(0.2, 3)),
    noise: p.noise ? rng.fillNormal(new Float32Array(p.rows * p.spec.latentDim)) : null,
  }));
}

function stepTests(kind: FusedKind): void {
  for (const clipNorm of [0, 1e-3]) {
    for (const architecture of ['AE', 'VAE', 'DVAE'] as const) {
      it(`${architecture}, clipNorm ${clipNorm}: 5 steps equal clip.ts + adam.ts + swa.ts on the same gradients`, async () => {
        const kernel = await loadFused(kind);
        const p = problem(architecture, 3, { rows: 64, clipNorm, hidden: [50, 30] });
        const engine = kernel.createEngine(p.spec);
        const probe = kernel.createEngine(p.spec);
        engine.params.set(p.params);
        const params = tf.variable(tf.tensor1d(p.params));
        const adam = new FlatAdam(p.shape.size);
        const average = new WeightAverage(p.shape.size);
        const lr = 3e-3;
        for (const [step, b] of batches(p, 5, 5).entries()) {
          // The kernel's gradient at the current weights, then the TypeScript optimiser.
          probe.params.set(engine.params);
          const { grad } = probe.gradient(b.x, b.w, b.noise);
          tf.tidy(() => {
            const g = tf.tensor1d(grad);
            const update = clipNorm > 0 ? clipByGlobalNorm([g], clipNorm).clipped[0]! : g;
            adam.apply(params, update, lr);
            average.add(params);
          });
          engine.trainStep(b.x, b.w, b.noise, lr);
          const state = await adam.snapshot();
          const expected = { params: params.dataSync() as Float32Array, m: state.m, v: state.v, swa: (await average.snapshot()).sum };
          const got = { params: engine.params, m: engine.adamM, v: engine.adamV, swa: engine.swaSum };
          // Adam is the same float32 arithmetic: bit for bit without clipping. With it, the
          // norm's summation order differs, so the clip scale may by an ulp, and a moment
          // that nearly cancels (m = 0.9 m + 0.1 g) differs relatively more than the vector.
          for (const key of ['m', 'v', 'params', 'swa'] as const) {
            if (clipNorm === 0) expect(firstDifference(got[key], expected[key]), `${key} after step ${step + 1}`).toBe(-1);
            else expect(relativeL2(got[key], expected[key]), `${key} after step ${step + 1}`).toBeLessThanOrEqual(1e-6);
          }
          expect(engine.adamStep).toBe(step + 1);
          expect(engine.swaCount).toBe(step + 1);
          if (clipNorm > 0) {
            const norm = Math.hypot(...grad);
            expect(Math.abs(engine.lastGradNorm() - norm) / norm).toBeLessThan(1e-5);
            expect(engine.lastGradNorm()).toBeGreaterThan(clipNorm); // the clipping was active
          }
        }
        params.dispose();
        adam.dispose();
        average.dispose();
        expect(Array.from(engine.swaMean())).toEqual(Array.from(engine.swaSum, (s) => Math.fround(s / 5)));
      });
    }
  }

  it('resuming from state() (params, m, v, step, SWA sum and count, sums) through restore() equals an uninterrupted run bit for bit', async () => {
    const kernel = await loadFused(kind);
    for (const architecture of ['AE', 'VAE', 'DVAE'] as const) {
      const p = problem(architecture, 4, { rows: 48, clipNorm: 1e-3 });
      const steps = batches(p, 8, 9);
      const whole = kernel.createEngine(p.spec);
      whole.params.set(p.params);
      for (const b of steps) whole.trainStep(b.x, b.w, b.noise, 1e-3);
      const first = kernel.createEngine(p.spec);
      first.params.set(p.params);
      for (const b of steps.slice(0, 3)) first.trainStep(b.x, b.w, b.noise, 1e-3);
      // What a checkpoint stores: the state's arrays, its scalars and sums through JSON.
      const { params, adamM, adamV, averageSum, ...scalars } = await first.state();
      const resumed = kernel.createEngine(p.spec);
      resumed.restore({ params, adamM, adamV, averageSum, ...JSON.parse(JSON.stringify(scalars)) });
      for (const b of steps.slice(3)) resumed.trainStep(b.x, b.w, b.noise, 1e-3);
      for (const key of ['params', 'adamM', 'adamV', 'swaSum', 'trainSums'] as const) {
        expect(firstDifference(resumed[key], whole[key]), `${architecture} ${key}`).toBe(-1);
      }
      expect([resumed.adamStep, resumed.swaCount]).toEqual([whole.adamStep, whole.swaCount]);
    }
  });

  it('validation sums equal the weighted lossTerms sums at the same weights and noise, in chunks beyond maxRows', async () => {
    const kernel = await loadFused(kind);
    for (const architecture of ['AE', 'VAE', 'DVAE'] as const) {
      const p = problem(architecture, 6, { rows: 300, maxRows: 128 });
      const engine = kernel.createEngine(p.spec);
      engine.params.set(p.params);
      engine.validate(p.x, p.w, p.noise);
      const prior = p.spec.prior ? priorTensors(p.spec.prior) : null;
      const expected = tf.tidy(() => {
        const terms = lossTerms(
          p.shape,
          unpack(p.shape, tf.tensor1d(p.params)),
          { x: tf.tensor2d(p.x, [p.rows, INPUT_DIM]), noise: p.noise ? tf.tensor2d(p.noise, [p.rows, p.spec.latentDim]) : null },
          prior,
        );
        const w = tf.tensor1d(p.w);
        return [
          tf.sum(tf.mul(terms.mse, w)).dataSync()[0]!,
          terms.kl ? tf.sum(tf.mul(terms.kl, w)).dataSync()[0]! : 0,
          tf.sum(w).dataSync()[0]!,
        ];
      });
      if (prior) disposePrior(prior);
      expected.forEach((e, i) =>
        expect(Math.abs(engine.valSums[i]! - e), `${architecture} sum ${i}`).toBeLessThanOrEqual(3e-6 * Math.max(1, Math.abs(e))),
      );
      // The same numbers however the rows are split into calls.
      const again = engine.evaluate(p.x, p.w, p.noise);
      expect(firstDifference(again, engine.valSums)).toBe(-1);
    }
  });

  it('a NaN in the inputs gives NaN sums (the trainer reports NaN losses), and bad shapes are errors', async () => {
    const kernel = await loadFused(kind);
    const p = problem('VAE', 2, { rows: 16 });
    const engine = kernel.createEngine(p.spec);
    engine.params.set(p.params);
    const x = Float32Array.from(p.x);
    x[5] = NaN;
    engine.trainStep(x, p.w, p.noise, 1e-3);
    expect(Number.isNaN(engine.trainSums[0])).toBe(true);
    expect(engine.params.some(Number.isNaN)).toBe(true);
    expect(() => engine.trainStep(p.x, p.w, null, 1e-3)).toThrow(/noise/);
    expect(() => engine.trainStep(p.x.subarray(1), p.w, p.noise, 1e-3)).toThrow(/x has/);
    const big = problem('AE', 2, { rows: 40, maxRows: 16 });
    const small = kernel.createEngine(big.spec);
    small.params.set(big.params);
    expect(() => small.trainStep(big.x, big.w, null, 1e-3)).toThrow(/rows/);
    expect(() => small.gradient(big.x, big.w, null)).toThrow(/rows/);
    // Nothing was overwritten: the engine still gives a fresh engine's gradient.
    const fresh = kernel.createEngine(big.spec);
    fresh.params.set(big.params);
    const head = [big.x.subarray(0, 16 * INPUT_DIM), big.w.subarray(0, 16), null] as const;
    expect(firstDifference(small.gradient(...head).grad, fresh.gradient(...head).grad)).toBe(-1);
    expect(small.adamStep).toBe(0);
    expect(() =>
      kernel.createEngine({
        ...p.spec,
        architecture: 'DVAE',
        latentDim: 1,
        prior: p.spec.prior && { mean: new Float32Array(1), variance: new Float32Array([1]) },
      }),
    ).toThrow(/unsupported/);
  });
}

describe('fused step, wasm build', () => stepTests('wasm'));

describe.skipIf(!NATIVE.available)(`fused step, native build${NATIVE_SKIP}`, () => stepTests('native'));
