// The ensemble runner on real score artifacts: the mean MSE event by event, a scan of it, and
// members whose events do not line up.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EnsembleParams } from '../../core/dag.js';
import { runEnsemble } from '../../activities/ensemble/index.js';
import { numericColumn, readTable, writeTable } from '../../activities/lib/parquet.js';
import { runScan } from '../../activities/scan/index.js';
import { readScanFile } from '../../activities/scan/format.js';
import { SCORES_FILE } from '../../activities/score/format.js';
import { input, nodeContext, removeTempDirs, scanParams, tempDir, writeScoreArtifact, type ModelSpec } from '../scan/fixtures.js';

afterAll(removeTempDirs);

const SPEC: ModelSpec = { architecture: 'AE', latentDim: 2 };
const PARAMS: EnsembleParams = {
  model: 'AE-l2-ens',
  architecture: 'AE',
  latentDim: 2,
  background: 'all',
  axes: {},
  members: ['AE-l2-s1', 'AE-l2-s2', 'AE-l2-s3'],
};

/** Three members' score artifacts: the same events, each with its own scatter of the MSE. */
async function members(root: string) {
  return Promise.all(
    [1, 2, 3].map(async (seed) => input('score', `score/all/AE-l2-s${seed}`, await writeScoreArtifact(join(root, `s${seed}`), SPEC, seed))),
  );
}

describe('ensemble', () => {
  it('writes the mean MSE of its members for every event, which the scan reads as a model', async () => {
    const inputs = await members(await tempDir('ensemble'));
    const ctx = await nodeContext('ensemble', PARAMS, inputs);
    const summary = await runEnsemble(ctx);
    expect(summary).toMatchObject({ members: 3 });

    const mean = await readTable(join(ctx.outDir, SCORES_FILE), ['sample', 'event', 'mse']);
    const memberMse = await Promise.all(
      inputs.map(async (i) => numericColumn(await readTable(join(i.dir, SCORES_FILE), ['mse']), 'mse', i.dir)),
    );
    const mse = numericColumn(mean, 'mse', ctx.outDir);
    expect(mean.numRows).toBe(memberMse[0]!.length);
    for (const i of [0, 17, mean.numRows - 1]) {
      expect(mse[i]).toBeCloseTo((memberMse[0]![i]! + memberMse[1]![i]! + memberMse[2]![i]!) / 3, 12);
    }
    // Latent spaces of different seeds are not aligned: the ensemble has no latent columns.
    expect(Object.keys((await readTable(join(ctx.outDir, SCORES_FILE))).columns)).not.toContain('z0');

    const scanCtx = await nodeContext('scan', { ...scanParams(SPEC), model: PARAMS.model, ensembleOf: PARAMS.members }, [
      input('ensemble', 'ensemble/all/AE-l2-ens', ctx.outDir),
    ]);
    await runScan(scanCtx);
    const scan = await readScanFile(scanCtx.outDir);
    expect(scan.ensembleOf).toEqual(PARAMS.members);
    expect(scan.signals.length).toBeGreaterThan(0);
    expect(scan.signals.every((s) => Number.isFinite(s.maximum.pfom))).toBe(true);
  });

  it('refuses to average members whose events do not line up, naming both', async () => {
    const root = await tempDir('ensemble-misaligned');
    const inputs = await members(root);
    // The second member lists its events in another order.
    const path = join(inputs[1]!.dir, SCORES_FILE);
    const table = await readTable(path);
    const event = Int32Array.from(table.columns.event as Int32Array);
    [event[0], event[1]] = [event[1]!, event[0]!];
    await writeTable(path, { numRows: table.numRows, columns: { ...table.columns, event } });
    const ctx = await nodeContext('ensemble', PARAMS, inputs);
    await expect(runEnsemble(ctx)).rejects.toThrow(/score\/all\/AE-l2-s1 and score\/all\/AE-l2-s2 do not list the same events/);
  });

  it('a latent score of an ensemble is refused with the fix', async () => {
    const inputs = await members(await tempDir('ensemble-latent'));
    const ctx = await nodeContext('ensemble', PARAMS, inputs);
    await runEnsemble(ctx);
    const scanCtx = await nodeContext('scan', { ...scanParams(SPEC, 'latent:0'), model: PARAMS.model, ensembleOf: PARAMS.members }, [
      input('ensemble', 'ensemble/all/AE-l2-ens', ctx.outDir),
    ]);
    await expect(runScan(scanCtx)).rejects.toThrow(/ensemble.*mse/);
  });
});
