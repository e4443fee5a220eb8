// Seeded pseudo-random numbers for everything random in a sweep: the event generator and
// training (initial weights, fold splits, reparameterisation noise). xoshiro128** on four
// 32-bit words is fast in JS; the words live in plain fields so the generator's hot path
// draws without allocating. Our own generator instead of Math.random or tfjs's because the
// state must go into training checkpoints: a resumed training has to draw exactly the numbers
// the uninterrupted one would have drawn. Same seed, same numbers.

/** Everything that decides the numbers still to come, JSON-safe for checkpoints. */
export interface RngState {
  /** The four xoshiro128** words, unsigned 32-bit. */
  words: [number, number, number, number];
  /** The second value of the last Box-Muller pair, not yet handed out (null when none). */
  spareNormal: number | null;
}

const GOLDEN = 0x9e3779b9;
const TWO_POW_32 = 4294967296;

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number;

  private constructor(a: number, b: number, c: number, d: number, spareNormal = NaN) {
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    this.spareNormal = spareNormal;
  }

  /** Expands any integer seed (up to 2^53) with splitmix32, so nearby seeds give unrelated streams. */
  static fromSeed(seed: number): Rng {
    let x = (seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_POW_32) >>> 0, GOLDEN);
    const next = () => {
      x = (x + GOLDEN) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    // splitmix32 is a bijection of distinct counters, so the four words are never all zero.
    return new Rng(next(), next(), next(), next());
  }

  static fromState(state: RngState): Rng {
    const [a, b, c, d] = state.words;
    return new Rng(a, b, c, d, state.spareNormal ?? NaN);
  }

  state(): RngState {
    return {
      words: [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0],
      spareNormal: Number.isNaN(this.spareNormal) ? null : this.spareNormal,
    };
  }

  /** Uniform in [0, 1) from one xoshiro128** step (32 random bits). */
  uniform(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result / TWO_POW_32;
  }

  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Standard normal (Box-Muller, the second value kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const value = this.spareNormal;
      this.spareNormal = NaN;
      return value;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const phi = 2 * Math.PI * this.uniform();
    this.spareNormal = r * Math.sin(phi);
    return r * Math.cos(phi);
  }

  fillNormal(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.uniform());
  }

  /** Poisson by multiplication of uniforms: the means used here are small (< 10). */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.uniform();
    while (p > limit) {
      k++;
      p *= this.uniform();
    }
    return k;
  }

  /** Poisson conditioned on being at least 1 (a forced overlay; the caller weights by P(k >= 1)). */
  poissonAtLeastOne(mean: number): number {
    for (;;) {
      const k = this.poisson(mean);
      if (k > 0) return k;
    }
  }

  /** Index into a cumulative probability table (last entry 1). */
  pick(cumulative: Float64Array | readonly number[]): number {
    const u = this.uniform();
    for (let i = 0; i < cumulative.length - 1; i++) if (u < cumulative[i]) return i;
    return cumulative.length - 1;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      const tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Running sums of a probability table, normalised to end at 1 (the table `pick` draws from). */
export function cumulative(probabilities: readonly number[]): Float64Array {
  const out = new Float64Array(probabilities.length);
  const total = probabilities.reduce((s, p) => s + p, 0);
  let sum = 0;
  probabilities.forEach((p, i) => {
    sum += p;
    out[i] = sum / total;
  });
  return out;
}
