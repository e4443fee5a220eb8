import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { readTable, writeTable } from '../../activities/lib/parquet.js';
import { backgroundCurve, signalCurve } from '../../activities/scan/pfom.js';
import { runScan } from '../../activities/scan/index.js';
import { readScanFile, type ScanFile } from '../../activities/scan/format.js';
import { SCORES_FILE, readSamples } from '../../activities/score/format.js';
import { BACKGROUND, input, nodeContext, scanParams, removeTempDirs, tempDir, writeScoreArtifact, type ModelSpec } from './fixtures.js';

const AE2: ModelSpec = { architecture: 'AE', latentDim: 2 };

async function scan(
  scoreDir: string,
  spec: ModelSpec,
  score = 'mse',
): Promise<{ scan: ScanFile; outDir: string; summary: Record<string, unknown> }> {
  const ctx = await nodeContext('scan', scanParams(spec, score), [input('score', 'score/x', scoreDir)]);
  const summary = await runScan(ctx);
  return { scan: await readScanFile(ctx.outDir), outDir: ctx.outDir, summary };
}

/** The scan recomputed straight from the Parquet file with the pure functions, per signal maximum. */
async function direct(scoreDir: string, column: string) {
  const table = await readTable(join(scoreDir, SCORES_FILE));
  const kinds = new Map((await readSamples(scoreDir)).map((s) => [s.name, s.kind]));
  const names = table.columns.sample as string[];
  const split = table.columns.split as Uint8Array;
  const score = table.columns[column] as Float64Array;
  const weight = table.columns.weight as Float64Array;
  const rows = (keep: (i: number) => boolean) => {
    const idx = Array.from({ length: table.numRows }, (_, i) => i).filter(keep);
    return { scores: Float64Array.from(idx, (i) => score[i]), weights: Float64Array.from(idx, (i) => weight[i]) };
  };
  const bg = backgroundCurve(
    rows((i) => kinds.get(names[i]) === 'background' && split[i] === 1),
    { quantiles: [0.01, 0.99], steps: 100 },
  );
  const signals = [...kinds].filter(([, kind]) => kind === 'signal').map(([name]) => name);
  return {
    bg,
    maxima: new Map(
      signals.map((name) => [
        name,
        signalCurve(
          bg,
          rows((i) => names[i] === name),
          1,
        ),
      ]),
    ),
  };
}

afterAll(removeTempDirs);

describe('runScan on a score artifact on disk', () => {
  let scoreDir: string;
  beforeAll(async () => {
    scoreDir = await writeScoreArtifact(join(await tempDir('score'), 'a'), AE2);
  });

  it('scans every signal against the background test split only and writes scan.json and maxima.csv', async () => {
    const { scan: result, outDir, summary } = await scan(scoreDir, AE2);
    const expected = await direct(scoreDir, 'mse');
    expect(result.signals).toHaveLength(expected.maxima.size);
    // The fixture gives the training split absurd scores: a grid reaching them would mean it leaked in.
    expect(result.grid.end).toBeLessThan(1e3);
    expect(result.backgroundEvents).toBe(BACKGROUND.reduce((n, b) => n + b.events - Math.ceil(b.events / 3), 0));
    expect(result.grid.count).toBe(expected.bg.grid.count);
    for (const s of result.signals) {
      const curve = expected.maxima.get(s.sample)!;
      expect(s.maximum.pfom).toBeCloseTo(curve.pfom[curve.best], 12);
      expect(s.maximum.threshold).toBe(expected.bg.grid.start + curve.best * expected.bg.grid.step);
      expect(s.maximum.nBackgroundAbove).toBeCloseTo(expected.bg.weighted[curve.best], 9);
      // eff_generated = eff_selected x selectedWeighted / generatedWeighted = eff_selected x 1.5 / 5.
      expect(s.maximum.effGenerated).toBeCloseTo(s.maximum.effSelected * 0.3, 12);
      expect(s.noCut.pfom).toBeCloseTo(1 / (0.5 + Math.sqrt(result.backgroundTotal)), 12);
    }
    const light = result.signals.find((s) => s.mChi1 === 0.5 && s.mHprime === 0.5)!;
    expect(light.maximum.pfom).toBeGreaterThan(light.noCut.pfom);
    expect(summary).toMatchObject({ signals: result.signals.length, thresholds: result.grid.count });

    const csv = (await readFile(join(outDir, 'maxima.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe(
      'model,architecture,latentDim,background,learning_rate,batch_size,hidden_layers,beta,dvae_beta,seed,ensemble_of,signal,trained_on_signal,m_chi1,m_hprime,max_pfom,eff_selected,eff_generated,threshold,n_background_above,background_events_above,pfom_no_cut',
    );
    expect(csv).toHaveLength(result.signals.length + 1);
    const header = csv[0].split(',');
    const lightRow = csv.find((line) => line.includes(light.sample))!.split(',');
    expect(Number(lightRow[header.indexOf('max_pfom')])).toBe(light.maximum.pfom);
    expect(Number(lightRow[header.indexOf('threshold')])).toBe(light.maximum.threshold);
  });

  it('scans a latent coordinate instead of the MSE (scan.score latent:<i>)', async () => {
    const { scan: result } = await scan(scoreDir, AE2, 'latent:1');
    const expected = await direct(scoreDir, 'z1');
    expect(result.score).toBe('latent:1');
    expect(result.grid.quantileValues).toEqual(expected.bg.grid.quantileValues);
    expect(result.grid.start).toBeLessThan(0); // latent coordinates are not positive like the MSE
    for (const s of result.signals) {
      const curve = expected.maxima.get(s.sample)!;
      expect(s.maximum.pfom).toBeCloseTo(curve.pfom[curve.best], 12);
    }
  });

  it('rejects a latent index the model does not have, and an unknown score, naming the fix', async () => {
    await expect(scan(scoreDir, AE2, 'latent:2')).rejects.toThrow(UserError);
    await expect(scan(scoreDir, AE2, 'latent:2')).rejects.toThrow(/latentDim 2 \(latent:0 \.\. latent:1\)/);
    await expect(scan(scoreDir, AE2, 'energy')).rejects.toThrow(/use 'mse' or 'latent:<i>'/);
  });

  it('refuses NaN scores with a message naming the sample and what to do', async () => {
    const dir = await writeScoreArtifact(join(await tempDir('nan'), 'a'), AE2);
    const table = await readTable(join(dir, SCORES_FILE));
    (table.columns.mse as Float64Array)[table.numRows - 1] = NaN;
    await writeTable(join(dir, SCORES_FILE), table);
    const error = await scan(dir, AE2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/1 events of sample 'idmdh_mchi1_3_mhprime_3' have a non-finite score 'mse'.*Retrain/);
  });

  it('refuses a score artifact without background test events', async () => {
    const dir = await writeScoreArtifact(join(await tempDir('notest'), 'a'), AE2);
    const table = await readTable(join(dir, SCORES_FILE));
    (table.columns.split as Uint8Array).fill(0);
    await writeTable(join(dir, SCORES_FILE), table);
    await expect(scan(dir, AE2)).rejects.toThrow(/no background test events.*testFraction/);
  });
});
