import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputArtifact } from '../../activities/engine/context.js';
import { matchExamples } from '../../activities/report/examples.js';
import { scoreHistogramSpec } from '../../activities/report/figures/scores.js';
import { heatmapsSpec, maxPfomVsAxisSpec, maxPfomVsLatentDimSpec, plottedAxes } from '../../activities/report/figures/sensitivity.js';
import { trainingCurvesSpec } from '../../activities/report/figures/training.js';
import { parseHistory } from '../../activities/report/history.js';
import { runReport } from '../../activities/report/index.js';
import { renderSvg } from '../../activities/report/render.js';
import { readScanFile, type ScanFile } from '../../activities/scan/format.js';
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

/** One model's scan of the fixture data. */
async function fixtureScan(): Promise<ScanFile> {
  const spec: ModelSpec = { architecture: 'AE', latentDim: 2 };
  const scoreDir = await writeScoreArtifact(join(await tempDir('figure-score'), 'score'), spec, 3);
  const ctx = await nodeContext('scan', scanParams(spec), [input('score', 'score/0', scoreDir)]);
  await runScan(ctx);
  return readScanFile(ctx.outDir);
}

describe('report figures', () => {
  let scan: ScanFile;
  beforeAll(async () => {
    scan = await fixtureScan();
  }, 60_000);

  it('heat maps: cell labels of thesis-size PFOMs (1e-3) fit their cells, in a power of ten named in the title', async () => {
    // The thesis' PFOMs are around 8e-4: scale the fixture's to that size.
    const thesisLike = { ...scan, signals: scan.signals.map((s) => ({ ...s, maximum: { ...s.maximum, pfom: s.maximum.pfom * 1e-2 } })) };
    const largest = Math.max(...thesisLike.signals.map((s) => s.maximum.pfom));
    expect(largest).toBeLessThan(0.01);
    const svg = await renderSvg(heatmapsSpec(thesisLike));
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
    const numbers = texts.filter((t) => t !== '' && Number.isFinite(Number(t)));
    expect(numbers.length).toBeGreaterThan(3 * thesisLike.signals.length);
    for (const label of numbers) expect(label.length, `label "${label}"`).toBeLessThanOrEqual(6);
    const power = Math.floor(Math.log10(largest)) - 1;
    expect(texts).toContain(
      `max PFOM [10${String(power)
        .replace('-', '⁻')
        .replace(/\d/g, (d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)]!)}]`,
    );
  });

  it('score histograms: a signal line has a gap at each empty bin and each bin below the axis, not a line along the floor', () => {
    const [example] = matchExamples([scan], [EXAMPLES[0]!]).found;
    const sample = example!.sample;
    // Filled, empty, filled, far below the axis floor (at most six decades under the peak), ...
    const pattern = [5, 0, 5, 5e-9];
    const counts = scan.histogram.signals[sample]!.map((_, bin) => pattern[bin % pattern.length]!);
    const withGaps = { ...scan, histogram: { ...scan.histogram, signals: { ...scan.histogram.signals, [sample]: counts } } };
    const spec = scoreHistogramSpec(withGaps, [example!], 100) as unknown as {
      layer: { data: { values: { x: number; run: number }[] } }[];
    };
    const points = spec.layer[1]!.data.values;
    const filled = counts.filter((c) => c === 5).length;
    // Every filled bin stands alone here: its own run, opened at its left edge and closed at its right.
    expect(new Set(points.map((p) => p.run)).size).toBe(filled);
    expect(points).toHaveLength(2 * filled);
    const { edges } = scan.histogram;
    counts.forEach((c, bin) => {
      if (c === 5) return;
      const inside = points.filter((p) => p.x > edges[bin]! && p.x < edges[bin + 1]!);
      expect(inside, `points inside the gap at bin ${bin}`).toEqual([]);
    });
  });

  it('training curves: one curve per distinct term, validation solid and train dashed drawn on top', () => {
    const history = parseHistory(
      [1, 2, 3].map((epoch) => ({
        epoch,
        lr: 1e-3,
        trainLoss: 1 / epoch,
        trainMse: 1 / epoch,
        trainKl: 0,
        valLoss: 1.1 / epoch,
        valMse: 1.1 / epoch,
        valKl: 0,
      })),
    );
    const model = {
      params: { model: 'AE-l2', architecture: 'AE' as const, latentDim: 2, background: 'all', axes: {}, settings: {} },
      summary: { bestEpoch: 3 },
      history,
    };
    const spec = trainingCurvesSpec(model) as unknown as {
      vconcat: { layer: { data: { values: { split: string; quantity: string }[] } }[] }[];
    };
    const layers = spec.vconcat[0]!.layer.slice(0, 2).map((l) => l.data.values);
    // Loss = MSE and KL = 0 for an AE: one curve per split, the train one last, so on top.
    expect(layers.map((values) => [...new Set(values.map((p) => `${p.split} ${p.quantity}`))])).toEqual([
      ['validation loss'],
      ['train loss'],
    ]);
  });
});

describe('figures over setting axes', () => {
  /** Scans of AE-l2 and VAE-l2 at beta 0.1 and 1, each with seeds 1 and 2 (their scores scatter differently). */
  async function axisScans(): Promise<ScanFile[]> {
    const root = await tempDir('report-axes');
    const scans: ScanFile[] = [];
    const models = [
      { architecture: 'AE' as const, axes: {} },
      { architecture: 'VAE' as const, axes: { beta: 0.1 } },
      { architecture: 'VAE' as const, axes: { beta: 1 } },
    ];
    for (const [i, model] of models.entries()) {
      for (const seed of [1, 2]) {
        const spec = { architecture: model.architecture, latentDim: 2 };
        const scoreDir = await writeScoreArtifact(join(root, `score-${i}-${seed}`), spec, 10 * i + seed);
        const axes = { ...model.axes, seed };
        const ctx = await nodeContext('scan', { ...scanParams(spec), axes, settings: axes }, [
          input('score', `score/${i}/${seed}`, scoreDir),
        ]);
        await runScan(ctx);
        scans.push(await readScanFile(ctx.outDir));
      }
    }
    return scans;
  }

  it('fold the seeds into a mean with its lowest and highest value, and draw max PFOM over beta', async () => {
    const scans = await axisScans();
    const { found: examples } = matchExamples(scans, EXAMPLES);
    expect(plottedAxes(scans)).toEqual(['beta']);

    const latent = maxPfomVsLatentDimSpec(scans, examples) as unknown as { data: { values: Record<string, number | string>[] } };
    const light = examples[0]!;
    const pfomsOf = (architecture: string, beta?: number) =>
      scans
        .filter((s) => s.architecture === architecture && s.axes.beta === beta)
        .map((s) => s.signals.find((x) => x.sample === light.sample)!.maximum.pfom);
    const row = (panel: string) => latent.data.values.find((r) => r.panel === panel && r.signal === light.label)!;
    expect([...new Set(latent.data.values.map((r) => r.panel))]).toEqual(['AE', 'VAE-beta0.1', 'VAE-beta1']);
    const ae = pfomsOf('AE');
    expect(row('AE')).toMatchObject({ seeds: 2, low: Math.min(...ae), high: Math.max(...ae) });
    expect(row('AE').pfom).toBeCloseTo((ae[0]! + ae[1]!) / 2, 12);
    expect(ae[0]).not.toBe(ae[1]);

    const overBeta = maxPfomVsAxisSpec(scans, examples, 'beta') as unknown as { data: { values: Record<string, number | string>[] } };
    const vae = overBeta.data.values.filter((r) => r.signal === light.label);
    expect(vae.map((r) => [r.panel, r.value, r.seeds])).toEqual([
      ['VAE-l2', '0.1', 2],
      ['VAE-l2', '1', 2],
    ]);
    expect(vae[1]!.high).toBe(Math.max(...pfomsOf('VAE', 1)));
    for (const spec of [maxPfomVsLatentDimSpec(scans, examples), maxPfomVsAxisSpec(scans, examples, 'beta')]) {
      expect(await renderSvg(spec)).toContain('<svg');
    }
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
