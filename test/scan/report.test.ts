import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputArtifact } from '../../activities/engine/context.js';
import { parseHistory } from '../../activities/report/history.js';
import { runReport } from '../../activities/report/index.js';
import { runScan } from '../../activities/scan/index.js';
import {
  EXAMPLES,
  input,
  nodeContext,
  scanParams,
  removeTempDirs,
  tempDir,
  writeScoreArtifact,
  writeTrainArtifact,
  type ModelSpec,
} from './fixtures.js';

const MODELS: ModelSpec[] = [
  { architecture: 'AE', latentDim: 1 },
  { architecture: 'AE', latentDim: 2 },
  { architecture: 'VAE', latentDim: 2 },
  { architecture: 'DVAE', latentDim: 3 },
];
const PNG_MAGIC = '89504e470d0a1a0a';

/** Scan and train artifacts of a small sweep; the DVAE's training "failed", so it has no scan. */
async function sweepInputs(): Promise<InputArtifact[]> {
  const root = await tempDir('report-inputs');
  const inputs: InputArtifact[] = [];
  for (const [i, spec] of MODELS.entries()) {
    const trainDir = join(root, `train-${i}`);
    const summary = await writeTrainArtifact(trainDir, spec);
    inputs.push(input('train', `train/${i}`, trainDir, summary));
    if (spec.architecture === 'DVAE') continue;
    const scoreDir = await writeScoreArtifact(join(root, `score-${i}`), spec, i + 1);
    const ctx = await nodeContext('scan', scanParams(spec), [input('score', `score/${i}`, scoreDir)]);
    await runScan(ctx);
    inputs.push(input('scan', `scan/${i}`, ctx.outDir));
  }
  return inputs;
}

afterAll(removeTempDirs);

describe('runReport renders a static page with real images', () => {
  let outDir: string;
  let html: string;
  let summary: Record<string, unknown>;
  beforeAll(async () => {
    const examples = [...EXAMPLES, { name: 'offgrid', mChi1: 7, mHprime: 7 }];
    const ctx = await nodeContext('report', { sweep: 'tiny', luminosityFb: 100, examples, heatmapModel: 'AE-l2' }, await sweepInputs());
    summary = await runReport(ctx);
    outDir = ctx.outDir;
    html = await readFile(join(outDir, 'index.html'), 'utf8');
  }, 120_000);

  it('references only images that exist next to it, as relative links, all valid PNGs', async () => {
    const sources = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(sources).size).toBe(summary.figures);
    for (const src of sources) {
      expect(src).toMatch(/^img\/[A-Za-z0-9_.-]+\.png$/);
      const bytes = await readFile(join(outDir, src));
      expect(bytes.subarray(0, 8).toString('hex')).toBe(PNG_MAGIC);
      expect((await stat(join(outDir, src))).size).toBeGreaterThan(5_000);
    }
  });

  it('has the figures of the thesis for every model that got that far', () => {
    const images = [...html.matchAll(/<img src="img\/([^"]+)"/g)].map((m) => m[1]);
    for (const fixed of ['max-pfom-vs-latent-dim.png', 'validation-loss.png', 'heatmaps-all_AE-l2.png', 'latent-all_AE-l2.png'])
      expect(images).toContain(fixed);
    for (const model of ['all_AE-l1', 'all_AE-l2', 'all_VAE-l2']) {
      for (const kind of ['training', 'scores', 'pfom', 'heatmaps']) expect(images).toContain(`${kind}-${model}.png`);
    }
    // The failed DVAE still shows its training curves, and is listed as not scanned.
    expect(images).toContain('training-all_DVAE-l3.png');
    expect(images).not.toContain('scores-all_DVAE-l3.png');
    expect(html).toMatch(/Not scanned \(training failed or skipped\): all\/DVAE-l3/);
  });

  it('names the best model per example and the examples that are not in the grid', () => {
    expect(html).toContain('Best model per example signal');
    for (const example of EXAMPLES) expect(html).toContain(`${example.name} (m_χ1 = ${example.mChi1}, m_h′ = ${example.mHprime})`);
    expect(html).toMatch(/Example signals not in the mass grid \(not shown\): offgrid/);
  });
});

describe('parseHistory', () => {
  it('reads flat and nested per-epoch records, the learning rate, and skips timings', () => {
    const history = parseHistory([
      { epoch: 1, lr: 1e-3, seconds: 2, loss: 0.5, val: { mse: 0.4, kl: 0.1, seconds: 1 } },
      { epoch: 2, lr: 1e-4, seconds: 2, loss: 0.3, val: { mse: 0.2, kl: 0.05 } },
    ]);
    expect(history.lr).toEqual([
      { epoch: 1, value: 1e-3 },
      { epoch: 2, value: 1e-4 },
    ]);
    expect(history.losses.filter((p) => p.epoch === 2)).toEqual([
      { epoch: 2, term: 'loss', value: 0.3 },
      { epoch: 2, term: 'val.mse', value: 0.2 },
      { epoch: 2, term: 'val.kl', value: 0.05 },
    ]);
    expect(parseHistory({ epochs: [{ loss: 1 }] }).losses).toEqual([{ epoch: 1, term: 'loss', value: 1 }]);
  });
});
