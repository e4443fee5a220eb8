// Two-track vertex fit, emulated: the chi2 comes from the distance of closest approach of
// the two true track lines over the resolution (so tracks from one vertex give a flat
// chiProb and tracks from different vertices a small one); the fitted position is poorly
// known along the pair direction when the opening angle is small, which is what makes
// collimated pairs (light h' and chi2) fail the vertex dr cut more often.
import type { Tracks } from './detector.js';
import type { Rng } from '../lib/rng.js';

export interface VertexFit {
  dr: number;
  failed: number;
  chiProb: number;
}

const fit: VertexFit = { dr: 0, failed: 0, chiProb: 0 };
/**
 * Vertex-fit emulation constants (docs/calibration.md): the fitted vertex is smeared along the
 * pair by alongScale * sigma / sin(alpha / 2), alpha the opening angle (at least minSinHalf);
 * fits fail with probability baseFailure + collinearFailure * exp(-alpha / collinearAngle).
 */
export const VERTEX = {
  alongScale: 0.5,
  minSinHalf: 0.005,
  baseFailure: 0.003,
  collinearFailure: 0.1,
  collinearAngle: 0.01,
} as const;

/** Fits tracks a and b; the returned object is reused by the next call. */
export function fitVertex(tracks: Tracks, a: number, b: number, rng: Rng): VertexFit {
  const ax = tracks.px[a] / tracks.p[a];
  const ay = tracks.py[a] / tracks.p[a];
  const az = tracks.pz[a] / tracks.p[a];
  const bx = tracks.px[b] / tracks.p[b];
  const by = tracks.py[b] / tracks.p[b];
  const bz = tracks.pz[b] / tracks.p[b];
  const cosAngle = ax * bx + ay * by + az * bz;
  const opening = Math.acos(Math.max(-1, Math.min(1, cosAngle)));
  // Closest approach of the lines O_a + s a and O_b + t b.
  const wx = tracks.ox[a] - tracks.ox[b];
  const wy = tracks.oy[a] - tracks.oy[b];
  const wz = tracks.oz[a] - tracks.oz[b];
  const d = ax * wx + ay * wy + az * wz;
  const e = bx * wx + by * wy + bz * wz;
  const denominator = 1 - cosAngle * cosAngle;
  const s = denominator > 1e-9 ? (cosAngle * e - d) / denominator : 0;
  const t = denominator > 1e-9 ? (e - cosAngle * d) / denominator : e;
  const pax = tracks.ox[a] + s * ax;
  const pay = tracks.oy[a] + s * ay;
  const paz = tracks.oz[a] + s * az;
  const pbx = tracks.ox[b] + t * bx;
  const pby = tracks.oy[b] + t * by;
  const pbz = tracks.oz[b] + t * bz;
  const sigma = Math.hypot(tracks.sigma[a], tracks.sigma[b]);
  const dca = Math.hypot(pax - pbx, pay - pby, paz - pbz);
  const z = rng.normal();
  const chi2 = (dca / sigma) ** 2 + z * z;
  fit.chiProb = erfc(Math.sqrt(chi2 / 2));
  fit.failed = rng.uniform() < VERTEX.baseFailure + VERTEX.collinearFailure * Math.exp(-opening / VERTEX.collinearAngle) ? 1 : 0;
  // Fitted vertex: the midpoint, smeared much more along the pair than across it.
  const sinHalf = Math.max(Math.sin(opening / 2), VERTEX.minSinHalf);
  const along = ((VERTEX.alongScale * sigma) / sinHalf) * rng.normal();
  const ux = ax + bx;
  const uy = ay + by;
  const uz = az + bz;
  const norm = Math.hypot(ux, uy, uz) || 1;
  const vx = 0.5 * (pax + pbx) + (along * ux) / norm + sigma * rng.normal();
  const vy = 0.5 * (pay + pby) + (along * uy) / norm + sigma * rng.normal();
  fit.dr = Math.hypot(vx, vy);
  return fit;
}

/** Complementary error function (Chebyshev fit of Numerical Recipes sec. 6.2, relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
