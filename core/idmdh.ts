// The beams of SuperKEKB and the mass relations of the IDMDH model (thesis Sec. 3.1). Pure,
// because both the sweep language (which grid points exist) and the generator (what to
// simulate) need them.

/** Beam energies in GeV: the 7 GeV electrons fly along +z in the lab. */
export const E_ELECTRON_BEAM = 7;
export const E_POSITRON_BEAM = 4;
/** Centre-of-mass energy, 2 sqrt(7 * 4) = 10.583 GeV (the thesis rounds it to 10.58). */
export const SQRT_S = 2 * Math.sqrt(E_ELECTRON_BEAM * E_POSITRON_BEAM);
export const MUON_MASS = 0.1056584;

/** Couplings of Eq. 3.4-3.5: f = sqrt(4 pi alpha_f), g_X = sqrt(4 pi alpha_D), alpha_f = 0.006, alpha_D = 0.1. */
const F = Math.sqrt(4 * Math.PI * 0.006);
const G_X = Math.sqrt(4 * Math.PI * 0.1);

export interface IdmdhMasses {
  mChi1: number;
  mChi2: number;
  mHprime: number;
  mAprime: number;
}

/** m_A' = 4 m_chi1 (thesis simplification) and m_chi2 = m_chi1 + f m_A' / g_X (Eq. 3.3), about 1.98 m_chi1. */
export function idmdhMasses(mChi1: number, mHprime: number): IdmdhMasses {
  const mAprime = 4 * mChi1;
  return { mChi1, mHprime, mAprime, mChi2: mChi1 + (F * mAprime) / G_X };
}

/** Eq. 3.7 (h' chi1 chi2 must fit into sqrt(s)) and h' -> mu mu must be open. */
export function isKinematicallyOpen(mChi1: number, mHprime: number): boolean {
  const m = idmdhMasses(mChi1, mHprime);
  return m.mChi1 + m.mChi2 + m.mHprime < SQRT_S && m.mHprime > 2 * MUON_MASS;
}
