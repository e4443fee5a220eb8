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
export const BEAM_BACKGROUND = { tracksPerEvent: 0.3, photonsPerEvent: 0.8 } as const;

/** The thesis good-track definition (Sec. 4.2.1), used for nExtraTracks. */
export const GOOD_TRACK = { minHits: 20, maxAbsDz: 2, maxDr: 0.5, minTheta: 17, maxTheta: 150 } as const;
/** The thesis photon definition for pi0 candidates (Sec. 4.2.1). */
export const GOOD_PHOTON = { minHits: 1.5, minTheta: 17, maxTheta: 150, maxE: 0.25, maxAbsTime: 200 } as const;
/** ECL clusters below this energy are not reconstructed. */
const CLUSTER_THRESHOLD = 0.02;

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
 * ideal detector has no resolution effects and no beam background.
 */
export function simulateDetector(
  ev: Particles,
  bkgPos: number,
  bkgNeg: number,
  rng: Rng,
  tracks: Tracks,
  clusters: Clusters,
  ideal = false,
): void {
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
      addTrack(tracks, rng, kind, ev.charge[i], ev.px[i], ev.py[i], pz, E, ev.vx[i] + ipx, ev.vy[i], ev.vz[i] + ipz);
    } else if (kind === Kind.Photon) {
      addCluster(clusters, rng, E, ev.px[i] / E, ev.py[i] / E, pz / E, rng.normal() * 3);
    }
  }
  if (ideal) return;
  for (let k = 0; k < bkgPos + bkgNeg; k++) addBeamBackgroundTrack(tracks, rng, k < bkgPos ? 1 : -1);
  const photons = rng.poisson(BEAM_BACKGROUND.photonsPerEvent);
  for (let k = 0; k < photons; k++) addBeamBackgroundPhoton(clusters, rng);
}

function addTrack(
  tracks: Tracks,
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
  // Impact parameters of a straight line from the origin (the helix is flat over mm).
  const sinPhi = Math.sin(phi);
  const cosPhi = Math.cos(phi);
  const sigma = 0.002 + 0.003 / (p * beta * Math.pow(Math.sin(theta), 1.5));
  const d0 = ox * sinPhi - oy * cosPhi + resolution * sigma * rng.normal();
  tracks.dr[i] = Math.abs(d0);
  tracks.dz[i] = oz - (ox * cosPhi + oy * sinPhi) / Math.tan(thetaSmeared) + 1.5 * resolution * sigma * rng.normal();
  tracks.ox[i] = ox;
  tracks.oy[i] = oy;
  tracks.oz[i] = oz;
  tracks.sigma[i] = sigma;
  tracks.pid[i] = binaryPid(kind, p, rng);
  tracks.eclE[i] = matchedClusterEnergy(kind, pt, thetaDeg, E, rng);
  tracks.good[i] = isGoodTrack(hits, tracks.dr[i], tracks.dz[i], tracks.thetaDeg[i]) ? 1 : 0;
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
  const reach = Math.min(CM_PER_GEV * pt, CDC_OUTER, endplate);
  const layers = Math.max(0, Math.round((CDC_LAYERS * (reach - CDC_INNER)) / (CDC_OUTER - CDC_INNER)));
  const mean = layers * HIT_EFFICIENCY;
  const hits = Math.round(mean + Math.sqrt(mean * (1 - HIT_EFFICIENCY)) * rng.normal());
  return Math.min(layers, Math.max(0, hits));
}

/**
 * PID(e, mu) = L_e / (L_e + L_mu). Electrons sit near 1 and muons near 0 once they reach
 * the ECL / KLM; pions match neither hypothesis, so their ratio lands anywhere: that is how
 * pions end up as lepton candidates (thesis Fig. 4.7).
 */
function binaryPid(kind: Kind, p: number, rng: Rng): number {
  const u = rng.uniform();
  switch (kind) {
    case Kind.Electron:
      if (p > 0.4) return u < 0.94 ? 0.95 + 0.05 * rng.uniform() : u < 0.99 ? rng.range(0.1, 0.95) : 0.1 * rng.uniform();
      return u < 0.75 ? 0.9 + 0.1 * rng.uniform() : u < 0.93 ? rng.range(0.1, 0.9) : 0.1 * rng.uniform();
    case Kind.Muon:
      if (p > 0.7) return u < 0.93 ? 0.05 * rng.uniform() : u < 0.985 ? rng.range(0.05, 0.9) : rng.range(0.9, 1);
      return u < 0.55 ? 0.1 * rng.uniform() : u < 0.92 ? rng.range(0.1, 0.9) : rng.range(0.9, 1);
    default:
      return u < PION_PID.muonLike
        ? 0.1 * rng.uniform()
        : u < PION_PID.muonLike + PION_PID.between
          ? rng.range(0.1, 0.9)
          : rng.range(0.9, 1);
  }
}

/** How hadrons spread over PID(e, mu): below 0.1, between 0.1 and 0.9, the rest above 0.9. */
const PION_PID = { muonLike: 0.7, between: 0.25 } as const;

/** ECL energy of the cluster a track leaves: showers for electrons, MIP or hadronic showers otherwise. */
function matchedClusterEnergy(kind: Kind, pt: number, thetaDeg: number, E: number, rng: Rng): number {
  if (pt < ECL_MIN_PT || thetaDeg < ECL_THETA[0] || thetaDeg > ECL_THETA[1]) return 0;
  if (kind === Kind.Electron) return E * (0.93 + 0.03 * rng.normal());
  if (kind === Kind.Muon || rng.uniform() < 0.5) return 0.19 + 0.02 * rng.normal();
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
function addBeamBackgroundTrack(tracks: Tracks, rng: Rng, charge: number): void {
  const pt = 0.06 + rng.exponential(0.12);
  const cosTheta = rng.range(-0.95, 0.95);
  const pz = (pt * cosTheta) / Math.sqrt(1 - cosTheta * cosTheta);
  const phi = 2 * Math.PI * rng.uniform();
  const E = Math.hypot(pt, pz, 0.000511);
  const r = rng.exponential(1.5);
  const a = 2 * Math.PI * rng.uniform();
  // Mostly electrons and positrons from showers, but their PID is as poor as a pion's.
  addTrack(
    tracks,
    rng,
    Kind.Pion,
    charge,
    pt * Math.cos(phi),
    pt * Math.sin(phi),
    pz,
    E,
    r * Math.cos(a),
    r * Math.sin(a),
    15 * rng.normal(),
  );
}

/** Soft photons from the beams, often out of time with the collision. */
function addBeamBackgroundPhoton(clusters: Clusters, rng: Rng): void {
  const E = 0.005 + rng.exponential(0.02);
  const uz = rng.range(-0.98, 0.98);
  const s = Math.sqrt(1 - uz * uz);
  const phi = 2 * Math.PI * rng.uniform();
  const time = rng.uniform() < 0.45 ? 20 * rng.normal() : rng.range(-1000, 1000);
  addCluster(clusters, rng, E, s * Math.cos(phi), s * Math.sin(phi), uz, time);
}
