// Mass relations of the IDMDH model (thesis Sec. 3.1). Pure, because both the sweep
// language (which grid points exist) and the generator (what to simulate) need them.

/** Centre-of-mass energy of SuperKEKB in GeV. */
export const SQRT_S = 10.58;
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
