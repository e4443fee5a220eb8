// The background processes of thesis Table 4.1: cross sections from its event counts, and
// for each a model of the final state in the CM frame. Where a process would need billions
// of events to produce a handful of candidates, the generator forces the rare ingredient
// and carries its probability in the weights (docs/generator.md lists each filter).
import { decayInto, decayShortLived, decayTau, tauProngs, TAU_MODES, type TauMode } from './decays.js';
import { SQRT_S } from '../../core/idmdh.js';
import { backToBack, clusterDecay, phaseSpaceDecay, twoBodyMomentum } from './kinematics.js';
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

function leptonPair(lepton: Kind.Electron | Kind.Muon, millionEvents: number): ProcessModel {
  const mass = lepton === Kind.Electron ? MASS.electron : MASS.muon;
  return {
    crossSectionFb: tableCrossSection(millionEvents),
    filterProbability: 1,
    forceOverlayPair: true,
    generate(ev, rng) {
      ev.clear();
      const x = isrFraction(rng, 0.9);
      const system = radiateIsr(ev, (x * SQRT_S) / 2, SQRT_S * Math.sqrt(1 - x), rng);
      const minus = ev.add(lepton, mass, -1);
      ev.add(lepton, mass, 1);
      // Produced along the beam axis in the pair's rest frame, then carried by the ISR recoil.
      phaseSpaceDecay(ev, system, minus, 2, rng, lepton === Kind.Muon ? cosOnePlusCos2(rng) : cosBhabha(rng));
      return 1;
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
 * e+e- -> e+e- X with X = e+e-, mu+mu- or pi+pi- from two quasi-real photons. The beam
 * leptons usually vanish down the beam pipe; their scattering angle follows the photon
 * propagator, theta ~ 2 theta theta0^2 / (theta^2 + theta0^2)^2. Half of the spectators are
 * drawn instead uniformly in cos(theta) over the detector, with the weight natural/mixture,
 * so that tagged events (the ones that can give four tracks) are not billions of events away.
 */
const SPECTATOR_THETA0 = 0.01;
const TAG_RANGE = [0.25, 2.75] as const;
const TAG_COS = [Math.cos(TAG_RANGE[1]), Math.cos(TAG_RANGE[0])] as const;

function spectatorDensity(theta: number): number {
  const t2 = theta * theta + SPECTATOR_THETA0 * SPECTATOR_THETA0;
  return (2 * theta * SPECTATOR_THETA0 * SPECTATOR_THETA0) / (t2 * t2);
}
function taggedDensity(theta: number): number {
  return theta > TAG_RANGE[0] && theta < TAG_RANGE[1] ? Math.sin(theta) / (TAG_COS[1] - TAG_COS[0]) : 0;
}
let spectatorWeight = 1;
function spectatorTheta(rng: Rng): number {
  let theta: number;
  if (rng.uniform() < 0.5) {
    do {
      const u = rng.uniform();
      theta = SPECTATOR_THETA0 * Math.sqrt(u / (1 - u));
    } while (theta >= Math.PI);
  } else {
    theta = Math.acos(rng.range(TAG_COS[0], TAG_COS[1]));
  }
  const natural = spectatorDensity(theta);
  spectatorWeight = natural / (0.5 * natural + 0.5 * taggedDensity(theta));
  return theta;
}

function twoPhoton(x: Kind.Electron | Kind.Muon | Kind.Pion, millionEvents: number, minPairMass: number): ProcessModel {
  const mass = x === Kind.Electron ? MASS.electron : x === Kind.Muon ? MASS.muon : MASS.pion;
  const eBeam = SQRT_S / 2;
  const xMin = 1e-3;
  return {
    crossSectionFb: tableCrossSection(millionEvents),
    filterProbability: 1,
    forceOverlayPair: false,
    generate(ev, rng) {
      let weight = 1;
      for (;;) {
        ev.clear();
        // Photon energy fractions from the equivalent-photon spectrum dx/x.
        const x1 = Math.pow(xMin, rng.uniform());
        const x2 = Math.pow(xMin, rng.uniform());
        const theta1 = spectatorTheta(rng);
        weight = spectatorWeight;
        const theta2 = Math.PI - spectatorTheta(rng);
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
  for (const a of [ev.kind, ev.charge, ev.decayed]) [a[i], a[j]] = [a[j], a[i]];
}

const UDS = { kaonFraction: 0.12, pi0Mean: 1.6, neutralHadronMean: 0.35, semileptonic: 0 };

// The four-prong probabilities are not measured numbers: they are set so that continuum and
// B Bbar make up about the share of the selected background that thesis Table 4.3 reports
// (docs/calibration.md shows the result).

export const PROCESSES: Record<string, ProcessModel> = {
  tautau: tauPair,
  mumu: leptonPair(Kind.Muon, 114.8),
  ee: leptonPair(Kind.Electron, 2958),
  eeee: twoPhoton(Kind.Electron, 3955, 0.5),
  eemumu: twoPhoton(Kind.Muon, 188.3, 0.5),
  eepipi: twoPhoton(Kind.Pion, 189.5, 2 * MASS.pion + 0.01),
  mumumumu: fourMuons,
  K0K0bargamma: kShortKLong,
  uubar: continuum({ millionEvents: 160.5, fourProngProbability: 0.025, ...UDS }, 0.7),
  ddbar: continuum({ millionEvents: 40.1, fourProngProbability: 0.025, ...UDS }, 0.7),
  ssbar: continuum({ millionEvents: 38.3, fourProngProbability: 0.025, ...UDS, kaonFraction: 0.3 }, 0.7),
  ccbar: continuum(
    { millionEvents: 132.9, fourProngProbability: 0.015, kaonFraction: 0.3, pi0Mean: 1.8, neutralHadronMean: 0.5, semileptonic: 0.1 },
    1.0,
  ),
  B0B0bar: bPairs(
    { millionEvents: 54, fourProngProbability: 0.002, kaonFraction: 0.4, pi0Mean: 1.2, neutralHadronMean: 0.5, semileptonic: 0.2 },
    false,
  ),
  BpBm: bPairs(
    { millionEvents: 51, fourProngProbability: 0.002, kaonFraction: 0.4, pi0Mean: 1.2, neutralHadronMean: 0.5, semileptonic: 0.2 },
    true,
  ),
};
