// The IDMDH signal of thesis Fig. 3.1: e+e- -> h' A'*, A'* -> chi1 chi2, h' -> mu+ mu-,
// chi2 -> chi1 e+ e- (via an off-shell A'), chi1 invisible; prompt decays.
import { idmdhMasses, isKinematicallyOpen, SQRT_S, type IdmdhMasses } from '../../core/idmdh.js';
import { UserError } from '../../core/errors.js';
import { phaseSpaceDecay } from './kinematics.js';
import { Kind, MASS, type Particles } from './particles.js';
import type { Rng } from '../lib/rng.js';

export function checkMassPoint(sample: string, mChi1: number | undefined, mHprime: number | undefined): IdmdhMasses {
  if (mChi1 === undefined || mHprime === undefined || !(mChi1 > 0) || !(mHprime > 0)) {
    throw new UserError(`signal sample ${sample}: needs positive m_chi1 and m_hprime (GeV) to generate IDMDH events.`);
  }
  const m = idmdhMasses(mChi1, mHprime);
  if (!isKinematicallyOpen(mChi1, mHprime)) {
    throw new UserError(
      `signal sample ${sample}: the mass point m_chi1 = ${mChi1}, m_hprime = ${mHprime} GeV cannot be produced at ` +
        `sqrt(s) = ${SQRT_S.toFixed(2)} GeV: m_chi1 + m_chi2 + m_hprime = ${(m.mChi1 + m.mChi2 + m.mHprime).toFixed(2)} GeV ` +
        `(m_chi2 = ${m.mChi2.toFixed(2)} GeV from Eq. 3.3; thesis Eq. 3.7 requires less than sqrt(s); h' -> mu mu needs m_hprime > 0.21 GeV). ` +
        `Leave the point out of samples.signal (its grid or its where condition).`,
    );
  }
  return m;
}

/** Fills `ev` with one signal event in the CM frame. */
export function generateIdmdh(ev: Particles, m: IdmdhMasses, rng: Rng): void {
  ev.clear();
  const beam = ev.add(Kind.Resonance, SQRT_S, 0);
  const hprime = ev.add(Kind.Resonance, m.mHprime, 0);
  ev.add(Kind.Chi1, m.mChi1, 0);
  const chi2 = ev.add(Kind.Resonance, m.mChi2, 0);
  phaseSpaceDecay(ev, beam, hprime, 3, rng);
  const mu = ev.add(Kind.Muon, MASS.muon, -1);
  ev.add(Kind.Muon, MASS.muon, 1);
  phaseSpaceDecay(ev, hprime, mu, 2, rng);
  const chi1 = ev.add(Kind.Chi1, m.mChi1, 0);
  ev.add(Kind.Electron, MASS.electron, -1);
  ev.add(Kind.Electron, MASS.electron, 1);
  phaseSpaceDecay(ev, chi2, chi1, 3, rng);
}
