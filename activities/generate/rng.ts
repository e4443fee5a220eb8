// Seeded random numbers for the generator: xoshiro128** (32-bit state words, fast in JS),
// seeded through splitmix32 so nearby seeds give unrelated streams. Same seed, same events.

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal = NaN;

  constructor(seed: number, stream = 0) {
    let s = (Math.floor(seed) ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result / 4294967296;
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
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Running sums of a probability table, normalised to end at 1. */
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
