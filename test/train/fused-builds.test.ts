// The two builds of the fused kernel: the committed kernel.wasm is built from the current
// sources, its exp is accurate, the loader says which build it uses, and (where the native
// addon is built) native and wasm compute the same bits for whole trainings.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadFused, nativeStatus, wasmStatus, type StepEngine } from '../../activities/train/fused/index.js';
import { Rng } from '../../activities/lib/rng.js';
import { firstDifference, INPUT_DIM, NATIVE, NATIVE_SKIP, problem } from './fused-helpers.js';

/** Values across exp's float range, the edges and special values. */
function expArguments(): number[] {
  const rng = Rng.fromSeed(4);
  const values = Array.from({ length: 20000 }, () => Math.fround(rng.range(-104, 89)));
  for (let i = 0; i < 5000; i++) values.push(Math.fround(rng.range(-2, 2)));
  values.push(0, -0, 1, -1, 88.72283935546875, 88.7228, -87.33654, -103.97, -103.98, 89, -105, Infinity, -Infinity, NaN, 1e-30, -1e-30);
  return values.map(Math.fround);
}

function ulpDistance(a: number, b: number): number {
  const view = new DataView(new ArrayBuffer(8));
  const bits = (x: number) => {
    view.setFloat32(0, x);
    const i = view.getInt32(0);
    return i < 0 ? -(i & 0x7fffffff) : i;
  };
  return Math.abs(bits(a) - bits(b));
}

describe('fused kernel builds', () => {
  it('kernel.wasm is built from the current kernel sources (else: node scripts/build-fused-wasm.js)', () => {
    const status = wasmStatus();
    expect(status.current, `kernel.wasm.json records ${String(status.manifest?.sources)}`).toBe(true);
  });

  it("the install's build step says in one line that it falls back to wasm without a compiler, and does not fail", () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.postinstall).toMatch(/^node scripts\/build-fused\.js && /);
    // --force skips the up-to-date check, so the compiler is looked for; a build already there stays.
    const run = spawnSync(process.execPath, ['scripts/build-fused.js', '--force'], {
      encoding: 'utf8',
      env: { ...process.env, CC: '/nonexistent/cc' },
    });
    expect(run.status).toBe(0);
    expect(run.stderr.trim().split('\n')).toEqual([
      '[build-fused] no C compiler found (tried /nonexistent/cc; set CC); the fused trainer will use its WebAssembly build',
    ]);
  });

  it('the wasm build loads without a compiler and says what it is', async () => {
    const wasm = await loadFused('wasm');
    expect(wasm.kind).toBe('wasm');
    expect(wasm.vectorWidth).toBe(4);
    expect(wasm.description).toMatch(/^wasm \(SIMD128/);
    const auto = await loadFused('auto');
    expect(auto.kind).toBe(nativeStatus().available ? 'native' : 'wasm');
  });

  it('exp is within 2 ulp of the correctly rounded value over the float range, exact at the special values', async () => {
    const wasm = await loadFused('wasm');
    let worst = 0;
    for (const x of expArguments()) {
      const got = wasm.expf(x);
      const exact = Math.fround(Math.exp(x));
      if (Number.isNaN(exact)) {
        expect(got).toBeNaN();
        continue;
      }
      if (exact !== 0 && Math.abs(exact) < 1.1754943508222875e-38) continue; // subnormal results
      if (!Number.isFinite(exact) || exact === 0) {
        expect(got, `exp(${x})`).toBe(exact);
        continue;
      }
      worst = Math.max(worst, ulpDistance(got, exact));
    }
    expect(worst).toBeLessThanOrEqual(2);
    expect(wasm.expf(0)).toBe(1);
  });
});

function sameEngineState(a: StepEngine, b: StepEngine): void {
  for (const key of ['params', 'adamM', 'adamV', 'swaSum', 'trainSums'] as const) expect(firstDifference(a[key], b[key]), key).toBe(-1);
}

describe.skipIf(!NATIVE.available)(`fused kernel, native build against wasm${NATIVE_SKIP}`, () => {
  it('exp gives the same bits', async () => {
    const [native, wasm] = [await loadFused('native'), await loadFused('wasm')];
    for (const x of expArguments()) expect(Object.is(native.expf(x), wasm.expf(x)), `exp(${x})`).toBe(true);
  });

  it('native and wasm engines stay bit-identical over 20 steps of every architecture, then validate and score alike', async () => {
    const [native, wasm] = [await loadFused('native'), await loadFused('wasm')];
    expect(native.description).toMatch(/^native \(/);
    for (const [architecture, latentDim] of [
      ['AE', 1],
      ['AE', 16],
      ['VAE', 1],
      ['VAE', 8],
      ['DVAE', 2],
      ['DVAE', 16],
    ] as const) {
      const p = problem(architecture, latentDim, { rows: 256, clipNorm: 1e-3 });
      const engines = [native, wasm].map((k) => {
        const e = k.createEngine(p.spec);
        e.params.set(p.params);
        return e;
      });
      const rng = Rng.fromSeed(21);
      for (let step = 0; step < 21; step++) {
        // The last batch of a fold is short.
        const rows = step === 20 ? 37 : p.rows;
        const x = rng.fillNormal(new Float32Array(rows * INPUT_DIM));
        const w = Float32Array.from({ length: rows }, () => rng.range(0.2, 3));
        const noise = p.noise ? rng.fillNormal(new Float32Array(rows * latentDim)) : null;
        for (const e of engines) e.trainStep(x, w, noise, 1e-3);
      }
      sameEngineState(engines[0]!, engines[1]!);
      expect(engines[0]!.lastGradNorm()).toBe(engines[1]!.lastGradNorm());
      for (const e of engines) e.validate(p.x, p.w, p.noise);
      expect(firstDifference(engines[0]!.valSums, engines[1]!.valSums)).toBe(-1);
      const [s0, s1] = engines.map((e) => e.score(p.x));
      expect(firstDifference(s0!.mse, s1!.mse)).toBe(-1);
      expect(firstDifference(s0!.latent, s1!.latent)).toBe(-1);
    }
  });
});
