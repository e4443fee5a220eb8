// A Belle II-like detector response, simple enough to run a million events a minute:
// tracking in the CDC (hits from the helix geometry in a 1.5 T field, momentum and angle
// smearing, impact parameters), a binary electron-vs-muon PID in which pions fall anywhere,
// ECL clusters (energy, angle, hit count, timing), and beam-background tracks and photons
// overlaid. Everything here is in the lab frame; candidates.ts converts to the CM frame.
import { labE, labPz } from './kinematics.js';
import { Kind, Particles } from './particles.js';
import type { Rng } from '../lib/rng.js';

const DEG = 180 / Math.PI;

/** Mean number of beam-background tracks per event (half of each charge) and of photons. */
export const BEAM_BACKGROUND = {
  tracksPerEvent: 0.2,
  /** Where beam-background tracks come from: r ~ Exp(trackMeanR), z ~ N(0, trackSigmaZ), cm. */
  trackMeanR: 1.5,
  trackSigmaZ: 25,
  photonsPerEvent: 2.5,
  /** Photon energy: minimum plus an exponential of this mean, GeV. */
  photonMinE: 0.005,
  photonMeanE: 0.03,
  /** Fraction of the photons in time with the collision. */
  inTime: 0.45,
} as const;

/** The thesis good-track definition (Sec. 4.2.1), used for nExtraTracks. */
export const GOOD_TRACK = { minHits: 20, maxAbsDz: 2, maxDr: 0.5, minTheta: 17, maxTheta: 150 } as const;
/** The thesis photon definition for pi0 candidates (Sec. 4.2.1). */
export const GOOD_PHOTON = { minHits: 1.5, minTheta: 17, maxTheta: 150, maxE: 0.25, maxAbsTime: 200 } as const;
/** ECL clusters below this energy are not reconstructed. */
const CLUSTER_THRESHOLD = 0.02;

/**
 * Material before the CDC where photons convert: the beam pipe, the two PXD and the four SVD
 * layers (radius in cm, thickness in radiation lengths at normal incidence).
 */
export const MATERIAL = [
  { r: 1.0, x0: 0.008 },
  { r: 1.4, x0: 0.002 },
  { r: 2.2, x0: 0.002 },
  { r: 3.9, x0: 0.0057 },
  { r: 8.0, x0: 0.0057 },
  { r: 10.4, x0: 0.0057 },
  { r: 13.5, x0: 0.0057 },
] as const;
const MATERIAL_X0 = MATERIAL.reduce((sum, layer) => sum + layer.x0, 0);

/** Probability that a photon from the IP at lab polar angle theta converts before the CDC: 7/9 X/X0 / sin(theta). */
export function conversionProbability(theta: number): number {
  const s = Math.sin(theta);
  const thetaDeg = theta * DEG;
  if (thetaDeg < ECL_THETA[0] || thetaDeg > ECL_THETA[1]) return 0;
  return 1 - Math.exp(-((7 / 9) * MATERIAL_X0) / s);
}

/**
 * Hadronic split-offs: a charged hadron that showers in the ECL leaves, besides its matched
 * cluster, Poisson(mean) neutral clusters of Exp(energy) GeV within about `spread` rad of its
 * direction, which look like photons to the reconstruction.
 */
export const SPLIT_OFF = { mean: 0.5, energy: 0.06, spread: 0.15 } as const;

// CDC geometry (cm): 56 layers between these radii; endplates at these z.
const CDC_INNER = 16.8;
const CDC_OUTER = 111.1;
const CDC_LAYERS = 56;
const CDC_Z_FORWARD = 158.5;
const CDC_Z_BACKWARD = 73.5;
const HIT_EFFICIENCY = 0.96;
/** Helix diameter per GeV of transverse momentum in a 1.5 T field, cm. */
const CM_PER_GEV = 2 * (100 / (0.3 * 1.5));
const ECL_THETA = [12.4, 155.1] as const;
/** Transverse momentum needed to reach the ECL barrel (r = 125 cm). */
const ECL_MIN_PT = 0.28;

export class Tracks {
  n = 0;
  readonly charge = new Int8Array(64);
  /** Measured lab momentum, GeV. */
  readonly px = new Float64Array(64);
  readonly py = new Float64Array(64);
  readonly pz = new Float64Array(64);
  readonly p = new Float64Array(64);
  readonly thetaDeg = new Float64Array(64);
  readonly nHits = new Int32Array(64);
  readonly dr = new Float64Array(64);
  readonly dz = new Float64Array(64);
  readonly pid = new Float64Array(64);
  /** Energy of the ECL cluster matched to the track (0 if it does not reach the ECL). */
  readonly eclE = new Float64Array(64);
  readonly good = new Uint8Array(64);
  /** True origin (cm) and the position resolution of the track near it, for vertex fits. */
  readonly ox = new Float64Array(64);
  readonly oy = new Float64Array(64);
  readonly oz = new Float64Array(64);
  readonly sigma = new Float64Array(64);
  /** What made the track (diagnostics): its Kind, or -1 for beam background, -2 for a conversion electron. */
  readonly truth = new Int8Array(64);
}

export class Clusters {
  n = 0;
  readonly E = new Float64Array(128);
  readonly ux = new Float64Array(128);
  readonly uy = new Float64Array(128);
  readonly uz = new Float64Array(128);
  readonly thetaDeg = new Float64Array(128);
  readonly nHits = new Int32Array(128);
  readonly time = new Float64Array(128);
}

/** 1 with resolutions on, 0 for an ideal detector (closure tests). */
let resolution = 1;

/**
 * Reconstructs the final state of `ev` plus beam background into tracks and clusters. An
 * ideal detector has no resolution effects and no beam background. With `nearOverlay`, half
 * of the beam-background tracks start near the IP (importance sampling for processes where
 * two overlaid tracks are a rare but heavy way to four tracks); returns the weight
 * natural/mixture of the overlay (1 without).
 */
export function simulateDetector(
  ev: Particles,
  bkgPos: number,
  bkgNeg: number,
  rng: Rng,
  tracks: Tracks,
  clusters: Clusters,
  ideal = false,
  nearOverlay = false,
): number {
  tracks.n = 0;
  clusters.n = 0;
  resolution = ideal ? 0 : 1;
  // Interaction point inside the luminous region.
  const ipx = 0.001 * resolution * rng.normal();
  const ipz = 0.035 * resolution * rng.normal();
  for (let i = 0; i < ev.n; i++) {
    if (!ev.isFinal(i)) continue;
    const kind = ev.kind[i];
    const E = labE(ev.E[i], ev.pz[i]);
    const pz = labPz(ev.E[i], ev.pz[i]);
    if (ev.charge[i] !== 0) {
      addTrack(tracks, clusters, rng, kind, ev.charge[i], ev.px[i], ev.py[i], pz, E, ev.vx[i] + ipx, ev.vy[i], ev.vz[i] + ipz);
    } else if (kind === Kind.Photon) {
      const theta = Math.acos(Math.max(-1, Math.min(1, pz / E)));
      if (ev.convert[i] || rng.uniform() < conversionProbability(theta)) {
        convertPhoton(tracks, clusters, rng, E, ev.px[i], ev.py[i], pz, ev.vx[i] + ipx, ev.vy[i], ev.vz[i] + ipz);
      } else {
        addCluster(clusters, rng, E, ev.px[i] / E, ev.py[i] / E, pz / E, rng.normal() * 3);
      }
    }
  }
  if (ideal) return 1;
  let weight = 1;
  for (let k = 0; k < bkgPos + bkgNeg; k++) weight *= addBeamBackgroundTrack(tracks, clusters, rng, k < bkgPos ? 1 : -1, nearOverlay);
  const photons = rng.poisson(BEAM_BACKGROUND.photonsPerEvent);
  for (let k = 0; k < photons; k++) addBeamBackgroundPhoton(clusters, rng);
  return weight;
}

/**
 * Converts a photon (lab energy E, momentum p) in one of the MATERIAL layers, chosen by its
 * thickness: an e+ e- pair along the photon with the Bethe-Heitler energy sharing
 * 1 - 4/3 x (1 - x), starting at the conversion point.
 */
function convertPhoton(
  tracks: Tracks,
  clusters: Clusters,
  rng: Rng,
  E: number,
  px: number,
  py: number,
  pz: number,
  ox: number,
  oy: number,
  oz: number,
): void {
  let u = rng.uniform() * MATERIAL_X0;
  let r: number = MATERIAL[MATERIAL.length - 1].r;
  for (const layer of MATERIAL) {
    if (u < layer.x0) {
      r = layer.r;
      break;
    }
    u -= layer.x0;
  }
  const pt = Math.hypot(px, py);
  const path = r / Math.max(pt / E, 1e-6);
  const cx = ox + (px / E) * path;
  const cy = oy + (py / E) * path;
  const cz = oz + (pz / E) * path;
  let x: number;
  do x = rng.uniform();
  while (rng.uniform() >= 1 - (4 / 3) * x * (1 - x));
  const before = tracks.n;
  for (let q = -1; q <= 1; q += 2) {
    const Ee = Math.max((q < 0 ? x : 1 - x) * E, 0.000511 * 1.0001);
    const p = Math.sqrt(Ee * Ee - 0.000511 * 0.000511);
    addTrack(tracks, clusters, rng, Kind.Electron, q, (px / E) * p, (py / E) * p, (pz / E) * p, Ee, cx, cy, cz);
  }
  for (let k = before; k < tracks.n; k++) tracks.truth[k] = -2;
}

/** Helix radius per GeV of transverse momentum in the 1.5 T field, cm. */
const CM_RADIUS_PER_GEV = CM_PER_GEV / 2;

function addTrack(
  tracks: Tracks,
  clusters: Clusters,
  rng: Rng,
  kind: Kind,
  charge: number,
  px: number,
  py: number,
  pz: number,
  E: number,
  ox: number,
  oy: number,
  oz: number,
  beamBackground = false,
): void {
  const pt = Math.hypot(px, py);
  if (pt < 0.05) return;
  const theta = Math.atan2(pt, pz);
  const thetaDeg = theta * DEG;
  if (thetaDeg < 12 || thetaDeg > 160) return;
  const hits = cdcHits(pt, theta, rng);
  if (hits < 5 || tracks.n === tracks.charge.length) return;
  const i = tracks.n++;
  const p = Math.hypot(pt, pz);
  const beta = p / E;
  // Resolutions: sigma(pT)/pT = 0.11% pT (+) 0.25%/beta; 1 mrad in angles.
  const ptSmeared = pt * (1 + resolution * Math.hypot(0.0011 * pt, 0.0025 / beta) * rng.normal());
  const thetaSmeared = theta + 0.001 * resolution * rng.normal();
  const phi = Math.atan2(py, px) + 0.001 * resolution * rng.normal();
  const pMeasured = ptSmeared / Math.sin(thetaSmeared);
  tracks.px[i] = ptSmeared * Math.cos(phi);
  tracks.py[i] = ptSmeared * Math.sin(phi);
  tracks.pz[i] = pMeasured * Math.cos(thetaSmeared);
  tracks.p[i] = pMeasured;
  tracks.thetaDeg[i] = thetaSmeared * DEG;
  tracks.charge[i] = charge;
  tracks.nHits[i] = hits;
  // Impact parameters of the helix through the origin (ox, oy, oz): the circle of radius R
  // has its centre C = O + R n (n: towards the centre, by the charge); d0 = |C| - R and z0 is
  // oz moved back along the arc from O to the point of closest approach.
  const sinPhi = Math.sin(phi);
  const cosPhi = Math.cos(phi);
  const R = CM_RADIUS_PER_GEV * pt;
  const nx = charge > 0 ? sinPhi : -sinPhi;
  const ny = charge > 0 ? -cosPhi : cosPhi;
  const o2 = ox * ox + oy * oy;
  const cx = ox + R * nx;
  const cy = oy + R * ny;
  const c = Math.hypot(cx, cy);
  const d0True = (o2 + 2 * R * (ox * nx + oy * ny)) / (c + R);
  // Arc from the point of closest approach to O: the angle between C->PCA (i.e. -C) and C->O.
  const cosArc = Math.max(-1, Math.min(1, (-cx * (ox - cx) - cy * (oy - cy)) / (c * R)));
  const along = ox * cosPhi + oy * sinPhi;
  const arc = (along >= 0 ? 1 : -1) * R * Math.acos(cosArc);
  const sigma = 0.002 + 0.003 / (p * beta * Math.pow(Math.sin(theta), 1.5));
  const d0 = (charge > 0 ? d0True : -d0True) + resolution * sigma * rng.normal();
  tracks.dr[i] = Math.abs(d0);
  tracks.dz[i] = oz - arc / Math.tan(thetaSmeared) + 1.5 * resolution * sigma * rng.normal();
  tracks.ox[i] = ox;
  tracks.oy[i] = oy;
  tracks.oz[i] = oz;
  tracks.sigma[i] = sigma;
  tracks.pid[i] = binaryPid(kind, p, rng);
  tracks.truth[i] = beamBackground ? -1 : kind;
  tracks.eclE[i] = matchedClusterEnergy(kind, pt, thetaDeg, E, rng);
  tracks.good[i] = isGoodTrack(hits, tracks.dr[i], tracks.dz[i], tracks.thetaDeg[i]) ? 1 : 0;
  if (showered && !beamBackground && resolution > 0) addSplitOffs(clusters, rng, px / p, py / p, pz / p);
}

/** Neutral clusters a showering hadron leaves near its direction (SPLIT_OFF). */
function addSplitOffs(clusters: Clusters, rng: Rng, ux: number, uy: number, uz: number): void {
  const n = rng.poisson(SPLIT_OFF.mean);
  for (let k = 0; k < n; k++) {
    // A direction within about `spread` of u: add a random transverse kick and renormalise.
    const kx = ux + SPLIT_OFF.spread * rng.normal();
    const ky = uy + SPLIT_OFF.spread * rng.normal();
    const kz = uz + SPLIT_OFF.spread * rng.normal();
    const norm = Math.hypot(kx, ky, kz);
    addCluster(clusters, rng, rng.exponential(SPLIT_OFF.energy), kx / norm, ky / norm, kz / norm, 3 * rng.normal());
  }
}

function isGoodTrack(hits: number, dr: number, dz: number, thetaDeg: number): boolean {
  return (
    hits > GOOD_TRACK.minHits &&
    Math.abs(dz) < GOOD_TRACK.maxAbsDz &&
    dr < GOOD_TRACK.maxDr &&
    thetaDeg > GOOD_TRACK.minTheta &&
    thetaDeg < GOOD_TRACK.maxTheta
  );
}

/** CDC layers crossed before the helix turns back, leaves through the outer wall or an endplate. */
function cdcHits(pt: number, theta: number, rng: Rng): number {
  const endplate = theta < Math.PI / 2 ? CDC_Z_FORWARD * Math.tan(theta) : CDC_Z_BACKWARD * Math.tan(Math.PI - theta);
  const diameter = CM_PER_GEV * pt;
  const reach = Math.min(diameter, CDC_OUTER, endplate);
  let layers = Math.max(0, Math.round((CDC_LAYERS * (reach - CDC_INNER)) / (CDC_OUTER - CDC_INNER)));
  // A curler turns back inside the CDC: the track finder takes the returning arm of its first
  // loop too, as long as it stays between the endplates (z after half a turn, pi R cot theta).
  if (diameter < Math.min(CDC_OUTER, endplate)) {
    const zTurn = Math.abs((Math.PI * diameter) / 2 / Math.tan(theta));
    if (zTurn < (theta < Math.PI / 2 ? CDC_Z_FORWARD : CDC_Z_BACKWARD)) layers *= 2;
  }
  const mean = layers * HIT_EFFICIENCY;
  const hits = Math.round(mean + Math.sqrt(mean * (1 - HIT_EFFICIENCY)) * rng.normal());
  return Math.min(layers, Math.max(0, hits));
}

/**
 * The binary PID(e, mu) = L_e / (L_e + L_mu) per species and momentum class: the fraction of
 * tracks below 0.1 (muon-like), between 0.1 and 0.9, and the rest above 0.9 (electron-like),
 * uniform within each range. Electrons sit above 0.9 and muons below 0.1 once they reach the
 * ECL / KLM (above `pMin` GeV); pions match neither hypothesis, so their ratio lands anywhere:
 * that is how pions end up as lepton candidates (thesis Fig. 4.7). Calibrated (docs/calibration.md).
 */
export const PID = {
  electron: { pMin: 0.4, high: { low: 0.005, mid: 0.015 }, low: { low: 0.07, mid: 0.18 } },
  muon: { pMin: 0.7, high: { low: 0.95, mid: 0.035 }, low: { low: 0.55, mid: 0.42 } },
  hadron: { low: 0.835, mid: 0.137 },
} as const;

function binaryPid(kind: Kind, p: number, rng: Rng): number {
  const f =
    kind === Kind.Electron
      ? p > PID.electron.pMin
        ? PID.electron.high
        : PID.electron.low
      : kind === Kind.Muon
        ? p > PID.muon.pMin
          ? PID.muon.high
          : PID.muon.low
        : PID.hadron;
  const u = rng.uniform();
  const x = rng.uniform();
  return u < f.low ? 0.1 * x : u < f.low + f.mid ? 0.1 + 0.8 * x : 0.9 + 0.1 * x;
}

/** Set by matchedClusterEnergy: the last hadron showered in the ECL. */
let showered = false;

/** ECL energy of the cluster a track leaves: showers for electrons, MIP or hadronic showers otherwise. */
function matchedClusterEnergy(kind: Kind, pt: number, thetaDeg: number, E: number, rng: Rng): number {
  showered = false;
  if (pt < ECL_MIN_PT || thetaDeg < ECL_THETA[0] || thetaDeg > ECL_THETA[1]) return 0;
  if (kind === Kind.Electron) return E * (0.93 + 0.03 * rng.normal());
  if (kind === Kind.Muon || rng.uniform() < 0.5) return 0.19 + 0.02 * rng.normal();
  showered = true;
  return E * rng.range(0.2, 0.8);
}

/** Adds an ECL cluster for a photon with lab energy E and direction u, if it is reconstructed. */
function addCluster(clusters: Clusters, rng: Rng, E: number, ux: number, uy: number, uz: number, time: number): void {
  const theta = Math.acos(Math.max(-1, Math.min(1, uz)));
  const thetaDeg = theta * DEG + 0.6 * resolution * rng.normal();
  if (thetaDeg < ECL_THETA[0] || thetaDeg > ECL_THETA[1]) return;
  const measured = E + resolution * Math.sqrt(0.0004 * E + 0.0001 * E * E + 0.000004) * rng.normal();
  if (measured < CLUSTER_THRESHOLD || clusters.n === clusters.E.length) return;
  const i = clusters.n++;
  clusters.E[i] = measured;
  clusters.ux[i] = ux;
  clusters.uy[i] = uy;
  clusters.uz[i] = uz;
  clusters.thetaDeg[i] = thetaDeg;
  clusters.nHits[i] = 1 + rng.poisson(30 * measured);
  clusters.time[i] = time;
}

/** A track from beam-gas or Touschek showers: soft, far from the IP in z, few CDC hits. */
/** Where near-IP overlay tracks start in the importance-sampled branch: |z|, r below these (cm). */
const NEAR_IP = { z: 2.5, r: 0.6 } as const;

/**
 * A track from beam-gas or Touschek showers: soft, far from the IP (r ~ Exp(trackMeanR),
 * z ~ N(0, trackSigmaZ)), few CDC hits. Returns the importance weight of its origin.
 */
function addBeamBackgroundTrack(tracks: Tracks, clusters: Clusters, rng: Rng, charge: number, near: boolean): number {
  const pt = 0.06 + rng.exponential(0.12);
  const cosTheta = rng.range(-0.95, 0.95);
  const pz = (pt * cosTheta) / Math.sqrt(1 - cosTheta * cosTheta);
  const phi = 2 * Math.PI * rng.uniform();
  const E = Math.hypot(pt, pz, 0.000511);
  let r: number;
  let z: number;
  if (near && rng.uniform() < 0.5) {
    r = NEAR_IP.r * rng.uniform();
    z = NEAR_IP.z * (2 * rng.uniform() - 1);
  } else {
    r = rng.exponential(BEAM_BACKGROUND.trackMeanR);
    z = BEAM_BACKGROUND.trackSigmaZ * rng.normal();
  }
  let weight = 1;
  if (near) {
    const sz = BEAM_BACKGROUND.trackSigmaZ;
    const natural =
      (Math.exp(-r / BEAM_BACKGROUND.trackMeanR) / BEAM_BACKGROUND.trackMeanR) *
      (Math.exp(-(z * z) / (2 * sz * sz)) / (sz * Math.sqrt(2 * Math.PI)));
    const uniform = r < NEAR_IP.r && Math.abs(z) < NEAR_IP.z ? 1 / (NEAR_IP.r * 2 * NEAR_IP.z) : 0;
    weight = natural / (0.5 * natural + 0.5 * uniform);
  }
  const a = 2 * Math.PI * rng.uniform();
  // Mostly electrons and positrons from showers, but their PID is as poor as a pion's.
  addTrack(
    tracks,
    clusters,
    rng,
    Kind.Pion,
    charge,
    pt * Math.cos(phi),
    pt * Math.sin(phi),
    pz,
    E,
    r * Math.cos(a),
    r * Math.sin(a),
    z,
    true,
  );
  return weight;
}

/** Soft photons from the beams, often out of time with the collision. */
function addBeamBackgroundPhoton(clusters: Clusters, rng: Rng): void {
  const E = BEAM_BACKGROUND.photonMinE + rng.exponential(BEAM_BACKGROUND.photonMeanE);
  const uz = rng.range(-0.98, 0.98);
  const s = Math.sqrt(1 - uz * uz);
  const phi = 2 * Math.PI * rng.uniform();
  const time = rng.uniform() < BEAM_BACKGROUND.inTime ? 20 * rng.normal() : rng.range(-1000, 1000);
  addCluster(clusters, rng, E, s * Math.cos(phi), s * Math.sin(phi), uz, time);
}
