import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScan } from '../../activities/scan/index.js';
import { readScanFile } from '../../activities/scan/format.js';
import { modelsCsv, scanCsv } from '../../client/tables.js';
import { settingsOf } from '../../core/models.js';
import {
  input,
  modelName,
  nodeContext,
  scanParams,
  removeTempDirs,
  tempDir,
  trainParams,
  writeScoreArtifact,
  type ModelSpec,
} from './fixtures.js';

function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text
    .trim()
    .split('\n')
    .map((line) => line.split(','));
  return lines.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i]])));
}

afterAll(removeTempDirs);

describe('--out tables', () => {
  it('scan.csv has one row per model and signal with the maxima of scan.json, in matrix order', async () => {
    const specs: ModelSpec[] = [
      { architecture: 'VAE', latentDim: 1 },
      { architecture: 'AE', latentDim: 2 },
    ];
    const root = await tempDir('tables');
    const scans = [];
    for (const [i, spec] of specs.entries()) {
      const scoreDir = await writeScoreArtifact(join(root, `score-${i}`), spec, i + 7);
      const ctx = await nodeContext('scan', scanParams(spec), [input('score', 's', scoreDir)]);
      await runScan(ctx);
      scans.push(await readScanFile(ctx.outDir));
    }
    const text = scanCsv(scans);
    expect(text.split('\n')[0]).toBe(
      'model,architecture,latentDim,background,learning_rate,batch_size,hidden_layers,beta,dvae_beta,seed,ensemble_of,signal,trained_on_signal,m_chi1,m_hprime,max_pfom,eff_selected,eff_generated,threshold,n_background_above',
    );
    const rows = parseCsv(text);
    expect(rows).toHaveLength(scans[0].signals.length + scans[1].signals.length);
    expect(rows[0].model).toBe(modelName(specs[1])); // AE before VAE
    for (const scan of scans) {
      for (const signal of scan.signals) {
        const row = rows.find((r) => r.model === scan.model && r.signal === signal.sample)!;
        expect(Number(row.max_pfom)).toBe(signal.maximum.pfom);
        expect(Number(row.eff_generated)).toBe(signal.maximum.effGenerated);
        expect(Number(row.m_chi1)).toBe(signal.mChi1);
        expect(Number(row.n_background_above)).toBe(signal.maximum.nBackgroundAbove);
      }
    }
  });

  it('models.csv leaves val_kl empty for AEs and every number empty for a model whose training failed', () => {
    const summary = { bestEpoch: 12, valLoss: 0.2, valMse: 0.15, valKl: 0.5, epochs: 27, seconds: 310.5, backend: 'wasm', attempts: 2 };
    const outcome = (spec: ModelSpec) => {
      const params = trainParams(spec);
      return { params: { ...params, settings: settingsOf(params.training) } };
    };
    const text = modelsCsv([
      { ...outcome({ architecture: 'VAE', latentDim: 3 }), summary },
      outcome({ architecture: 'DVAE', latentDim: 2 }),
      { ...outcome({ architecture: 'AE', latentDim: 3 }), summary: { ...summary, valKl: 0 } },
    ]);
    expect(text.split('\n')[0]).toBe(
      'model,architecture,latentDim,background,learning_rate,batch_size,hidden_layers,beta,dvae_beta,seed,best_epoch,val_loss,val_mse,val_kl,epochs,seconds,backend,attempts,trained_on,signal_events',
    );
    const rows = parseCsv(text);
    expect(rows.map((r) => r.model)).toEqual(['all/AE-l3', 'all/VAE-l3', 'all/DVAE-l2']);
    // beta weighs only the VAE's KL term and dvaeBeta only the DVAE's: empty where they change nothing.
    expect(rows[0]).toMatchObject({ beta: '', dvae_beta: '', hidden_layers: '100x100x100' });
    expect(rows[1].beta).not.toBe('');
    expect(rows[2].dvae_beta).not.toBe('');
    expect(rows[0]).toMatchObject({ val_kl: '', val_loss: '0.2', best_epoch: '12', backend: 'wasm', attempts: '2' });
    expect(rows[1]).toMatchObject({ val_kl: '0.5', seconds: '310.5' });
    expect(rows[2]).toMatchObject({ architecture: 'DVAE', latentDim: '2', best_epoch: '', val_loss: '', backend: '', attempts: '' });
  });
});
