// The IDMDH signal of thesis Fig. 3.1 from its matrix elements (docs/generator.md, "Signal"):
// e+e- -> A'(*) -> A'(*) h' (the dark photon radiates the dark Higgs), A'(*) -> chi1 chi2 with
// the full spin correlation to the production, h' -> mu+ mu- (isotropic, a scalar), and
// chi2 -> chi1 e+ e- through an off-shell A' after a flight of its decay length.
import { idmdhMasses, isKinematicallyOpen, type IdmdhMasses, SQRT_S } from '../../core/idmdh.js';
import { UserError } from '../../core/errors.js';
import { aprimeWidth, breakupMomentum, chi2DecayDensity, chi2DecayDensityBound, chi2DecayLength, leptonAngleKappa } from './darksector.js';
import { around, boost, directionAround, displaceDaughters, phaseSpaceDecay } from './kinematics.js';
import { Kind, MASS, type Particles } from './particles.js';
import { Rng } from '../lib/rng.js';

/** Everything fixed by the mass point: widths, ranges and the sampling envelope. */
export interface SignalModel {
  masses: IdmdhMasses;
  sqrtS: number;
  /** Gamma(A' -> chi1 chi2) at the pole, GeV. */
  aprimeWidth: number;
  /** Whether A' h' can be produced on the A' mass shell (m_A' + m_h' < sqrt(s)). */
  onShell: boolean;
  /** Range of q2 = m(chi1 chi2)^2 and its Breit-Wigner mapping (arctan bounds). */
  q2Range: [number, number];
  bwRange: [number, number];
  /** Upper bound of the production weight (see productionWeight). */
  weightMax: number;
  /** Bound of d Gamma(chi2 -> chi1 e e)/dq2 over q2. */
  eeDensityMax: number;
  /** Proper decay length of the chi2, cm. */
  chi2CTau: number;
}

export function checkMassPoint(sample: string, mChi1: number | undefined, mHprime: number | undefined): SignalModel {
  if (mChi1 === undefined || mHprime === undefined || !(mChi1 > 0) || !(mHprime > 0)) {
    throw new UserError(`signal sample ${sample}: needs positive m_chi1 and m_hprime (GeV) to generate IDMDH events.`);
  }
  const m = idmdhMasses(mChi1, mHprime);
  if (!isKinematicallyOpen(mChi1, mHprime) || m.mChi1 + m.mChi2 + m.mHprime >= SQRT_S) {
    throw new UserError(
      `signal sample ${sample}: the mass point m_chi1 = ${mChi1}, m_hprime = ${mHprime} GeV cannot be produced at ` +
        `sqrt(s) = ${SQRT_S.toFixed(2)} GeV: m_chi1 + m_chi2 + m_hprime = ${(m.mChi1 + m.mChi2 + m.mHprime).toFixed(2)} GeV ` +
        `(m_chi2 = ${m.mChi2.toFixed(2)} GeV from Eq. 3.3; thesis Eq. 3.7 requires less than sqrt(s); h' -> mu mu needs m_hprime > 0.21 GeV). ` +
        `Leave the point out of samples.signal (its grid or its where condition).`,
    );
  }
  return signalModel(m);
}

const models = new Map<string, SignalModel>();

/** The model of one mass point (cached: the envelope survey takes a few milliseconds). */
export function signalModel(m: IdmdhMasses, sqrtS = SQRT_S): SignalModel {
  const key = `${m.mChi1}/${m.mChi2}/${m.mHprime}/${m.mAprime}/${sqrtS}`;
  const cached = models.get(key);
  if (cached) return cached;
  const M2 = m.mAprime * m.mAprime;
  const width = aprimeWidth(M2, m.mChi1, m.mChi2);
  const q2Range: [number, number] = [(m.mChi1 + m.mChi2) ** 2, (sqrtS - m.mHprime) ** 2];
  const mg = m.mAprime * width;
  const model: SignalModel = {
    masses: m,
    sqrtS,
    aprimeWidth: width,
    onShell: m.mAprime + m.mHprime < sqrtS,
    q2Range,
    bwRange: [Math.atan((q2Range[0] - M2) / mg), Math.atan((q2Range[1] - M2) / mg)],
    weightMax: 0,
    eeDensityMax: chi2DecayDensityBound(m),
    chi2CTau: chi2DecayLength(m),
  };
  // Survey of the production weight with its own random stream (the event stream is not touched).
  const survey = Rng.fromSeed(0x5eed);
  let max = 0;
  for (let k = 0; k < 40_000; k++) max = Math.max(max, drawProduction(model, survey));
  model.weightMax = 1.5 * max;
  models.set(key, model);
  return model;
}

// Scratch of the last production draw (no allocation per event).
const prod = { q2: 0, ph: 0, ux: 0, uy: 0, uz: 0, a: new Float64Array(4), b: new Float64Array(4) };

/**
 * Draws q2 from the A' Breit-Wigner, the A' direction and the chi direction in the A' frame
 * uniformly, fills `prod`, and returns the weight p_h p_chi / sqrt(q2) * N, where N is the
 * squared matrix element without the propagator (which the q2 sampling carries):
 *   N = 2 [(R'.a)(R'.b) + (I'.a)(I'.b)] - (R'.R' + I'.I')(a.b + m1 m2),
 * R' = x^ + (q_x / M^2) q and I' = y^ + (q_y / M^2) q the beam helicity currents
 * (0, 1, +-i, 0) projected by the numerator g - q q / M^2 of the A' propagator,
 * a (chi1) and b (chi2) in the CM frame.
 */
function drawProduction(model: SignalModel, rng: Rng): number {
  const { mChi1: m1, mChi2: m2, mHprime: mh, mAprime: M } = model.masses;
  const M2 = M * M;
  const t = model.bwRange[0] + (model.bwRange[1] - model.bwRange[0]) * rng.uniform();
  const q2 = M2 + M * model.aprimeWidth * Math.tan(t);
  const { q2Range } = model;
  if (!(q2 > q2Range[0] && q2 < q2Range[1])) return 0;
  const mq = Math.sqrt(q2);
  const ph = breakupMomentum(model.sqrtS * model.sqrtS, mq, mh);
  const pchi = breakupMomentum(q2, m1, m2);
  // A' direction in the CM frame, chi1 direction in the A' frame.
  const c = 2 * rng.uniform() - 1;
  const s = Math.sqrt(1 - c * c);
  const phi = 2 * Math.PI * rng.uniform();
  const ux = s * Math.cos(phi);
  const uy = s * Math.sin(phi);
  const uz = c;
  const cc = 2 * rng.uniform() - 1;
  const sc = Math.sqrt(1 - cc * cc);
  const pc = 2 * Math.PI * rng.uniform();
  const nx = sc * Math.cos(pc);
  const ny = sc * Math.sin(pc);
  const nz = cc;
  // chi1 (a) and chi2 (b) in the A' frame, then boosted with the A' velocity.
  const Eq = Math.sqrt(ph * ph + q2);
  const bx = (ph * ux) / Eq;
  const by = (ph * uy) / Eq;
  const bz = (ph * uz) / Eq;
  fourVector(prod.a, Math.sqrt(pchi * pchi + m1 * m1), pchi * nx, pchi * ny, pchi * nz, bx, by, bz);
  fourVector(prod.b, Math.sqrt(pchi * pchi + m2 * m2), -pchi * nx, -pchi * ny, -pchi * nz, bx, by, bz);
  const a = prod.a;
  const b = prod.b;
  const qx = ph * ux;
  const qy = ph * uy;
  const qz = ph * uz;
  // R' = (0, 1, 0, 0) + (q_x / M^2) q ; I' = (0, 0, 1, 0) + (q_y / M^2) q ; q = (Eq, qx, qy, qz).
  const rx = qx / M2;
  const iy = qy / M2;
  const R = [rx * Eq, 1 + rx * qx, rx * qy, rx * qz];
  const I = [iy * Eq, iy * qx, 1 + iy * qy, iy * qz];
  const dot = (u: ArrayLike<number>, v: ArrayLike<number>) => u[0] * v[0] - u[1] * v[1] - u[2] * v[2] - u[3] * v[3];
  const N = 2 * (dot(R, a) * dot(R, b) + dot(I, a) * dot(I, b)) - (dot(R, R) + dot(I, I)) * (dot(a, b) + m1 * m2);
  prod.q2 = q2;
  prod.ph = ph;
  prod.ux = ux;
  prod.uy = uy;
  prod.uz = uz;
  return (ph * pchi * N) / mq;
}

/** (E, px, py, pz) boosted by (bx, by, bz), written into out. */
function fourVector(out: Float64Array, E: number, px: number, py: number, pz: number, bx: number, by: number, bz: number): void {
  const b2 = bx * bx + by * by + bz * bz;
  const gamma = 1 / Math.sqrt(1 - b2);
  const bp = bx * px + by * py + bz * pz;
  const k = b2 > 0 ? ((gamma - 1) * bp) / b2 + gamma * E : 0;
  out[0] = gamma * (E + bp);
  out[1] = px + k * bx;
  out[2] = py + k * by;
  out[3] = pz + k * bz;
}

/** Fills `ev` with one signal event in the CM frame (chi2 daughters displaced by its flight). */
export function generateIdmdh(ev: Particles, model: SignalModel, rng: Rng): void {
  const m = model.masses;
  for (;;) {
    const w = drawProduction(model, rng);
    if (w > model.weightMax) {
      throw new Error(`IDMDH (${m.mChi1}, ${m.mHprime}): production weight ${w} above its envelope ${model.weightMax}`);
    }
    if (rng.uniform() * model.weightMax < w) break;
  }
  ev.clear();
  const hprime = ev.add(Kind.Resonance, m.mHprime, 0);
  ev.set(hprime, -prod.ph * prod.ux, -prod.ph * prod.uy, -prod.ph * prod.uz);
  const chi1 = ev.add(Kind.Chi1, m.mChi1, 0);
  ev.set(chi1, prod.a[1], prod.a[2], prod.a[3]);
  const chi2 = ev.add(Kind.Resonance, m.mChi2, 0);
  ev.set(chi2, prod.b[1], prod.b[2], prod.b[3]);
  // h' -> mu+ mu-: a scalar decays isotropically.
  const mu = ev.add(Kind.Muon, MASS.muon, -1);
  ev.add(Kind.Muon, MASS.muon, 1);
  phaseSpaceDecay(ev, hprime, mu, 2, rng);
  decayChi2(ev, chi2, model, rng);
}

/** chi2 -> chi1 A'* (-> e+ e-): m_ee from its density, the lepton angle from 1 - kappa cos^2. */
function decayChi2(ev: Particles, chi2: number, model: SignalModel, rng: Rng): void {
  const m = model.masses;
  const lo = 4 * MASS.electron * MASS.electron;
  const hi = (m.mChi2 - m.mChi1) ** 2;
  let q2: number;
  do q2 = lo + (hi - lo) * rng.uniform();
  while (rng.uniform() * model.eeDensityMax >= chi2DecayDensity(q2, m, MASS.electron));
  const chi1 = ev.add(Kind.Chi1, m.mChi1, 0);
  const virtual = ev.add(Kind.Resonance, Math.sqrt(q2), 0);
  phaseSpaceDecay(ev, chi2, chi1, 2, rng);
  // Flight of the chi2 before it decays: its daughters start at the displaced vertex.
  displaceDaughters(ev, chi2, model.chi2CTau, chi1, 2, rng);
  // Axis: the chi1 direction in the rest frame of the pair.
  const E = ev.E[virtual];
  const vx = ev.px[virtual] / E;
  const vy = ev.py[virtual] / E;
  const vz = ev.pz[virtual] / E;
  fourVector(prod.a, ev.E[chi1], ev.px[chi1], ev.py[chi1], ev.pz[chi1], -vx, -vy, -vz);
  const norm = Math.hypot(prod.a[1], prod.a[2], prod.a[3]);
  const zx = prod.a[1] / norm;
  const zy = prod.a[2] / norm;
  const zz = prod.a[3] / norm;
  const kappa = leptonAngleKappa(q2, m, MASS.electron);
  let c: number;
  do c = 2 * rng.uniform() - 1;
  while (rng.uniform() >= 1 - kappa * c * c);
  directionAround(rng, zx, zy, zz, c);
  const [dx, dy, dz] = [around.x, around.y, around.z];
  const p = breakupMomentum(q2, MASS.electron, MASS.electron);
  const eMinus = ev.add(Kind.Electron, MASS.electron, -1);
  const ePlus = ev.add(Kind.Electron, MASS.electron, 1);
  ev.set(eMinus, p * dx, p * dy, p * dz);
  ev.set(ePlus, -p * dx, -p * dy, -p * dz);
  ev.decayed[virtual] = 1;
  for (const k of [eMinus, ePlus]) {
    boost(ev, k, vx, vy, vz);
    ev.vx[k] = ev.vx[virtual];
    ev.vy[k] = ev.vy[virtual];
    ev.vz[k] = ev.vz[virtual];
  }
}
