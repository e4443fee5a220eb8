// Closed forms of the IDMDH signal (thesis Fig. 3.1): the widths and distributions the
// generator samples, each derived in docs/generator.md ("Signal"). Pure functions of the
// masses and couplings, so that tests can hold the generated events against them.
import type { IdmdhMasses } from '../../core/idmdh.js';

/** Fine-structure constant at low energy. */
export const ALPHA = 1 / 137.036;
/** Dark fine-structure constant alpha_D = g_X^2 / 4 pi (thesis Eq. 3.5). */
export const ALPHA_D = 0.1;
/** Kinetic mixing epsilon (thesis Sec. 3.1, Table 4.2 of the defence slides: 1e-2). */
export const EPSILON = 1e-2;
/** hbar c in GeV cm: c tau = HBAR_C / Gamma. */
export const HBAR_C = 1.973269804e-14;

/** Kallen function lambda(a, b, c) = a^2 + b^2 + c^2 - 2ab - 2ac - 2bc (arguments are squared masses). */
export function kallen(a: number, b: number, c: number): number {
  return a * a + b * b + c * c - 2 * (a * b + a * c + b * c);
}

/** Momentum of either daughter of M -> m1 m2 in the rest frame of M (0 below threshold). */
export function breakupMomentum(M2: number, m1: number, m2: number): number {
  const l = kallen(M2, m1 * m1, m2 * m2);
  return l > 0 ? Math.sqrt(l) / (2 * Math.sqrt(M2)) : 0;
}

/**
 * Gamma(A' -> chi1 chi2) for a vector of squared mass M2 with the off-diagonal vector coupling
 * g_X: (alpha_D / 6) (M^2 - D^2)(2 M^2 + S^2) sqrt(lambda(M^2, m1^2, m2^2)) / M^5 with
 * D = m2 - m1, S = m2 + m1 (alpha_D M / 3 for massless chi). The epsilon^2-suppressed decays
 * into SM fermions are left out (below 1e-4 of it).
 */
export function aprimeWidth(M2: number, m1: number, m2: number, alphaD = ALPHA_D): number {
  const S = m1 + m2;
  const D = m2 - m1;
  if (M2 <= S * S) return 0;
  const M = Math.sqrt(M2);
  return ((alphaD / 6) * (M2 - D * D) * (2 * M2 + S * S) * Math.sqrt(kallen(M2, m1 * m1, m2 * m2))) / (M2 * M2 * M);
}

/**
 * Production density of e+e- -> A'(*) h', A'(*) -> chi1 chi2 in q2 = m(chi1 chi2)^2 and the
 * polar angle theta of the A'(*) in the CM frame, integrated over the chi decay angles (the
 * beams unpolarised and massless):
 *   d sigma / dq2 dcos(theta) ~ p_h p_chi / sqrt(q2) * N(q2, theta) / ((q2 - M^2)^2 + M^2 Gamma^2),
 *   N = [(1/3)(q2 - D^2)(2 q2 + S^2)(2 q2 + p_h^2 sin^2 theta)
 *        + D^2 (q2 - S^2)(1 - q2/M^2)^2 p_h^2 sin^2 theta] / q2^2,
 * p_h the h' momentum in the CM frame and p_chi the chi momentum in the A'(*) frame. On the
 * mass shell the second term vanishes and the angle follows the Higgs-strahlung form
 * p_h^2 sin^2 theta + 2 M^2.
 */
export function productionDensity(q2: number, cosTheta: number, m: IdmdhMasses, sqrtS: number, width: number): number {
  const { mChi1: m1, mChi2: m2, mHprime: mh, mAprime: M } = m;
  const S = m1 + m2;
  const D = m2 - m1;
  if (q2 <= S * S || Math.sqrt(q2) + mh >= sqrtS) return 0;
  const ph = breakupMomentum(sqrtS * sqrtS, Math.sqrt(q2), mh);
  const pchi = breakupMomentum(q2, m1, m2);
  const sin2 = 1 - cosTheta * cosTheta;
  const M2 = M * M;
  const n = ((q2 - D * D) * (2 * q2 + S * S) * (2 * q2 + ph * ph * sin2)) / 3 + D * D * (q2 - S * S) * (1 - q2 / M2) ** 2 * ph * ph * sin2;
  return (ph * pchi * n) / (q2 * q2 * Math.sqrt(q2)) / ((q2 - M2) ** 2 + M2 * width * width);
}

/**
 * d Gamma(chi2 -> chi1 l+ l-) / dq2 through an off-shell A' (vector couplings, chi2 unpolarised),
 * q2 = m(l l)^2 between 4 m_l^2 and (m2 - m1)^2:
 *   eps^2 alpha alpha_D / (12 pi m2^3) * sqrt(lambda(m2^2, m1^2, q2)) * beta (1 + 2 m_l^2/q2)
 *   * (D^2 - q2)(2 q2 + S^2) / (q2 - M^2)^2,   beta = sqrt(1 - 4 m_l^2 / q2).
 * In GeV^-1 (a width per GeV^2 of q2).
 */
export function chi2DecayDensity(q2: number, m: IdmdhMasses, lepton: number): number {
  const { mChi1: m1, mChi2: m2, mAprime: M } = m;
  const S = m1 + m2;
  const D = m2 - m1;
  const ml2 = lepton * lepton;
  if (q2 <= 4 * ml2 || q2 >= D * D) return 0;
  const beta = Math.sqrt(1 - (4 * ml2) / q2);
  const l = Math.sqrt(Math.max(0, kallen(m2 * m2, m1 * m1, q2)));
  const coupling = (EPSILON * EPSILON * ALPHA * ALPHA_D) / (12 * Math.PI * m2 * m2 * m2);
  return (coupling * l * beta * (1 + (2 * ml2) / q2) * (D * D - q2) * (2 * q2 + S * S)) / (q2 - M * M) ** 2;
}

/**
 * A bound of chi2DecayDensity over the whole q2 range: every factor is monotonic in q2, and
 * beta (1 + 2 m_l^2/q2) <= 1; each factor at its largest end.
 */
export function chi2DecayDensityBound(m: IdmdhMasses): number {
  const { mChi1: m1, mChi2: m2, mAprime: M } = m;
  const S = m1 + m2;
  const D = m2 - m1;
  const coupling = (EPSILON * EPSILON * ALPHA * ALPHA_D) / (12 * Math.PI * m2 * m2 * m2);
  return (coupling * Math.sqrt(kallen(m2 * m2, m1 * m1, 0)) * D * D * (2 * D * D + S * S)) / (M * M - D * D) ** 2;
}

/** Gamma(chi2 -> chi1 l+ l-) in GeV: chi2DecayDensity integrated (Simpson in q = sqrt(q2)). */
export function chi2PartialWidth(m: IdmdhMasses, lepton: number): number {
  const lo = 2 * lepton;
  const hi = m.mChi2 - m.mChi1;
  if (hi <= lo) return 0;
  const n = 4000;
  const h = (hi - lo) / n;
  let sum = 0;
  for (let k = 0; k <= n; k++) {
    const q = lo + k * h;
    const f = 2 * q * chi2DecayDensity(q * q, m, lepton);
    sum += f * (k === 0 || k === n ? 1 : k % 2 === 1 ? 4 : 2);
  }
  return (sum * h) / 3;
}

/** Total chi2 width: e+e- and mu+mu- (hadronic channels are left out; see docs/generator.md). */
export function chi2Width(m: IdmdhMasses): number {
  return chi2PartialWidth(m, 0.000511) + chi2PartialWidth(m, 0.105658);
}

/** Proper decay length c tau of the chi2 in cm. */
export function chi2DecayLength(m: IdmdhMasses): number {
  return HBAR_C / chi2Width(m);
}

/**
 * kappa of the lepton angle in chi2 -> chi1 A'*(-> l+ l-): in the l+ l- rest frame the lepton
 * makes the angle theta* with the chi1 direction with density 1 - kappa cos^2(theta*),
 *   kappa = q2 |A|^2 beta^2 / (X (q2 + 2 m_l^2) + q2 |A|^2),
 * X = (D^2 - q2)/2 and |A| the chi1 momentum in that frame.
 */
export function leptonAngleKappa(q2: number, m: IdmdhMasses, lepton: number): number {
  const { mChi1: m1, mChi2: m2 } = m;
  const D = m2 - m1;
  const ml2 = lepton * lepton;
  const X = (D * D - q2) / 2;
  const A2 = Math.max(0, kallen(m2 * m2, m1 * m1, q2)) / (4 * q2);
  const beta2 = 1 - (4 * ml2) / q2;
  const denominator = X * (q2 + 2 * ml2) + q2 * A2;
  return denominator > 0 ? (q2 * A2 * beta2) / denominator : 0;
}
