// The background processes of thesis Table 4.1: cross sections from its event counts, and
// for each a model of the final state in the CM frame. Where a process would need billions
// of events to produce a handful of candidates, the generator forces the rare ingredient
// and carries its probability in the weights (docs/generator.md lists each filter).
import { decayInto, decayShortLived, decayTau, tauProngs, TAU_MODES, type TauMode } from './decays.js';
import { conversionProbability } from './detector.js';
import { SQRT_S } from '../../core/idmdh.js';
import { backToBack, clusterDecay, decayAlongFlight, labPz, phaseSpaceDecay, twoBodyMomentum } from './kinematics.js';
import { Kind, MASS, type Particles } from './particles.js';
import type { Rng } from '../lib/rng.js';

export interface ProcessModel {
  /** Cross section in fb: Table 4.1 events / simulated luminosity. */
  crossSectionFb: number;
  /** Probability of the event class the generator is restricted to (multiplies every weight). */
  filterProbability: number;
  /** Force at least one beam-background track of each charge (weighted by its probability). */
  forceOverlayPair: boolean;
  /**
   * Draw the beam-background tracks half of the time from their natural distribution and half
   * of the time forced to at least one of each charge, weighted natural/mixture: for processes
   * where two overlaid tracks are a rare but heavy way to four tracks (importance sampling).
   */
  overlayMixture?: boolean;
  /**
   * How the weights are normalised: 'sum' (default) divides them by their sum (importance
   * weights averaging to one), 'count' by the number of events (weights that are the
   * probability of the forced part of the event).
   */
  normalise?: 'sum' | 'count';
  /**
   * Fills `ev` with one event and returns its importance weight (1 when sampled from the
   * physical distribution). An empty record means no candidate can come out of the event,
   * given the number of beam-background tracks of each charge that will be overlaid.
   */
  generate(ev: Particles, rng: Rng, overlayPos: number, overlayNeg: number): number;
}

/** Cross section in fb from a row of Table 4.1: millions of events over the simulated fb^-1. */
const tableCrossSection = (millionEvents: number, luminosityFb = 100) => (millionEvents * 1e6) / luminosityFb;

/** cos(theta) distributed as 1 + cos^2(theta) (s-channel fermion pairs). */
function cosOnePlusCos2(rng: Rng): number {
  for (;;) {
    const c = 2 * rng.uniform() - 1;
    if (2 * rng.uniform() < 1 + c * c) return c;
  }
}

/** Adds a photon collinear with a beam carrying energy k, and returns the recoiling system. */
function radiateIsr(ev: Particles, k: number, mass: number, rng: Rng): number {
  const sign = rng.uniform() < 0.5 ? 1 : -1;
  const photon = ev.add(Kind.Photon, 0, 0);
  ev.set(photon, 0, 0, sign * k);
  const system = ev.add(Kind.Resonance, mass, 0);
  ev.set(system, 0, 0, -sign * k);
  return system;
}

const ALPHA = 1 / 137.036;

/** ISR photon energy fraction x with density beta x^(beta-1) (soft-photon exponentiation). */
const ISR_BETA = (2 / 137.036 / Math.PI) * (Math.log((SQRT_S * SQRT_S) / (MASS.electron * MASS.electron)) - 1);
function isrFraction(rng: Rng, max: number): number {
  for (;;) {
    const x = Math.pow(rng.uniform(), 1 / ISR_BETA);
    if (x < max) return x;
  }
}

// ---------------------------------------------------------------- tau pairs

const tauPair: ProcessModel = {
  crossSectionFb: tableCrossSection(91.9),
  filterProbability: 1,
  forceOverlayPair: false,
  generate(ev, rng, overlayPos, overlayNeg) {
    ev.clear();
    const modeMinus = rng.pick(TAU_MODES) as TauMode;
    const modePlus = rng.pick(TAU_MODES) as TauMode;
    // A three-prong tau gives two tracks of its own charge and one of the other.
    const prongsMinus = tauProngs(modeMinus);
    const prongsPlus = tauProngs(modePlus);
    const negatives = (prongsMinus === 3 ? 2 : 1) + (prongsPlus === 3 ? 1 : 0) + overlayNeg;
    const positives = (prongsPlus === 3 ? 2 : 1) + (prongsMinus === 3 ? 1 : 0) + overlayPos;
    if (negatives < 2 || positives < 2) return 1;
    const tauMinus = ev.add(Kind.Tau, MASS.tau, -1);
    const tauPlus = ev.add(Kind.Tau, MASS.tau, 1);
    backToBack(ev, tauMinus, tauPlus, twoBodyMomentum(SQRT_S, MASS.tau, MASS.tau), rng, cosOnePlusCos2(rng));
    ev.decayed[tauMinus] = ev.decayed[tauPlus] = 1;
    decayTau(ev, tauMinus, modeMinus, rng);
    decayTau(ev, tauPlus, modePlus, rng);
    decayShortLived(ev, rng);
    return 1;
  },
};

// ---------------------------------------------------------------- two-lepton QED

/**
 * e+e- -> l+ l- (gamma) where a radiated photon converts into an e+ e- pair in the inner
 * detector: the way these two-track events reach four tracks. Every event carries ISR along
 * the beam (soft-photon exponentiation) and one hard photon at a finite angle, radiated in the
 * quasi-collinear approximation
 *   dN = (alpha / 2 pi) (1 + (1 - z)^2) / z dz  d theta^2 / (theta^2 + theta0^2),
 * z the photon's share of the radiator's energy (RADIATION_Z), theta its angle to the radiator,
 * theta0 = m / E: half of the events by either final lepton (FSR, theta in FSR_THETA; a
 * conversion pair closer to its lepton would share its hits), half by either beam (ISR, theta
 * from ISR_THETA_MIN to 90 degrees). The photon is forced to convert; the weight is the
 * probability of the emission in that region times that of the conversion at its angle, over
 * the probability (1/2) of the route.
 */
const RADIATION_Z = [0.02, 0.95] as const;
const FSR_THETA = [0.01, 1] as const;
const ISR_THETA_MIN = 0.2;
const RADIATION_Z_INTEGRAL =
  2 * Math.log(RADIATION_Z[1] / RADIATION_Z[0]) - 2 * (RADIATION_Z[1] - RADIATION_Z[0]) + (RADIATION_Z[1] ** 2 - RADIATION_Z[0] ** 2) / 2;

/** Photon energy share z from (1 + (1 - z)^2) / z on RADIATION_Z. */
function radiationShare(rng: Rng): number {
  let z: number;
  do z = RADIATION_Z[0] * Math.pow(RADIATION_Z[1] / RADIATION_Z[0], rng.uniform());
  while (2 * rng.uniform() >= 1 + (1 - z) ** 2);
  return z;
}

/** theta^2 from d theta^2 / (theta^2 + theta0^2) on [lo, hi]; `radiationSpan` keeps the log of the range. */
let radiationSpan = 0;
function radiationAngle2(rng: Rng, theta0: number, lo: number, hi: number): number {
  const a = lo * lo + theta0 * theta0;
  radiationSpan = Math.log((hi * hi + theta0 * theta0) / a);
  return a * Math.exp(radiationSpan * rng.uniform()) - theta0 * theta0;
}

function radiativeLeptonPair(lepton: Kind.Electron | Kind.Muon, millionEvents: number): ProcessModel {
  const mass = lepton === Kind.Electron ? MASS.electron : MASS.muon;
  const emission = (span: number) => 2 * (ALPHA / (2 * Math.PI)) * RADIATION_Z_INTEGRAL * span;
  /** The lepton pair from `system`: the electron (or mu-) at the angle of the process. */
  const pair = (ev: Particles, system: number, rng: Rng) => {
    const first = ev.add(lepton, mass, -1);
    ev.add(lepton, mass, 1);
    phaseSpaceDecay(ev, system, first, 2, rng, lepton === Kind.Muon ? cosOnePlusCos2(rng) : cosBhabha(rng));
  };
  return {
    crossSectionFb: tableCrossSection(millionEvents),
    filterProbability: 1,
    forceOverlayPair: false,
    normalise: 'count',
    generate(ev, rng) {
      for (;;) {
        ev.clear();
        const xIsr = isrFraction(rng, 0.9);
        const system = radiateIsr(ev, (xIsr * SQRT_S) / 2, SQRT_S * Math.sqrt(1 - xIsr), rng);
        const W = ev.m[system];
        const z = radiationShare(rng);
        let photon: number;
        let probability: number;
        if (rng.uniform() < 0.5) {
          // ISR at a finite angle, from either beam: system -> photon + lepton pair.
          const theta = Math.sqrt(radiationAngle2(rng, MASS.electron / (W / 2), ISR_THETA_MIN, Math.PI / 2));
          photon = ev.add(Kind.Photon, 0, 0);
          const rest = ev.add(Kind.Resonance, W * Math.sqrt(1 - z), 0);
          phaseSpaceDecay(ev, system, photon, 2, rng, (rng.uniform() < 0.5 ? 1 : -1) * Math.cos(theta));
          pair(ev, rest, rng);
          probability = emission(radiationSpan);
        } else {
          // FSR by either lepton: system -> lepton + X, X -> lepton + photon (z of the lepton energy).
          const El = W / 2;
          const theta0 = mass / El;
          const theta2 = radiationAngle2(rng, theta0, FSR_THETA[0], FSR_THETA[1]);
          const beta = Math.sqrt(1 - theta0 * theta0);
          const t = 2 * El * El * z * (1 - beta * Math.cos(Math.sqrt(theta2)));
          const mX = Math.sqrt(mass * mass + t);
          if (mX + mass >= W) continue;
          const charge = rng.uniform() < 0.5 ? -1 : 1;
          const X = ev.add(Kind.Resonance, mX, charge);
          ev.add(lepton, mass, -charge);
          // The angle is that of the electron (or mu-): for charge -1 the radiating one, X.
          const c = lepton === Kind.Muon ? cosOnePlusCos2(rng) : cosBhabha(rng);
          phaseSpaceDecay(ev, system, X, 2, rng, charge < 0 ? c : -c);
          photon = ev.add(Kind.Photon, 0, 0);
          ev.add(lepton, mass, charge);
          // Photon energy share z in the frame of the system: cos theta* along the X flight.
          const betaX = Math.hypot(ev.px[X], ev.py[X], ev.pz[X]) / ev.E[X];
          const cosStar = Math.max(-1, Math.min(1, ((2 * z * mX * mX) / (mX * mX - mass * mass) - 1) / betaX));
          decayAlongFlight(ev, X, photon, cosStar, rng);
          probability = emission(radiationSpan);
        }
        ev.convert[photon] = 1;
        const pzLab = labPz(ev.E[photon], ev.pz[photon]);
        const theta = Math.atan2(Math.hypot(ev.px[photon], ev.py[photon]), pzLab);
        return 2 * probability * conversionProbability(theta);
      }
    },
  };
}

/** Bhabha scattering angle of the electron, ((3 + c^2) / (1 - c))^2, restricted to 10-170 degrees. */
const BHABHA_T = [1 - Math.cos((170 * Math.PI) / 180), 1 - Math.cos((10 * Math.PI) / 180)] as const;
function cosBhabha(rng: Rng): number {
  for (;;) {
    // Sample t = 1 - c from 1/t^2, then accept with ((3 + c^2)/4)^2 <= 1.
    const inv = 1 / BHABHA_T[1] + rng.uniform() * (1 / BHABHA_T[0] - 1 / BHABHA_T[1]);
    const c = 1 - 1 / inv;
    const a = (3 + c * c) / 4;
    if (rng.uniform() < a * a) return c;
  }
}

// ---------------------------------------------------------------- two-photon processes

/**
 * e+e- -> e+e- X with X = e+e-, mu+mu- or pi+pi- from two photons. Each beam lepton radiates
 * a photon with energy fraction x (dx/x) and virtuality Q^2 ~ E^2 (1 - x) theta^2 + Q2_min; in
 * the equivalent-photon approximation the scattering angle follows dQ^2/Q^2 from
 * Q2_min = m_e^2 x^2 / (1 - x) on, cut off by a form factor (Lambda^2 / (Lambda^2 + Q^2))^2
 * where Q^2 exceeds the scale Lambda of the two-photon system (the rho pole of vector
 * dominance for pi+ pi-, the pair mass W for lepton pairs, estimated as x1 x2 s):
 *   n(theta^2) ~ 1 / (theta^2 + theta_min^2) * (b / (b + theta^2))^2,  b = Lambda^2 / (E^2 (1 - x)).
 * The beam leptons usually vanish down the beam pipe; most of
 * them are drawn instead from the same density restricted to the detector, with the weight
 * natural/mixture, so that tagged events (the ones that can give four tracks) are not
 * billions of events away.
 */
/** Spectator angles (CM, from its own beam) that can reach the 17-150 degree acceptance in the lab. */
const TAG_RANGE = [0.36, 2.75] as const;
const THETA_MAX2 = Math.PI * Math.PI;

let spectatorWeight = 1;
/** Share of spectators drawn from the density restricted to the detector. */
const TAG_SHARE = 0.6;

/**
 * Scattering angle of a beam lepton that radiated a photon of fraction x; lambda2 the
 * form-factor scale. A share 1 - TAG_SHARE from n over the whole range, TAG_SHARE from n
 * restricted to the detector (TAG_RANGE, by inverting its integral); the weight is
 * n / mixture: 1 / (1 - TAG_SHARE + TAG_SHARE / P_tag) inside the detector, 1 / (1 - TAG_SHARE) outside.
 */
function spectatorTheta(rng: Rng, x: number, eBeam: number, lambda2: number): number {
  const a = ((MASS.electron * x) / (eBeam * (1 - x))) ** 2;
  const b = lambda2 / (eBeam * eBeam * (1 - x));
  // Integral of n(t) = b^2 / ((t + a)(t + b)^2) from 0 to t (partial fractions).
  const primitive = (t: number) => b * b * (Math.log((t + a) / (t + b)) / (b - a) ** 2 + 1 / ((b - a) * (t + b)));
  const zero = primitive(0);
  const norm = primitive(THETA_MAX2) - zero;
  const [tLo, tHi] = [TAG_RANGE[0] ** 2, TAG_RANGE[1] ** 2];
  const fLo = primitive(tLo);
  const pTag = (primitive(tHi) - fLo) / norm;
  let t: number;
  if (rng.uniform() >= TAG_SHARE) {
    do t = a * Math.pow(1 + THETA_MAX2 / a, rng.uniform()) - a;
    while (rng.uniform() * (b + t) ** 2 >= b * b);
  } else {
    // Inverse of the integral inside the detector, by bisection in log t.
    const target = fLo + rng.uniform() * pTag * norm;
    let lo = Math.log(tLo);
    let hi = Math.log(tHi);
    for (let k = 0; k < 40; k++) {
      const mid = 0.5 * (lo + hi);
      if (primitive(Math.exp(mid)) < target) lo = mid;
      else hi = mid;
    }
    t = Math.exp(0.5 * (lo + hi));
  }
  spectatorWeight = t > tLo && t < tHi ? 1 / (1 - TAG_SHARE + TAG_SHARE / pTag) : 1 / (1 - TAG_SHARE);
  return Math.sqrt(t);
}

/**
 * Born cross section of gamma gamma -> X at mass W (up to a constant): Breit-Wheeler for lepton
 * pairs, scalar QED for pion pairs. The photon fluxes (dx/x) give many more hard photon pairs
 * than this 1/W^2 falloff lets through.
 */
export function gammaGammaCrossSection(w2: number, mass: number, scalar: boolean): number {
  const r = (4 * mass * mass) / w2;
  if (r >= 1) return 0;
  const beta = Math.sqrt(1 - r);
  const log = Math.log((1 + beta) / (1 - beta));
  if (scalar) return (beta * (2 - beta * beta) - ((1 - beta ** 4) / 2) * log) / w2;
  return ((1 + r - (r * r) / 2) * log - beta * (1 + r)) / w2;
}

function twoPhoton(x: Kind.Electron | Kind.Muon | Kind.Pion, millionEvents: number, minPairMass: number, lambda2: number): ProcessModel {
  const mass = x === Kind.Electron ? MASS.electron : x === Kind.Muon ? MASS.muon : MASS.pion;
  const eBeam = SQRT_S / 2;
  const xMin = 1e-3;
  const scalar = x === Kind.Pion;
  // The largest cross section above the pair-mass cut (the envelope of the accept-reject on W).
  let sigmaMax = 0;
  for (let k = 0; k <= 2000; k++) {
    const w = minPairMass + ((SQRT_S - minPairMass) * k) / 2000;
    sigmaMax = Math.max(sigmaMax, gammaGammaCrossSection(w * w, mass, scalar));
  }
  sigmaMax *= 1.01;
  return {
    crossSectionFb: tableCrossSection(millionEvents),
    filterProbability: 1,
    forceOverlayPair: false,
    overlayMixture: true,
    generate(ev, rng) {
      let weight = 1;
      for (;;) {
        ev.clear();
        // Photon energy fractions from the equivalent-photon spectrum dx/x.
        const x1 = Math.pow(xMin, rng.uniform());
        const x2 = Math.pow(xMin, rng.uniform());
        // gamma gamma -> X at the equivalent-photon mass W^2 = x1 x2 s (the exact mass is cut below).
        const w2Epa = x1 * x2 * SQRT_S * SQRT_S;
        if (w2Epa < minPairMass * minPairMass) continue;
        if (rng.uniform() * sigmaMax >= gammaGammaCrossSection(w2Epa, mass, scalar)) continue;
        const theta1 = spectatorTheta(rng, x1, eBeam, lambda2);
        weight = spectatorWeight;
        const theta2 = Math.PI - spectatorTheta(rng, x2, eBeam, lambda2);
        weight *= spectatorWeight;
        const eMinus = ev.add(Kind.Electron, MASS.electron, -1);
        const ePlus = ev.add(Kind.Electron, MASS.electron, 1);
        setDirection(ev, eMinus, (1 - x1) * eBeam, theta1, rng);
        setDirection(ev, ePlus, (1 - x2) * eBeam, theta2, rng);
        const E = SQRT_S - ev.E[eMinus] - ev.E[ePlus];
        const px = -ev.px[eMinus] - ev.px[ePlus];
        const py = -ev.py[eMinus] - ev.py[ePlus];
        const pz = -ev.pz[eMinus] - ev.pz[ePlus];
        const w2 = E * E - px * px - py * py - pz * pz;
        // Generator cut: no pair lighter than minPairMass (thesis Sec. 4.1 for four leptons).
        if (E <= 0 || w2 < minPairMass * minPairMass) continue;
        const system = ev.add(Kind.Resonance, Math.sqrt(w2), 0);
        ev.set(system, px, py, pz);
        const first = ev.add(x, mass, -1);
        ev.add(x, mass, 1);
        phaseSpaceDecay(ev, system, first, 2, rng);
        return weight;
      }
    },
  };
}

function setDirection(ev: Particles, i: number, p: number, theta: number, rng: Rng): void {
  const phi = 2 * Math.PI * rng.uniform();
  const s = Math.sin(theta);
  ev.set(i, p * s * Math.cos(phi), p * s * Math.sin(phi), p * Math.cos(theta));
}

// ---------------------------------------------------------------- four muons, K0 K0bar gamma

/** e+e- -> mu+ mu- gamma*, gamma* -> mu+ mu- with the virtual photon mass ~ dm/m. */
const fourMuons: ProcessModel = {
  crossSectionFb: tableCrossSection(0.3512, 2000),
  filterProbability: 1,
  forceOverlayPair: false,
  generate(ev, rng) {
    ev.clear();
    const beam = ev.add(Kind.Resonance, SQRT_S, 0);
    const mu = ev.add(Kind.Muon, MASS.muon, -1);
    ev.add(Kind.Muon, MASS.muon, 1);
    const lo = 2 * MASS.muon + 1e-3;
    const virtual = ev.add(Kind.Resonance, lo * Math.pow(5 / lo, rng.uniform()), 0);
    phaseSpaceDecay(ev, beam, mu, 3, rng);
    decayInto(ev, virtual, rng, Kind.Muon, MASS.muon, -1, Kind.Muon, MASS.muon, 1);
    return 1;
  },
};

/** e+e- -> K_S K_L (gamma): radiative return to K K masses of 1-3 GeV; only K_S -> pi pi gives tracks. */
const kShortKLong: ProcessModel = {
  crossSectionFb: tableCrossSection(0.8864, 1000),
  filterProbability: 1,
  forceOverlayPair: true,
  generate(ev, rng) {
    ev.clear();
    const lo = 2 * MASS.k0 + 0.005;
    const w = lo / (1 - rng.uniform() * (1 - lo / 3)); // density ~ 1/w^2 on [lo, 3]
    const k = (SQRT_S * SQRT_S - w * w) / (2 * SQRT_S);
    const system = radiateIsr(ev, k, w, rng);
    const kShort = ev.add(Kind.KShort, MASS.k0, 0);
    ev.add(Kind.NeutralHadron, MASS.k0, 0);
    phaseSpaceDecay(ev, system, kShort, 2, rng);
    decayShortLived(ev, rng);
    return 1;
  },
};

// ---------------------------------------------------------------- hadronic events

interface HadronicSpec {
  millionEvents: number;
  /** P(four charged tracks) in this process: the generator makes only such events. */
  fourProngProbability: number;
  kaonFraction: number;
  pi0Mean: number;
  neutralHadronMean: number;
  /** Probability per heavy hadron of a semileptonic decay (a lepton and a neutrino). */
  semileptonic: number;
}

/**
 * Continuum q qbar: two back-to-back jets (1 + cos^2 theta), each a cluster that splits
 * into its hadrons. Restricted to exactly four charged particles (the only
 * multiplicity that survives "no extra tracks"); the weight carries P(n_ch = 4).
 */
function continuum(spec: HadronicSpec, jetKinetic: number): ProcessModel {
  return {
    crossSectionFb: tableCrossSection(spec.millionEvents),
    filterProbability: spec.fourProngProbability,
    forceOverlayPair: false,
    generate(ev, rng) {
      for (;;) {
        ev.clear();
        const jets = [ev.add(Kind.Resonance, 0, 0), ev.add(Kind.Resonance, 0, 0)];
        const firstHadron = ev.n;
        addHadrons(ev, rng, spec, 4, 2);
        const count = ev.n - firstHadron;
        // Assign hadrons to jets: shuffle, then a random split with at least one per jet.
        shuffle(ev, firstHadron, count, rng);
        const split = 1 + Math.floor(rng.uniform() * (count - 1));
        const m1 = clusterMass(ev, firstHadron, split, jetKinetic, rng);
        const m2 = clusterMass(ev, firstHadron + split, count - split, jetKinetic, rng);
        if (m1 + m2 >= SQRT_S) continue;
        ev.m[jets[0]] = m1;
        ev.m[jets[1]] = m2;
        backToBack(ev, jets[0], jets[1], twoBodyMomentum(SQRT_S, m1, m2), rng, cosOnePlusCos2(rng));
        clusterDecay(ev, jets[0], firstHadron, split, rng);
        clusterDecay(ev, jets[1], firstHadron + split, count - split, rng);
        decayShortLived(ev, rng);
        return 1;
      }
    },
  };
}

/** B Bbar at the Upsilon(4S): two B mesons almost at rest, each splitting into its hadrons. */
function bPairs(spec: HadronicSpec, charged: boolean): ProcessModel {
  return {
    crossSectionFb: tableCrossSection(spec.millionEvents),
    filterProbability: spec.fourProngProbability,
    forceOverlayPair: false,
    generate(ev, rng) {
      ev.clear();
      const b1 = ev.add(Kind.Resonance, MASS.bMeson, charged ? 1 : 0);
      const b2 = ev.add(Kind.Resonance, MASS.bMeson, charged ? -1 : 0);
      backToBack(ev, b1, b2, twoBodyMomentum(SQRT_S, MASS.bMeson, MASS.bMeson), rng);
      // Four charged tracks in total: split 2+2 for neutral B, 1+3 or 3+1 for charged B.
      const first = charged && rng.uniform() < 0.5 ? 3 : charged ? 1 : 2;
      for (const [b, prongs] of [
        [b1, first],
        [b2, 4 - first],
      ] as const) {
        const start = ev.n;
        addHadrons(ev, rng, spec, prongs, 1, ev.charge[b]);
        // A B meson never decays to a single charged hadron: give it a neutral partner.
        if (ev.n - start === 1) ev.add(Kind.Pi0, MASS.pi0, 0);
        shuffle(ev, start, ev.n - start, rng);
        clusterDecay(ev, b, start, ev.n - start, rng);
      }
      decayShortLived(ev, rng);
      return 1;
    },
  };
}

/**
 * Adds `prongs` charged hadrons with total charge `charge` (or leptons from semileptonic
 * decays of `heavy` heavy hadrons), plus pi0s and invisible neutral hadrons.
 */
function addHadrons(ev: Particles, rng: Rng, spec: HadronicSpec, prongs: number, heavy: number, charge = 0): void {
  // Charges: (prongs + charge)/2 positive, the rest negative.
  const positives = (prongs + charge) / 2;
  let leptons = 0;
  for (let h = 0; h < heavy; h++) if (rng.uniform() < spec.semileptonic) leptons++;
  for (let k = 0; k < prongs; k++) {
    const q = k < positives ? 1 : -1;
    if (leptons > 0) {
      leptons--;
      const isElectron = rng.uniform() < 0.5;
      ev.add(isElectron ? Kind.Electron : Kind.Muon, isElectron ? MASS.electron : MASS.muon, q);
      ev.add(Kind.Neutrino, 0, 0);
    } else if (rng.uniform() < spec.kaonFraction) {
      ev.add(Kind.Kaon, MASS.kaon, q);
    } else {
      ev.add(Kind.Pion, MASS.pion, q);
    }
  }
  const pi0s = rng.poisson(spec.pi0Mean);
  for (let k = 0; k < pi0s; k++) ev.add(Kind.Pi0, MASS.pi0, 0);
  const neutrals = rng.poisson(spec.neutralHadronMean);
  for (let k = 0; k < neutrals; k++) ev.add(Kind.NeutralHadron, MASS.k0, 0);
}

/** Mass of a cluster of `count` hadrons: their masses plus a kinetic energy release. */
function clusterMass(ev: Particles, first: number, count: number, kinetic: number, rng: Rng): number {
  let m = 0;
  for (let k = first; k < first + count; k++) m += ev.m[k];
  return count === 1 ? m : m + rng.exponential(kinetic * Math.sqrt(count));
}

/** Shuffles particles first..first+count-1, so that the order they were added in means nothing. */
function shuffle(ev: Particles, first: number, count: number, rng: Rng): void {
  for (let k = count - 1; k > 0; k--) swap(ev, first + k, first + Math.floor(rng.uniform() * (k + 1)));
}

function swap(ev: Particles, i: number, j: number): void {
  if (i === j) return;
  for (const a of [ev.E, ev.px, ev.py, ev.pz, ev.m, ev.vx, ev.vy, ev.vz]) [a[i], a[j]] = [a[j], a[i]];
  for (const a of [ev.kind, ev.charge, ev.decayed, ev.convert]) [a[i], a[j]] = [a[j], a[i]];
}

const UDS = { kaonFraction: 0.12, pi0Mean: 1.6, neutralHadronMean: 0.35, semileptonic: 0 };

// The four-prong probabilities are not measured numbers: they are set so that continuum and
// B Bbar make up about the share of the selected background that thesis Table 4.3 reports
// (docs/calibration.md shows the result).

export const PROCESSES: Record<string, ProcessModel> = {
  tautau: tauPair,
  mumu: radiativeLeptonPair(Kind.Muon, 114.8),
  ee: radiativeLeptonPair(Kind.Electron, 2958),
  // Form-factor scale Lambda^2 in GeV^2: 1 for the four-lepton processes; for pi pi
  // calibrated to its Table 4.3 yield (docs/calibration.md).
  eeee: twoPhoton(Kind.Electron, 3955, 0.5, 1),
  eemumu: twoPhoton(Kind.Muon, 188.3, 0.5, 1),
  eepipi: twoPhoton(Kind.Pion, 189.5, 2 * MASS.pion + 0.01, 2.8),
  mumumumu: fourMuons,
  K0K0bargamma: kShortKLong,
  uubar: continuum({ millionEvents: 160.5, fourProngProbability: 0.0275, ...UDS }, 0.7),
  ddbar: continuum({ millionEvents: 40.1, fourProngProbability: 0.0275, ...UDS }, 0.7),
  ssbar: continuum({ millionEvents: 38.3, fourProngProbability: 0.0275, ...UDS, kaonFraction: 0.3 }, 0.7),
  ccbar: continuum(
    { millionEvents: 132.9, fourProngProbability: 0.0165, kaonFraction: 0.3, pi0Mean: 1.8, neutralHadronMean: 0.5, semileptonic: 0.1 },
    1.0,
  ),
  B0B0bar: bPairs(
    { millionEvents: 54, fourProngProbability: 0.003, kaonFraction: 0.4, pi0Mean: 1.2, neutralHadronMean: 0.5, semileptonic: 0.2 },
    false,
  ),
  BpBm: bPairs(
    { millionEvents: 51, fourProngProbability: 0.003, kaonFraction: 0.4, pi0Mean: 1.2, neutralHadronMean: 0.5, semileptonic: 0.2 },
    true,
  ),
};
