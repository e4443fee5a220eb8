// Beam, boosts and phase-space decays. Physics is generated in the e+e- CM frame; the
// detector works in the lab, where the CM moves along +z (the 7 GeV electron direction).
import { E_ELECTRON_BEAM, E_POSITRON_BEAM, SQRT_S } from '../../core/idmdh.js';
import type { Rng } from '../lib/rng.js';
import { Kind, type Particles } from './particles.js';

/** Velocity and Lorentz factor of the CM frame in the lab. */
export const BETA_CM = (E_ELECTRON_BEAM - E_POSITRON_BEAM) / (E_ELECTRON_BEAM + E_POSITRON_BEAM);
export const GAMMA_CM = (E_ELECTRON_BEAM + E_POSITRON_BEAM) / SQRT_S;

/** Momentum of either daughter in a two-body decay M -> m1 m2 (0 when closed). */
export function twoBodyMomentum(M: number, m1: number, m2: number): number {
  const a = (M * M - (m1 + m2) * (m1 + m2)) * (M * M - (m1 - m2) * (m1 - m2));
  return a > 0 ? Math.sqrt(a) / (2 * M) : 0;
}

/** Mass of a Breit-Wigner resonance, resampled until inside [lo, hi]. */
export function breitWigner(rng: Rng, mass: number, width: number, lo: number, hi: number): number {
  for (;;) {
    const m = mass + 0.5 * width * Math.tan(Math.PI * (rng.uniform() - 0.5));
    if (m > lo && m < hi) return m;
  }
}

// Scratch direction written by randomDirection (no allocation per call).
let dirX = 0;
let dirY = 0;
let dirZ = 1;

function randomDirection(rng: Rng, cosTheta = 2 * rng.uniform() - 1): void {
  const sinTheta = Math.sqrt(Math.max(0, 1 - cosTheta * cosTheta));
  const phi = 2 * Math.PI * rng.uniform();
  dirX = sinTheta * Math.cos(phi);
  dirY = sinTheta * Math.sin(phi);
  dirZ = cosTheta;
}

// Scratch direction written by directionAround (no allocation per call).
export const around = { x: 0, y: 0, z: 1 };

/** Writes into `around` a unit vector at cos(theta) to the unit axis (zx, zy, zz), azimuth uniform. */
export function directionAround(rng: Rng, zx: number, zy: number, zz: number, cosTheta: number): void {
  // An orthonormal frame (x', y', z) around the axis.
  const ax = Math.abs(zx) < 0.9 ? 1 : 0;
  const ay = 1 - ax;
  let xx = ay * zz;
  let xy = -ax * zz;
  let xz = ax * zy - ay * zx;
  const xn = Math.hypot(xx, xy, xz);
  xx /= xn;
  xy /= xn;
  xz /= xn;
  const yx = zy * xz - zz * xy;
  const yy = zz * xx - zx * xz;
  const yz = zx * xy - zy * xx;
  const s = Math.sqrt(Math.max(0, 1 - cosTheta * cosTheta));
  const phi = 2 * Math.PI * rng.uniform();
  const c = Math.cos(phi);
  const sn = Math.sin(phi);
  around.x = s * c * xx + s * sn * yx + cosTheta * zx;
  around.y = s * c * xy + s * sn * yy + cosTheta * zy;
  around.z = s * c * xz + s * sn * yz + cosTheta * zz;
}

/**
 * Two-body decay of `parent` into first, first+1 (masses set) with the first daughter at
 * cos(theta*) to the parent's flight direction in the parent's rest frame.
 */
export function decayAlongFlight(ev: Particles, parent: number, first: number, cosTheta: number, rng: Rng): void {
  const p = Math.hypot(ev.px[parent], ev.py[parent], ev.pz[parent]);
  const [zx, zy, zz] = p > 0 ? [ev.px[parent] / p, ev.py[parent] / p, ev.pz[parent] / p] : [0, 0, 1];
  directionAround(rng, zx, zy, zz, cosTheta);
  const k = twoBodyMomentum(ev.m[parent], ev.m[first], ev.m[first + 1]);
  ev.set(first, k * around.x, k * around.y, k * around.z);
  ev.set(first + 1, -k * around.x, -k * around.y, -k * around.z);
  ev.decayed[parent] = 1;
  const E = ev.E[parent];
  for (const d of [first, first + 1]) {
    boost(ev, d, ev.px[parent] / E, ev.py[parent] / E, ev.pz[parent] / E);
    ev.vx[d] = ev.vx[parent];
    ev.vy[d] = ev.vy[parent];
    ev.vz[d] = ev.vz[parent];
  }
}

/** Boosts particle i by velocity (bx, by, bz). */
export function boost(ev: Particles, i: number, bx: number, by: number, bz: number): void {
  const b2 = bx * bx + by * by + bz * bz;
  if (b2 <= 0) return;
  const gamma = 1 / Math.sqrt(1 - b2);
  const bp = bx * ev.px[i] + by * ev.py[i] + bz * ev.pz[i];
  const k = ((gamma - 1) * bp) / b2 + gamma * ev.E[i];
  ev.px[i] += k * bx;
  ev.py[i] += k * by;
  ev.pz[i] += k * bz;
  ev.E[i] = gamma * (ev.E[i] + bp);
}

/** Gives particles i and j back-to-back momenta p along a random (or given cos theta) axis. */
export function backToBack(ev: Particles, i: number, j: number, p: number, rng: Rng, cosTheta?: number): void {
  randomDirection(rng, cosTheta);
  ev.set(i, p * dirX, p * dirY, p * dirZ);
  ev.set(j, -p * dirX, -p * dirY, -p * dirZ);
}

/**
 * Decays `parent` into the `count` particles already added at indices first..first+count-1
 * (their masses set), uniformly in n-body phase space (Raubold-Lynch with accept-reject
 * against the maximum weight), then boosts them into the parent's frame. A two-body decay
 * may be given the cos(theta) of the first daughter along z in the parent's rest frame.
 */
export function phaseSpaceDecay(ev: Particles, parent: number, first: number, count: number, rng: Rng, cosTheta?: number): void {
  const M = ev.m[parent];
  ev.decayed[parent] = 1;
  if (count === 2) {
    backToBack(ev, first, first + 1, twoBodyMomentum(M, ev.m[first], ev.m[first + 1]), rng, cosTheta);
  } else {
    nBody(ev, M, first, count, rng);
  }
  const E = ev.E[parent];
  const bx = ev.px[parent] / E;
  const by = ev.py[parent] / E;
  const bz = ev.pz[parent] / E;
  for (let k = first; k < first + count; k++) {
    boost(ev, k, bx, by, bz);
    ev.vx[k] = ev.vx[parent];
    ev.vy[k] = ev.vy[parent];
    ev.vz[k] = ev.vz[parent];
  }
}

/**
 * Decays `parent` into particles first..first+count-1 by successive isotropic two-body splits
 * into sub-clusters (a cluster-hadronisation picture): always accepted, so it stays fast for
 * the many-body final states of hadronic events, where phase-space accept-reject would not.
 */
export function clusterDecay(ev: Particles, parent: number, first: number, count: number, rng: Rng): void {
  if (count === 1) {
    ev.decayed[parent] = 1;
    ev.set(first, ev.px[parent], ev.py[parent], ev.pz[parent]);
    ev.vx[first] = ev.vx[parent];
    ev.vy[first] = ev.vy[parent];
    ev.vz[first] = ev.vz[parent];
    return;
  }
  const n1 = 1 + Math.floor(rng.uniform() * (count - 1));
  let min1 = 0;
  let min2 = 0;
  for (let k = 0; k < n1; k++) min1 += ev.m[first + k];
  for (let k = n1; k < count; k++) min2 += ev.m[first + k];
  const free = ev.m[parent] - min1 - min2;
  if (!(free > 0)) throw new Error(`cluster of mass ${ev.m[parent]} cannot make ${count} hadrons`);
  // Share the free energy among the two sub-clusters' internal motion and their relative motion.
  const u1 = rng.uniform();
  const u2 = rng.uniform();
  const lo = Math.min(u1, u2);
  const hi = Math.max(u1, u2);
  const c1 = ev.add(Kind.Resonance, n1 === 1 ? min1 : min1 + free * lo, 0);
  const c2 = ev.add(Kind.Resonance, count - n1 === 1 ? min2 : min2 + free * (hi - lo), 0);
  phaseSpaceDecay(ev, parent, c1, 2, rng);
  clusterDecay(ev, c1, first, n1, rng);
  clusterDecay(ev, c2, first + n1, count - n1, rng);
}

const MAX_BODIES = 24;
const subMass = new Float64Array(MAX_BODIES);
const pStep = new Float64Array(MAX_BODIES);
const sortedUniform = new Float64Array(MAX_BODIES);

function nBody(ev: Particles, M: number, first: number, count: number, rng: Rng): void {
  if (count > MAX_BODIES) throw new Error(`phase space for ${count} bodies`);
  let massSum = 0;
  for (let k = 0; k < count; k++) massSum += ev.m[first + k];
  const available = M - massSum;
  if (!(available > 0)) throw new Error(`decay of mass ${M} into ${count} bodies of total mass ${massSum} is closed`);
  // Upper bound of the weight: every intermediate mass at its largest possible value.
  let weightMax = 1;
  let lo = 0;
  let hi = available + ev.m[first];
  for (let k = 1; k < count; k++) {
    lo += ev.m[first + k - 1];
    hi += ev.m[first + k];
    weightMax *= twoBodyMomentum(hi, lo, ev.m[first + k]);
  }
  for (;;) {
    sortedUniform[0] = 0;
    for (let k = 1; k < count - 1; k++) {
      // insertion sort of count-2 uniforms
      const u = rng.uniform();
      let j = k;
      while (j > 1 && sortedUniform[j - 1] > u) {
        sortedUniform[j] = sortedUniform[j - 1];
        j--;
      }
      sortedUniform[j] = u;
    }
    sortedUniform[count - 1] = 1;
    let partial = 0;
    let weight = 1;
    for (let k = 0; k < count; k++) {
      partial += ev.m[first + k];
      subMass[k] = sortedUniform[k] * available + partial;
    }
    for (let k = 0; k < count - 1; k++) {
      pStep[k] = twoBodyMomentum(subMass[k + 1], subMass[k], ev.m[first + k + 1]);
      weight *= pStep[k];
    }
    if (rng.uniform() * weightMax <= weight) break;
  }
  // Build up: in the rest frame of subsystem k+1, subsystem k recoils against particle k+1.
  ev.set(first, 0, 0, 0);
  for (let k = 0; k < count - 1; k++) {
    randomDirection(rng);
    const p = pStep[k];
    const Esub = Math.sqrt(p * p + subMass[k] * subMass[k]);
    const bx = (p * dirX) / Esub;
    const by = (p * dirY) / Esub;
    const bz = (p * dirZ) / Esub;
    const dx = -dirX;
    const dy = -dirY;
    const dz = -dirZ;
    for (let j = first; j <= first + k; j++) boost(ev, j, bx, by, bz);
    ev.set(first + k + 1, p * dx, p * dy, p * dz);
  }
}

/** Lab four-momentum component helpers: the CM moves along +z with BETA_CM. */
export function labE(E: number, pz: number): number {
  return GAMMA_CM * (E + BETA_CM * pz);
}
export function labPz(E: number, pz: number): number {
  return GAMMA_CM * (pz + BETA_CM * E);
}
export function cmE(Elab: number, pzLab: number): number {
  return GAMMA_CM * (Elab - BETA_CM * pzLab);
}
export function cmPz(Elab: number, pzLab: number): number {
  return GAMMA_CM * (pzLab - BETA_CM * Elab);
}

/** Moves the production vertex of particles first..first+count-1 to where a long-lived parent decays. */
export function displaceDaughters(ev: Particles, parent: number, ctau: number, first: number, count: number, rng: Rng): void {
  const pz = labPz(ev.E[parent], ev.pz[parent]);
  const px = ev.px[parent];
  const py = ev.py[parent];
  // Flight length = (p / m) * c*tau * Exp(1); the direction is p / |p|, so x = p * ctau * Exp / m.
  const scale = (ctau * rng.exponential(1)) / ev.m[parent];
  for (let k = first; k < first + count; k++) {
    ev.vx[k] = ev.vx[parent] + px * scale;
    ev.vy[k] = ev.vy[parent] + py * scale;
    ev.vz[k] = ev.vz[parent] + pz * scale;
  }
}
