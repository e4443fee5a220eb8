// The particle record of one event: struct-of-arrays reused for every event, so generating
// millions of events allocates nothing per event. Momenta are in the CM frame (GeV),
// production vertices in the lab (cm).

/** Particle species; the final-state ones are what the detector sees. */
export enum Kind {
  Electron,
  Muon,
  Pion,
  Kaon,
  Proton,
  Photon,
  Neutrino,
  /** Long-lived neutral hadron (K_L, neutron) leaving the detector unseen. */
  NeutralHadron,
  Chi1,
  // Decayed before the detector:
  Tau,
  Pi0,
  KShort,
  Resonance,
}

export const MASS = {
  electron: 0.000511,
  muon: 0.105658,
  pion: 0.13957,
  pi0: 0.134977,
  kaon: 0.493677,
  k0: 0.497611,
  proton: 0.938272,
  tau: 1.77686,
  rho: 0.77526,
  a1: 1.23,
  dMeson: 1.8696,
  bMeson: 5.2797,
} as const;

/** Mean proper decay lengths c*tau in cm. */
export const CTAU = { tau: 0.008703, kShort: 2.6844 } as const;

const CAPACITY = 96;

export class Particles {
  n = 0;
  readonly E = new Float64Array(CAPACITY);
  readonly px = new Float64Array(CAPACITY);
  readonly py = new Float64Array(CAPACITY);
  readonly pz = new Float64Array(CAPACITY);
  readonly m = new Float64Array(CAPACITY);
  readonly kind = new Int8Array(CAPACITY);
  readonly charge = new Int8Array(CAPACITY);
  /** Production vertex in the lab, cm. */
  readonly vx = new Float64Array(CAPACITY);
  readonly vy = new Float64Array(CAPACITY);
  readonly vz = new Float64Array(CAPACITY);
  /** 1 once the particle has decayed (its daughters follow it). */
  readonly decayed = new Uint8Array(CAPACITY);
  /** 1 for a photon the detector must convert (a forced conversion; the process carries its probability). */
  readonly convert = new Uint8Array(CAPACITY);

  clear(): void {
    this.n = 0;
  }

  /** Appends a particle at rest at the origin; the caller sets its momentum. */
  add(kind: Kind, mass: number, charge: number): number {
    const i = this.n++;
    if (i >= CAPACITY) throw new Error(`event record overflow (${CAPACITY} particles)`);
    this.kind[i] = kind;
    this.m[i] = mass;
    this.charge[i] = charge;
    this.E[i] = mass;
    this.px[i] = this.py[i] = this.pz[i] = 0;
    this.vx[i] = this.vy[i] = this.vz[i] = 0;
    this.decayed[i] = 0;
    this.convert[i] = 0;
    return i;
  }

  set(i: number, px: number, py: number, pz: number): void {
    this.px[i] = px;
    this.py[i] = py;
    this.pz[i] = pz;
    this.E[i] = Math.sqrt(px * px + py * py + pz * pz + this.m[i] * this.m[i]);
  }

  /** Final-state particle the detector can see or miss (not decayed, not an intermediate). */
  isFinal(i: number): boolean {
    return this.decayed[i] === 0 && this.kind[i] <= Kind.Chi1;
  }
}
