// Decays of the unstable particles the processes produce: tau leptons (main modes), the
// rho and a1 resonances of hadronic tau decays, pi0 -> gamma gamma and K_S -> pi pi.
import { breitWigner, displaceDaughters, phaseSpaceDecay } from './kinematics.js';
import { CTAU, Kind, MASS, Particles } from './particles.js';
import { cumulative, type Rng } from '../lib/rng.js';

export enum TauMode {
  Electron,
  Muon,
  Pion,
  Rho,
  PionTwoPi0,
  ThreePion,
  ThreePionPi0,
  Kaon,
  KaonPi0,
}

/** Branching fractions (PDG); KaonPi0 stands in for the remaining one-prong modes. */
const TAU_BR = [0.1782, 0.1739, 0.1082, 0.2549, 0.0926, 0.0931, 0.0462, 0.007, 0.0459];
export const TAU_MODES = cumulative(TAU_BR);

/** Charged particles a tau decay mode produces (before detector effects). */
export function tauProngs(mode: TauMode): number {
  return mode === TauMode.ThreePion || mode === TauMode.ThreePionPi0 ? 3 : 1;
}

const RHO_WIDTH = 0.149;
const A1_WIDTH = 0.42;

/** Decays tau `t` in `mode`, with every product starting at the tau's decay vertex. */
export function decayTau(ev: Particles, t: number, mode: TauMode, rng: Rng): void {
  const q = ev.charge[t];
  const first = ev.n;
  const mTau = ev.m[t];
  switch (mode) {
    case TauMode.Electron:
    case TauMode.Muon: {
      const lepton = mode === TauMode.Electron ? Kind.Electron : Kind.Muon;
      ev.add(lepton, lepton === Kind.Electron ? MASS.electron : MASS.muon, q);
      ev.add(Kind.Neutrino, 0, 0);
      ev.add(Kind.Neutrino, 0, 0);
      phaseSpaceDecay(ev, t, first, 3, rng);
      break;
    }
    case TauMode.Pion:
    case TauMode.Kaon:
      if (mode === TauMode.Pion) ev.add(Kind.Pion, MASS.pion, q);
      else ev.add(Kind.Kaon, MASS.kaon, q);
      ev.add(Kind.Neutrino, 0, 0);
      phaseSpaceDecay(ev, t, first, 2, rng);
      break;
    case TauMode.Rho: {
      const rho = ev.add(Kind.Resonance, breitWigner(rng, MASS.rho, RHO_WIDTH, MASS.pion + MASS.pi0, mTau), q);
      ev.add(Kind.Neutrino, 0, 0);
      phaseSpaceDecay(ev, t, first, 2, rng);
      decayInto(ev, rho, rng, Kind.Pion, MASS.pion, q, Kind.Pi0, MASS.pi0, 0);
      break;
    }
    case TauMode.PionTwoPi0:
    case TauMode.ThreePion: {
      const threeProng = mode === TauMode.ThreePion;
      const a1 = ev.add(Kind.Resonance, breitWigner(rng, MASS.a1, A1_WIDTH, MASS.rho, mTau - 0.01), q);
      ev.add(Kind.Neutrino, 0, 0);
      phaseSpaceDecay(ev, t, first, 2, rng);
      // a1 -> rho pi: the rho is neutral in the three-prong mode, charged in the one-prong mode.
      const rhoCharge = threeProng ? 0 : q;
      const mRhoMax = ev.m[a1] - (threeProng ? MASS.pion : MASS.pi0);
      const mRhoMin = threeProng ? 2 * MASS.pion : MASS.pion + MASS.pi0;
      const rhoFirst = ev.n;
      const rho = ev.add(Kind.Resonance, breitWigner(rng, MASS.rho, RHO_WIDTH, mRhoMin, mRhoMax), rhoCharge);
      if (threeProng) ev.add(Kind.Pion, MASS.pion, q);
      else ev.add(Kind.Pi0, MASS.pi0, 0);
      phaseSpaceDecay(ev, a1, rhoFirst, 2, rng);
      if (threeProng) decayInto(ev, rho, rng, Kind.Pion, MASS.pion, 1, Kind.Pion, MASS.pion, -1);
      else decayInto(ev, rho, rng, Kind.Pion, MASS.pion, q, Kind.Pi0, MASS.pi0, 0);
      break;
    }
    case TauMode.ThreePionPi0:
      ev.add(Kind.Pion, MASS.pion, q);
      ev.add(Kind.Pion, MASS.pion, q);
      ev.add(Kind.Pion, MASS.pion, -q);
      ev.add(Kind.Pi0, MASS.pi0, 0);
      ev.add(Kind.Neutrino, 0, 0);
      phaseSpaceDecay(ev, t, first, 5, rng);
      break;
    case TauMode.KaonPi0:
      ev.add(Kind.Kaon, MASS.kaon, q);
      ev.add(Kind.Pi0, MASS.pi0, 0);
      ev.add(Kind.Neutrino, 0, 0);
      phaseSpaceDecay(ev, t, first, 3, rng);
      break;
  }
  // The tau flies ~90 um * beta gamma before decaying: all its products start there.
  displaceDaughters(ev, t, CTAU.tau, first, ev.n - first, rng);
}

/** Two-body decay of `parent` into two newly added particles. */
export function decayInto(
  ev: Particles,
  parent: number,
  rng: Rng,
  kind1: Kind,
  m1: number,
  q1: number,
  kind2: Kind,
  m2: number,
  q2: number,
): void {
  const first = ev.add(kind1, m1, q1);
  ev.add(kind2, m2, q2);
  phaseSpaceDecay(ev, parent, first, 2, rng);
}

/** Decays every pi0 (to two photons) and K_S (to pi pi, displaced) present, including new ones. */
export function decayShortLived(ev: Particles, rng: Rng): void {
  for (let i = 0; i < ev.n; i++) {
    if (ev.decayed[i]) continue;
    if (ev.kind[i] === Kind.Pi0) {
      decayInto(ev, i, rng, Kind.Photon, 0, 0, Kind.Photon, 0, 0);
    } else if (ev.kind[i] === Kind.KShort) {
      const first = ev.n;
      if (rng.uniform() < 0.692) decayInto(ev, i, rng, Kind.Pion, MASS.pion, 1, Kind.Pion, MASS.pion, -1);
      else decayInto(ev, i, rng, Kind.Pi0, MASS.pi0, 0, Kind.Pi0, MASS.pi0, 0);
      displaceDaughters(ev, i, CTAU.kShort, first, 2, rng);
    }
  }
}
