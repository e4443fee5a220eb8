import { describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { idmdhMasses, isKinematicallyOpen, SQRT_S } from '../../core/idmdh.js';
import { generateIdmdh, signalModel } from '../../activities/generate/idmdh.js';
import { BETA_CM, GAMMA_CM, labE, labPz } from '../../activities/generate/kinematics.js';
import { Kind, Particles } from '../../activities/generate/particles.js';
import { PROCESSES } from '../../activities/generate/processes.js';
import { Rng } from '../../activities/lib/rng.js';
import { generateSample } from '../../activities/generate/sample.js';
import { numericColumn } from '../../activities/lib/parquet.js';

/** Sum of the four-momenta of everything that leaves the collision (visible or not). */
function finalStateSum(ev: Particles): [number, number, number, number] {
  const sum: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < ev.n; i++) {
    if (!ev.isFinal(i)) continue;
    sum[0] += ev.E[i];
    sum[1] += ev.px[i];
    sum[2] += ev.py[i];
    sum[3] += ev.pz[i];
  }
  return sum;
}

describe('beam and boost', () => {
  it('has sqrt(s) = 10.58 GeV and boosts the CM rest frame to the lab beams (11, 0, 0, 3) GeV', () => {
    expect(SQRT_S).toBeCloseTo(10.583, 3);
    expect(labE(SQRT_S, 0)).toBeCloseTo(7 + 4, 12);
    expect(labPz(SQRT_S, 0)).toBeCloseTo(7 - 4, 12);
    expect(GAMMA_CM * GAMMA_CM * (1 - BETA_CM * BETA_CM)).toBeCloseTo(1, 12);
  });
});

describe('generated events conserve four-momentum', () => {
  for (const [process, model] of Object.entries(PROCESSES)) {
    it(`${process}: the final state adds up to (sqrt(s), 0, 0, 0)`, () => {
      const rng = Rng.fromSeed(11);
      const ev = new Particles();
      let checked = 0;
      for (let k = 0; k < 300; k++) {
        // One overlay track of each charge, so that no process skips its event early.
        model.generate(ev, rng, 1, 1);
        if (ev.n === 0) continue;
        const [E, px, py, pz] = finalStateSum(ev);
        // Rounding through up to five nested boosts stays far below 1e-8 GeV.
        expect(E).toBeCloseTo(SQRT_S, 8);
        expect(Math.hypot(px, py, pz)).toBeLessThan(1e-8);
        for (let i = 0; i < ev.n; i++) {
          // Every particle is on its mass shell.
          const m2 = ev.E[i] ** 2 - ev.px[i] ** 2 - ev.py[i] ** 2 - ev.pz[i] ** 2;
          expect(Math.sqrt(Math.max(0, m2))).toBeCloseTo(ev.m[i], 6);
        }
        checked++;
      }
      expect(checked).toBeGreaterThan(100);
    });
  }

  it('idmdh: the final state adds up to (sqrt(s), 0, 0, 0) and holds mu+ mu- e+ e- and two chi1', () => {
    const rng = Rng.fromSeed(5);
    const ev = new Particles();
    const model = signalModel(idmdhMasses(1.5, 1));
    for (let k = 0; k < 300; k++) {
      generateIdmdh(ev, model, rng);
      const [E, px, py, pz] = finalStateSum(ev);
      expect(E).toBeCloseTo(SQRT_S, 9);
      expect(Math.hypot(px, py, pz)).toBeLessThan(1e-9);
      const kinds = Array.from({ length: ev.n }, (_, i) => i)
        .filter((i) => ev.isFinal(i))
        .map((i) => ev.kind[i])
        .sort();
      expect(kinds).toEqual([Kind.Electron, Kind.Electron, Kind.Muon, Kind.Muon, Kind.Chi1, Kind.Chi1].sort());
    }
  });
});

describe('IDMDH masses', () => {
  it('uses m_A = 4 m_chi1 and m_chi2 = m_chi1 + f m_A / g_X (about 1.98 m_chi1)', () => {
    const m = idmdhMasses(1, 0.5);
    expect(m.mAprime).toBe(4);
    expect(m.mChi2).toBeCloseTo(1 + (4 * Math.sqrt(4 * Math.PI * 0.006)) / Math.sqrt(4 * Math.PI * 0.1), 12);
    expect(m.mChi2).toBeCloseTo(1.98, 2);
  });

  it('refuses a mass point whose final state is heavier than sqrt(s) (Eq. 3.7)', async () => {
    expect(isKinematicallyOpen(3, 1.5)).toBe(true);
    expect(isKinematicallyOpen(3, 2)).toBe(false);
    const sample = { name: 'idmdh_3_2', kind: 'signal' as const, process: 'idmdh', mChi1: 3, mHprime: 2, luminosityFb: 100 };
    await expect(generateSample(sample, { events: 10, seed: 1 })).rejects.toThrow(UserError);
    await expect(generateSample(sample, { events: 10, seed: 1 })).rejects.toThrow(/cannot be produced at sqrt\(s\) = 10.58 GeV.*10.94 GeV/);
  });
});

describe('signal reconstruction with an ideal detector (no resolution, no beam background)', () => {
  it("puts the h' -> mu mu candidate at m_h' and the missing mass above 2 m_chi1", async () => {
    const mChi1 = 1.5;
    const mHprime = 1;
    const sample = { name: 's', kind: 'signal' as const, process: 'idmdh', mChi1, mHprime, luminosityFb: 100 };
    const { table } = await generateSample(sample, { events: 3000, seed: 9, idealDetector: true });
    const event = numericColumn(table, 'event', 't');
    const mass = numericColumn(table, 'hprime_M', 't');
    const eeMass = numericColumn(table, 'chi2_M', 't');
    const events = new Set(event);
    const exact = new Set<number>();
    for (let r = 0; r < table.numRows; r++) if (Math.abs(mass[r] - mHprime) < 1e-6) exact.add(event[r]);
    // The true muon pair is among the candidates of almost every event (the rest lost a muon to PID).
    expect(exact.size / events.size).toBeGreaterThan(0.9);
    const { mChi2 } = idmdhMasses(mChi1, mHprime);
    const missE = numericColumn(table, 'missE', 't');
    const p = ['missPx', 'missPy', 'missPz'].map((c) => numericColumn(table, c, 't'));
    for (let r = 0; r < table.numRows; r++) {
      if (Math.abs(mass[r] - mHprime) >= 1e-6) continue;
      // chi2 -> chi1 e e: the e e mass is below the splitting; two chi1 escape.
      expect(eeMass[r]).toBeLessThan(mChi2 - mChi1 + 1e-9);
      const missingMass2 = missE[r] ** 2 - p[0][r] ** 2 - p[1][r] ** 2 - p[2][r] ** 2;
      expect(Math.sqrt(missingMass2)).toBeGreaterThan(2 * mChi1 - 1e-6);
    }
  });

  it('is reproducible: the same seed gives the same ntuple, another seed a different one', async () => {
    const sample = { name: 'tautau', kind: 'background' as const, process: 'tautau', luminosityFb: 100 };
    const a = await generateSample(sample, { events: 20000, seed: 4 });
    const b = await generateSample(sample, { events: 20000, seed: 4 });
    const c = await generateSample(sample, { events: 20000, seed: 5 });
    expect(a.table.numRows).toBeGreaterThan(1000);
    expect(b.table).toEqual(a.table);
    expect(c.table.columns.missE).not.toEqual(a.table.columns.missE);
  });

  it('weights a background sample to sigma x luminosity and names unknown processes', async () => {
    const sample = { name: 'uubar', kind: 'background' as const, process: 'uubar', luminosityFb: 50 };
    const result = await generateSample(sample, { events: 5000, seed: 2 });
    expect(result.generatedWeighted).toBeCloseTo(160.5e6 / 2, 0);
    const weight = numericColumn(result.table, 'weight', 't');
    // Every generated event stands for sigma L P(4 prongs) / N.
    expect(weight[0]).toBeCloseTo((result.generatedWeighted * PROCESSES.uubar.filterProbability) / 5000, 6);
    await expect(generateSample({ ...sample, process: 'uubbar' }, { events: 10, seed: 1 })).rejects.toThrow(
      /no process 'uubbar'; choose one of tautau, .*uubar/,
    );
  });
});
