// Candidate building: every assignment of two opposite-charge tracks as e+ e- and two others
// as mu+ mu- (h' -> mu mu, chi2 -> e e), with the pair vertex fits, the event's pi0
// candidate, extra tracks and ECL energy, and the missing four-vector in the CM frame.
import { GOOD_PHOTON, type Clusters, type Tracks } from './detector.js';
import { SQRT_S } from '../../core/idmdh.js';
import { cmE, cmPz } from './kinematics.js';
import { COL, type NtupleBuilder } from './ntuple.js';
import { MASS } from './particles.js';
import type { Rng } from '../lib/rng.js';
import { fitVertex } from './vertex.js';

/**
 * Generator-level skim, looser than every thesis cut, so that the ntuple stays small but
 * the preselection's cut flow still has something to remove at each step. Loosening a cut
 * in the YAML beyond these values cannot bring back what the skim dropped.
 */
export const SKIM = {
  minHits: 10,
  maxDr: 2,
  maxAbsDz: 5,
  minElectronPid: 0.02,
  maxMuonPid: 0.98,
  maxExtraTracks: 1,
  maxExtraEclEnergy: 0.3,
} as const;

const PI0_WINDOW = [0, 0.3] as const;

/**
 * Rest-of-event photons counted in extraEclEnergy: in time (|t| < 200 ns) and above a
 * threshold per ECL region, as rest-of-event masks against beam background do (the thesis
 * does not give its mask). Softer photons stay out of the sum but still make pi0 candidates
 * (thesis photon list, E < 0.25 GeV): that is what leaves the pi0 veto something to do after
 * the extra-energy cut. Regions: forward endcap below 32 degrees, backward above 130.
 */
export const ROE_PHOTON = {
  forwardMaxTheta: 32,
  backwardMinTheta: 130,
  forward: 0.1,
  barrel: 0.09,
  backward: 0.16,
  maxAbsTime: 200,
} as const;
const MAX_TRACKS = 64;
// Per-track CM four-momenta under the electron and muon hypotheses.
const eE = new Float64Array(MAX_TRACKS);
const ePz = new Float64Array(MAX_TRACKS);
const muE = new Float64Array(MAX_TRACKS);
const muPz = new Float64Array(MAX_TRACKS);
const positives = new Int32Array(MAX_TRACKS);
const negatives = new Int32Array(MAX_TRACKS);

/** Appends the event's candidates to the ntuple; returns how many passed the skim. */
export function writeCandidates(
  tracks: Tracks,
  clusters: Clusters,
  ntuple: NtupleBuilder,
  rng: Rng,
  event: number,
  weight: number,
  mChi1: number,
  mHprime: number,
  /** Called for every written row with its tracks (e-, e+, mu-, mu+): truth studies. */
  onRow?: (eMinus: number, ePlus: number, muMinus: number, muPlus: number) => void,
): number {
  let nPos = 0;
  let nNeg = 0;
  let nGood = 0;
  let trackEcl = 0;
  for (let i = 0; i < tracks.n; i++) {
    nGood += tracks.good[i];
    trackEcl += tracks.eclE[i];
    if (tracks.nHits[i] <= SKIM.minHits || tracks.dr[i] >= SKIM.maxDr || Math.abs(tracks.dz[i]) >= SKIM.maxAbsDz) continue;
    if (tracks.charge[i] > 0) positives[nPos++] = i;
    else negatives[nNeg++] = i;
    toCm(tracks, i, MASS.electron, eE, ePz);
    toCm(tracks, i, MASS.muon, muE, muPz);
  }
  if (nPos < 2 || nNeg < 2) return 0;
  const pi0Mass = bestPi0Mass(clusters);
  const neutralEcl = roePhotonEnergy(clusters);
  const row = ntuple.row;
  let written = 0;
  for (let a = 0; a < nNeg; a++) {
    const em = negatives[a];
    if (tracks.pid[em] <= SKIM.minElectronPid) continue;
    for (let b = 0; b < nNeg; b++) {
      const mm = negatives[b];
      if (b === a || tracks.pid[mm] >= SKIM.maxMuonPid) continue;
      for (let c = 0; c < nPos; c++) {
        const ep = positives[c];
        if (tracks.pid[ep] <= SKIM.minElectronPid) continue;
        for (let d = 0; d < nPos; d++) {
          const mp = positives[d];
          if (d === c || tracks.pid[mp] >= SKIM.maxMuonPid) continue;
          const extraTracks = nGood - tracks.good[em] - tracks.good[mm] - tracks.good[ep] - tracks.good[mp];
          const extraEcl = neutralEcl + trackEcl - tracks.eclE[em] - tracks.eclE[mm] - tracks.eclE[ep] - tracks.eclE[mp];
          if (extraTracks > SKIM.maxExtraTracks || extraEcl >= SKIM.maxExtraEclEnergy) continue;
          row[COL.event] = event;
          row[COL.candidate] = written;
          row[COL.weight] = weight;
          row[COL.m_chi1] = mChi1;
          row[COL.m_hprime] = mHprime;
          fillLepton(row, COL.eminus_E, tracks, em, eE, ePz);
          fillLepton(row, COL.eplus_E, tracks, ep, eE, ePz);
          fillLepton(row, COL.muminus_E, tracks, mm, muE, muPz);
          fillLepton(row, COL.muplus_E, tracks, mp, muE, muPz);
          fillPair(row, COL.hprime_vtxDr, tracks, mm, mp, muE, muPz, rng);
          fillPair(row, COL.chi2_vtxDr, tracks, em, ep, eE, ePz, rng);
          row[COL.pi0Mass] = pi0Mass;
          row[COL.nExtraTracks] = extraTracks;
          row[COL.extraEclEnergy] = extraEcl;
          const E = eE[em] + eE[ep] + muE[mm] + muE[mp];
          row[COL.missE] = SQRT_S - E;
          row[COL.missPx] = -(tracks.px[em] + tracks.px[ep] + tracks.px[mm] + tracks.px[mp]);
          row[COL.missPy] = -(tracks.py[em] + tracks.py[ep] + tracks.py[mm] + tracks.py[mp]);
          row[COL.missPz] = -(ePz[em] + ePz[ep] + muPz[mm] + muPz[mp]);
          ntuple.commit();
          onRow?.(em, ep, mm, mp);
          written++;
        }
      }
    }
  }
  return written;
}

/** CM energy and pz of track i for a mass hypothesis (px, py are the same in both frames). */
function toCm(tracks: Tracks, i: number, mass: number, E: Float64Array, pz: Float64Array): void {
  const Elab = Math.sqrt(tracks.p[i] * tracks.p[i] + mass * mass);
  E[i] = cmE(Elab, tracks.pz[i]);
  pz[i] = cmPz(Elab, tracks.pz[i]);
}

// Offsets of the lepton fields after <prefix>_E, in NTUPLE_COLUMNS order.
const L_PX = 1,
  L_PY = 2,
  L_PZ = 3,
  L_CHARGE = 4,
  L_HITS = 5,
  L_DR = 6,
  L_DZ = 7,
  L_THETA = 8,
  L_PID = 9;

function fillLepton(row: Float64Array, at: number, tracks: Tracks, i: number, E: Float64Array, pz: Float64Array): void {
  row[at] = E[i];
  row[at + L_PX] = tracks.px[i];
  row[at + L_PY] = tracks.py[i];
  row[at + L_PZ] = pz[i];
  row[at + L_CHARGE] = tracks.charge[i];
  row[at + L_HITS] = tracks.nHits[i];
  row[at + L_DR] = tracks.dr[i];
  row[at + L_DZ] = tracks.dz[i];
  row[at + L_THETA] = tracks.thetaDeg[i];
  row[at + L_PID] = tracks.pid[i];
}

function fillPair(row: Float64Array, at: number, tracks: Tracks, a: number, b: number, E: Float64Array, pz: Float64Array, rng: Rng): void {
  const fit = fitVertex(tracks, a, b, rng);
  row[at] = fit.dr;
  row[at + 1] = fit.failed;
  row[at + 2] = fit.chiProb;
  const Es = E[a] + E[b];
  const px = tracks.px[a] + tracks.px[b];
  const py = tracks.py[a] + tracks.py[b];
  const pzs = pz[a] + pz[b];
  row[at + 3] = Math.sqrt(Math.max(0, Es * Es - px * px - py * py - pzs * pzs));
}

/** Energy of the rest-of-event photons (clusters not matched to a track) passing ROE_PHOTON. */
export function roePhotonEnergy(clusters: Clusters): number {
  let sum = 0;
  for (let i = 0; i < clusters.n; i++) {
    if (Math.abs(clusters.time[i]) >= ROE_PHOTON.maxAbsTime) continue;
    const theta = clusters.thetaDeg[i];
    const threshold =
      theta < ROE_PHOTON.forwardMaxTheta
        ? ROE_PHOTON.forward
        : theta > ROE_PHOTON.backwardMinTheta
          ? ROE_PHOTON.backward
          : ROE_PHOTON.barrel;
    if (clusters.E[i] > threshold) sum += clusters.E[i];
  }
  return sum;
}

/** Mass of the photon pair closest to the pi0 mass inside the candidate window, 0 if none. */
function bestPi0Mass(clusters: Clusters): number {
  let best = 0;
  for (let i = 0; i < clusters.n; i++) {
    if (!isGoodPhoton(clusters, i)) continue;
    for (let j = i + 1; j < clusters.n; j++) {
      if (!isGoodPhoton(clusters, j)) continue;
      const cos = clusters.ux[i] * clusters.ux[j] + clusters.uy[i] * clusters.uy[j] + clusters.uz[i] * clusters.uz[j];
      const m = Math.sqrt(Math.max(0, 2 * clusters.E[i] * clusters.E[j] * (1 - cos)));
      if (m > PI0_WINDOW[0] && m < PI0_WINDOW[1] && (best === 0 || Math.abs(m - MASS.pi0) < Math.abs(best - MASS.pi0))) best = m;
    }
  }
  return best;
}

function isGoodPhoton(clusters: Clusters, i: number): boolean {
  return (
    clusters.nHits[i] > GOOD_PHOTON.minHits &&
    clusters.thetaDeg[i] > GOOD_PHOTON.minTheta &&
    clusters.thetaDeg[i] < GOOD_PHOTON.maxTheta &&
    clusters.E[i] < GOOD_PHOTON.maxE &&
    Math.abs(clusters.time[i]) < GOOD_PHOTON.maxAbsTime
  );
}
