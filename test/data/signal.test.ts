// The IDMDH signal generator against the closed forms it is built from (docs/generator.md,
// "Signal"): the h' energy line and the recoil mass, the production angle, the m_ee spectrum
// and endpoint of chi2 -> chi1 e e, the lepton angle, the chi2 decay length, and the widths'
// known limits. Histograms are compared by chi2 with fixed seeds.
import { describe, expect, it } from 'vitest';
import { idmdhMasses, SQRT_S, type IdmdhMasses } from '../../core/idmdh.js';
import {
  ALPHA,
  ALPHA_D,
  aprimeWidth,
  chi2DecayDensity,
  chi2PartialWidth,
  EPSILON,
  kallen,
  leptonAngleKappa,
  productionDensity,
} from '../../activities/generate/darksector.js';
import { generateIdmdh, signalModel, type SignalModel } from '../../activities/generate/idmdh.js';
import { labPz, phaseSpaceDecay } from '../../activities/generate/kinematics.js';
import { Kind, MASS, Particles } from '../../activities/generate/particles.js';
import { Rng } from '../../activities/lib/rng.js';

// Indices in the event record written by generateIdmdh.
const H = 0;
const CHI1 = 1;
const CHI2 = 2;
const CHI1_DECAY = 5;
const E_MINUS = 7;
const E_PLUS = 8;

type Vec = [number, number, number, number];
const vec = (ev: Particles, i: number): Vec => [ev.E[i], ev.px[i], ev.py[i], ev.pz[i]];
const add = (a: Vec, b: Vec): Vec => [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]];
const dot = (a: Vec, b: Vec) => a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3];
const mass = (a: Vec) => Math.sqrt(Math.max(0, dot(a, a)));

/** Boosts a into the rest frame of p. */
function restFrame(a: Vec, p: Vec): Vec {
  const m = mass(p);
  const [bx, by, bz] = [-p[1] / p[0], -p[2] / p[0], -p[3] / p[0]];
  const b2 = bx * bx + by * by + bz * bz;
  const gamma = p[0] / m;
  const bp = bx * a[1] + by * a[2] + bz * a[3];
  const k = ((gamma - 1) * bp) / b2 + gamma * a[0];
  return [gamma * (a[0] + bp), a[1] + k * bx, a[2] + k * by, a[3] + k * bz];
}

/** Simpson's rule with n (even) intervals. */
function simpson(f: (x: number) => number, lo: number, hi: number, n = 64): number {
  const h = (hi - lo) / n;
  let s = f(lo) + f(hi);
  for (let k = 1; k < n; k++) s += (k % 2 === 1 ? 4 : 2) * f(lo + k * h);
  return (s * h) / 3;
}

/** Pearson chi2 per degree of freedom of counts against expected probabilities (bins with >= 5 expected). */
function chi2PerDof(counts: number[], probabilities: number[]): number {
  const n = counts.reduce((s, c) => s + c, 0);
  const total = probabilities.reduce((s, p) => s + p, 0);
  let chi2 = 0;
  let bins = 0;
  counts.forEach((c, i) => {
    const e = (n * probabilities[i]) / total;
    if (e < 5) return;
    chi2 += (c - e) ** 2 / e;
    bins++;
  });
  return chi2 / (bins - 1);
}

function histogram(values: number[], lo: number, hi: number, bins: number): number[] {
  const h = new Array<number>(bins).fill(0);
  for (const v of values) {
    const k = Math.floor(((v - lo) / (hi - lo)) * bins);
    if (k >= 0 && k < bins) h[k]++;
  }
  return h;
}

function generate(model: SignalModel, events: number, seed: number, collect: (ev: Particles) => void): void {
  const ev = new Particles();
  const rng = Rng.fromSeed(seed);
  for (let k = 0; k < events; k++) {
    generateIdmdh(ev, model, rng);
    collect(ev);
  }
}

/** Integral of f over q2 in [lo, hi], in the variable t of q2 = M^2 + M Gamma tan(t) (resolves the Breit-Wigner). */
function integrateQ2(model: SignalModel, f: (q2: number) => number, lo: number, hi: number, n = 256): number {
  const M2 = model.masses.mAprime ** 2;
  const mg = model.masses.mAprime * model.aprimeWidth;
  const g = (t: number) => {
    const c = Math.cos(t);
    return (f(M2 + mg * Math.tan(t)) * mg) / (c * c);
  };
  return simpson(g, Math.atan((lo - M2) / mg), Math.atan((hi - M2) / mg), n);
}

/** Closed-form probability of q2 = m_rec^2 in [m_lo^2, m_hi^2] (unnormalised), cos(theta) integrated. */
function recoilProbability(model: SignalModel, mLo: number, mHi: number): number {
  const dens = (q2: number) => simpson((c) => productionDensity(q2, c, model.masses, model.sqrtS, model.aprimeWidth), -1, 1, 8);
  const lo = Math.max(mLo * mLo, model.q2Range[0]);
  const hi = Math.min(mHi * mHi, model.q2Range[1]);
  return hi > lo ? integrateQ2(model, dens, lo, hi) : 0;
}

const LIGHT = idmdhMasses(0.5, 0.5);

describe("production e+e- -> A'(*) h'", () => {
  it("puts the h' on its energy line and the mu mu recoil mass at m_A' (on shell, light example)", () => {
    const model = signalModel(LIGHT);
    expect(model.onShell).toBe(true);
    const { mAprime: M, mHprime: mh } = LIGHT;
    const s = SQRT_S * SQRT_S;
    const line = (s + mh * mh - M * M) / (2 * SQRT_S);
    // The issue's number for (0.5, 0.5): E_h' = 5.11 GeV in the CM frame.
    expect(line).toBeCloseTo(5.114, 3);
    const energies: number[] = [];
    const recoil: number[] = [];
    generate(model, 40_000, 3, (ev) => {
      energies.push(ev.E[H]);
      const rec = mass([SQRT_S - ev.E[H], -ev.px[H], -ev.py[H], -ev.pz[H]]);
      // The recoil mass of the h' is the chi1 chi2 mass of the event, exactly.
      expect(rec).toBeCloseTo(mass(add(vec(ev, CHI1), vec(ev, CHI2))), 9);
      recoil.push(rec);
    });
    energies.sort((a, b) => a - b);
    // Median on the line to a fraction of the Breit-Wigner half width in energy (M Gamma / sqrt(s)).
    const halfWidthE = (M * model.aprimeWidth) / SQRT_S;
    expect(Math.abs(energies[energies.length >> 1] - line)).toBeLessThan(0.2 * halfWidthE);
    // Recoil mass histogram against the closed form over M +- 6 Gamma (and the tails in two bins).
    const G = model.aprimeWidth;
    const edges = [
      Math.sqrt(model.q2Range[0]),
      ...Array.from({ length: 25 }, (_, k) => M - 6 * G + (12 * G * k) / 24),
      Math.sqrt(model.q2Range[1]),
    ];
    const counts = edges.slice(1).map((hi, k) => recoil.filter((r) => r >= edges[k] && r < hi).length);
    const probabilities = edges.slice(1).map((hi, k) => recoilProbability(model, edges[k], hi));
    expect(chi2PerDof(counts, probabilities)).toBeLessThan(1.8);
    // The old phase-space signal would fail this: most events within a few widths of m_A'.
    expect(recoil.filter((r) => Math.abs(r - M) < 3 * G).length / recoil.length).toBeGreaterThan(0.7);
  });

  for (const [mChi1, mHprime] of [
    [2.5, 2.5],
    [3, 0.5],
    [2.5, 0.5],
  ] as const) {
    it(`follows the closed-form recoil-mass spectrum at (m_chi1, m_h') = (${mChi1}, ${mHprime})`, () => {
      const model = signalModel(idmdhMasses(mChi1, mHprime));
      expect(model.onShell).toBe(4 * mChi1 + mHprime < SQRT_S);
      const recoil: number[] = [];
      generate(model, 30_000, 4, (ev) => recoil.push(mass([SQRT_S - ev.E[H], -ev.px[H], -ev.py[H], -ev.pz[H]])));
      const lo = Math.sqrt(model.q2Range[0]);
      const hi = Math.sqrt(model.q2Range[1]);
      const bins = 30;
      const counts = histogram(recoil, lo, hi, bins);
      const probabilities = counts.map((_, k) => recoilProbability(model, lo + ((hi - lo) * k) / bins, lo + ((hi - lo) * (k + 1)) / bins));
      expect(chi2PerDof(counts, probabilities)).toBeLessThan(1.8);
      for (const r of recoil) {
        expect(r).toBeGreaterThan(lo);
        expect(r).toBeLessThan(hi);
      }
    });
  }

  for (const [mChi1, mHprime] of [
    [0.5, 0.5],
    [2.5, 2.5],
  ] as const) {
    it(`has the production angle of a vector radiating a scalar at (${mChi1}, ${mHprime})`, () => {
      const m = idmdhMasses(mChi1, mHprime);
      const model = signalModel(m);
      const cosines: number[] = [];
      generate(model, 40_000, 5, (ev) => cosines.push(-ev.pz[H] / Math.hypot(ev.px[H], ev.py[H], ev.pz[H])));
      const bins = 20;
      const counts = histogram(cosines, -1, 1, bins);
      const q2Density = (c: number) =>
        integrateQ2(model, (q2) => productionDensity(q2, c, m, SQRT_S, model.aprimeWidth), model.q2Range[0], model.q2Range[1], 1024);
      const probabilities = counts.map((_, k) => simpson(q2Density, -1 + (2 * k) / bins, -1 + (2 * (k + 1)) / bins, 4));
      expect(chi2PerDof(counts, probabilities)).toBeLessThan(1.8);
      if (model.onShell) {
        // On shell the Higgs-strahlung form p^2 sin^2 theta + 2 M^2 at q2 = M^2.
        const p = Math.sqrt(kallen(SQRT_S ** 2, m.mAprime ** 2, m.mHprime ** 2)) / (2 * SQRT_S);
        const strahlung = counts.map((_, k) =>
          simpson((c) => p * p * (1 - c * c) + 2 * m.mAprime ** 2, -1 + (2 * k) / bins, -1 + (2 * (k + 1)) / bins, 4),
        );
        expect(chi2PerDof(counts, strahlung)).toBeLessThan(1.8);
        // ... which is not flat: the central bins hold more than the forward ones.
        expect(counts[bins / 2] / counts[0]).toBeGreaterThan(1.3);
      }
    });
  }
});

describe("chi2 -> chi1 e+ e- through an off-shell A'", () => {
  for (const [mChi1, mHprime] of [
    [0.5, 0.5],
    [3, 0.5],
  ] as const) {
    it(`has the closed-form m_ee spectrum below its endpoint m_chi2 - m_chi1 at (${mChi1}, ${mHprime})`, () => {
      const m = idmdhMasses(mChi1, mHprime);
      const model = signalModel(m);
      const endpoint = m.mChi2 - m.mChi1;
      const masses: number[] = [];
      generate(model, 40_000, 6, (ev) => masses.push(mass(add(vec(ev, E_MINUS), vec(ev, E_PLUS)))));
      for (const x of masses) expect(x).toBeLessThanOrEqual(endpoint + 1e-9);
      const bins = 25;
      const counts = histogram(masses, 0, endpoint, bins);
      const probabilities = counts.map((_, k) =>
        simpson((x) => 2 * x * chi2DecayDensity(x * x, m, MASS.electron), (endpoint * k) / bins, (endpoint * (k + 1)) / bins, 16),
      );
      expect(chi2PerDof(counts, probabilities)).toBeLessThan(1.8);
      // The spectrum reaches its endpoint, where it vanishes like (m_chi2 - m_chi1 - m_ee)^(3/2).
      expect(Math.max(...masses)).toBeGreaterThan(0.9 * endpoint);
      expect(counts[bins - 1]).toBeLessThan(counts[bins >> 1] / 5);
    });
  }

  it('gives the lepton the angle 1 - kappa cos^2 to the chi1 in the e e rest frame', () => {
    const model = signalModel(LIGHT);
    const cosines: number[] = [];
    const q2s: number[] = [];
    generate(model, 40_000, 7, (ev) => {
      const pair = add(vec(ev, E_MINUS), vec(ev, E_PLUS));
      const e = restFrame(vec(ev, E_MINUS), pair);
      const chi = restFrame(vec(ev, CHI1_DECAY), pair);
      cosines.push((e[1] * chi[1] + e[2] * chi[2] + e[3] * chi[3]) / (Math.hypot(e[1], e[2], e[3]) * Math.hypot(chi[1], chi[2], chi[3])));
      q2s.push(dot(pair, pair));
    });
    const bins = 20;
    const counts = histogram(cosines, -1, 1, bins);
    // Expected: the conditional (1 - kappa c^2) / (2 - 2 kappa / 3) averaged over the generated q2.
    const probabilities = counts.map((_, k) => {
      const [lo, hi] = [-1 + (2 * k) / bins, -1 + (2 * (k + 1)) / bins];
      let p = 0;
      for (const q2 of q2s) {
        const kappa = leptonAngleKappa(q2, LIGHT, MASS.electron);
        p += (hi - lo - (kappa * (hi ** 3 - lo ** 3)) / 3) / (2 - (2 * kappa) / 3);
      }
      return p;
    });
    expect(chi2PerDof(counts, probabilities)).toBeLessThan(1.8);
    // Leptons avoid the chi1 axis: fewer at |cos| ~ 1 than at 0.
    expect(counts[0] + counts[bins - 1]).toBeLessThan(0.85 * (counts[bins / 2 - 1] + counts[bins / 2]));
  });

  it('agrees with uniform phase space reweighted by the traced matrix element (independent of the derivation)', () => {
    const m = idmdhMasses(1, 0.5);
    const { mChi1: m1, mChi2: m2, mAprime: M } = m;
    const me = MASS.electron;
    // Reference: chi2 at rest -> chi1 e- e+ uniform in phase space, weight |M|^2 from the traces
    // Tr[(b+m2) g^mu (a+m1) g^nu] Tr[(k1+me) g_mu (k2-me) g_nu] / (q2 - M^2)^2.
    const ev = new Particles();
    const rng = Rng.fromSeed(8);
    const bins = 20;
    const endpoint = m2 - m1;
    const refMass = new Array<number>(bins).fill(0);
    const refCos = new Array<number>(bins).fill(0);
    for (let k = 0; k < 200_000; k++) {
      ev.clear();
      const parent = ev.add(Kind.Resonance, m2, 0);
      const chi = ev.add(Kind.Chi1, m1, 0);
      ev.add(Kind.Electron, me, -1);
      ev.add(Kind.Electron, me, 1);
      phaseSpaceDecay(ev, parent, chi, 3, rng);
      const a = vec(ev, chi);
      const b = vec(ev, parent);
      const k1 = vec(ev, chi + 1);
      const k2 = vec(ev, chi + 2);
      const X = dot(a, b) - m1 * m2;
      const Y = dot(k1, k2) + me * me;
      const pair = add(k1, k2);
      const q2 = dot(pair, pair);
      const w =
        (2 * (dot(a, k1) * dot(b, k2) + dot(a, k2) * dot(b, k1)) - 2 * dot(a, b) * Y - 2 * X * dot(k1, k2) + 4 * X * Y) / (q2 - M * M) ** 2;
      expect(w).toBeGreaterThanOrEqual(-1e-12);
      const e = restFrame(k1, pair);
      const c = restFrame(a, pair);
      const cos = (e[1] * c[1] + e[2] * c[2] + e[3] * c[3]) / (Math.hypot(e[1], e[2], e[3]) * Math.hypot(c[1], c[2], c[3]));
      refMass[Math.min(bins - 1, Math.floor((Math.sqrt(q2) / endpoint) * bins))] += w;
      refCos[Math.min(bins - 1, Math.floor(((cos + 1) / 2) * bins))] += w;
    }
    const masses: number[] = [];
    const cosines: number[] = [];
    generate(signalModel(m), 40_000, 9, (evt) => {
      const pair = add(vec(evt, E_MINUS), vec(evt, E_PLUS));
      masses.push(mass(pair));
      const e = restFrame(vec(evt, E_MINUS), pair);
      const c = restFrame(vec(evt, CHI1_DECAY), pair);
      cosines.push((e[1] * c[1] + e[2] * c[2] + e[3] * c[3]) / (Math.hypot(e[1], e[2], e[3]) * Math.hypot(c[1], c[2], c[3])));
    });
    // The reference has its own (small) statistical error; the bound leaves room for it.
    expect(chi2PerDof(histogram(masses, 0, endpoint, bins), refMass)).toBeLessThan(2.5);
    expect(chi2PerDof(histogram(cosines, -1, 1, bins), refCos)).toBeLessThan(2.5);
  });

  it('reproduces the known small-splitting width 4 eps^2 alpha alpha_D Delta^5 / (15 pi m_A^4)', () => {
    const m: IdmdhMasses = { mChi1: 1, mChi2: 1.02, mHprime: 0.5, mAprime: 4 };
    const limit = (4 * EPSILON ** 2 * ALPHA * ALPHA_D * 0.02 ** 5) / (15 * Math.PI * 4 ** 4);
    expect(chi2PartialWidth(m, 1e-6) / limit).toBeCloseTo(1, 1);
    expect(Math.abs(chi2PartialWidth(m, 1e-6) / limit - 1)).toBeLessThan(0.03);
  });

  it("gives the A' width its known limits: alpha_D M / 3 for massless, (1 + 2m^2/M^2) beta alpha_D M / 3 for equal masses", () => {
    expect(aprimeWidth(4, 0, 0)).toBeCloseTo((ALPHA_D * 2) / 3, 12);
    const [M, mm] = [2, 0.6];
    expect(aprimeWidth(M * M, mm, mm)).toBeCloseTo(
      ((ALPHA_D * M) / 3) * (1 + (2 * mm * mm) / (M * M)) * Math.sqrt(1 - (4 * mm * mm) / (M * M)),
      12,
    );
    expect(aprimeWidth(4, 1.2, 1.0)).toBe(0);
  });

  it('displaces the chi2 decay by an exponential proper length with the mean c tau = hbar c / Gamma', () => {
    const m = idmdhMasses(0.25, 0.25);
    const model = signalModel(m);
    expect(model.chi2CTau).toBeCloseTo(1.973269804e-14 / (chi2PartialWidth(m, MASS.electron) + chi2PartialWidth(m, MASS.muon)), 12);
    const proper: number[] = [];
    generate(model, 20_000, 10, (ev) => {
      // Lab flight of the chi2 (its daughters' vertex) over its lab beta gamma = p_lab / m.
      const pLab = Math.hypot(ev.px[CHI2], ev.py[CHI2], labPz(ev.E[CHI2], ev.pz[CHI2]));
      proper.push((Math.hypot(ev.vx[E_MINUS], ev.vy[E_MINUS], ev.vz[E_MINUS]) * m.mChi2) / pLab);
      expect(ev.vx[E_MINUS]).toBe(ev.vx[E_PLUS]);
      expect(ev.vx[CHI1_DECAY]).toBe(ev.vx[E_MINUS]);
    });
    const mean = proper.reduce((s, x) => s + x, 0) / proper.length;
    // Exponential: the mean is c tau (statistical error c tau / sqrt(n)), and exp(-2) of the events are beyond 2 c tau.
    expect(Math.abs(mean / model.chi2CTau - 1)).toBeLessThan(4 / Math.sqrt(proper.length));
    const beyond = proper.filter((x) => x > 2 * model.chi2CTau).length / proper.length;
    expect(Math.abs(beyond - Math.exp(-2))).toBeLessThan(0.01);
  });
});

describe('the grid of thesis Table 4.2', () => {
  it("puts the A' on shell exactly where m_A' + m_h' < sqrt(s), and generates every open point within its envelope", () => {
    const masses = [0.25, 0.5, 1, 1.5, 2, 2.5, 3];
    let open = 0;
    for (const mChi1 of masses) {
      for (const mHprime of masses.filter((x) => x <= mChi1)) {
        const m = idmdhMasses(mChi1, mHprime);
        if (m.mChi1 + m.mChi2 + m.mHprime >= SQRT_S) continue;
        open++;
        const model = signalModel(m);
        expect(model.onShell, `(${mChi1}, ${mHprime})`).toBe(mChi1 <= 2 || (mChi1 === 2.5 && mHprime <= 0.5));
        // generateIdmdh throws if a weight ever exceeds the envelope of the survey.
        generate(model, 3000, 11, () => undefined);
      }
    }
    expect(open).toBe(25);
  });
});
