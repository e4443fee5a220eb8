// The `report` node: one static HTML page per sweep (index.html + img/*.png) with the figures
// of thesis chapters 6 and 7, made from the scan and train artifacts of the sweep.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { ReportParams } from '../../core/dag.js';
import type { NodeRunner } from '../engine/context.js';
import { ARCHITECTURES, compareModels, isSupervised, modelId } from '../../core/models.js';
import { MODELS_CSV_COLUMNS, modelRow } from '../train/format.js';
import { REPORT_FILE, type BestModel, type ReportSummary } from './format.js';
import type { ScanFile } from '../scan/format.js';
import { matchExamples, type Example } from './examples.js';
import { latentPairsSpec } from './figures/latent.js';
import { pfomCurveSpec, scoreHistogramSpec, scoreTitle } from './figures/scores.js';
import { heatmapsSpec, maxPfomVsAxisSpec, maxPfomVsLatentDimSpec, plottedAxes } from './figures/sensitivity.js';
import { trainingCurvesSpec, validationLossSpec } from './figures/training.js';
import { escapeHtml, figureHtml, formatNumber, pageHtml, tableHtml, type Figure } from './html.js';
import { loadReportInputs, type ReportInputs, type ReportModel } from './inputs.js';
import { renderPng } from './render.js';
import { supervisedSection, versusSupervised } from './supervised.js';

const IMAGE_DIR = 'img';

interface PlannedFigure extends Figure {
  spec: TopLevelSpec;
}

export const runReport: NodeRunner<'report'> = async (ctx) => {
  const params = ctx.node.params;
  const inputs = await loadReportInputs(ctx.inputs);
  const scans = [...inputs.scans].sort(compareModels);
  const { found: examples, missing } = matchExamples(scans, params.examples);
  const heatmap = pickHeatmapModel(scans, params.heatmapModel);
  const best = bestModelPerExample(scans, examples);
  // The figures over the latent dimension and the setting axes are the autoencoders'.
  const autoencoderScans = scans.filter((s) => !isSupervised(s.architecture));
  const figures = new Map<string, PlannedFigure>();
  const plan = (file: string, caption: string, spec: () => TopLevelSpec): Figure => {
    const figure = { file, caption, spec: spec() };
    figures.set(file, figure);
    return figure;
  };

  const body: string[] = [`<h1>Sweep ${escapeHtml(params.sweep)}</h1>`, overview(params, inputs, scans)];
  if (missing.length) body.push(`<p class="note">Example signals not in the mass grid (not shown): ${escapeHtml(missing.join('; '))}</p>`);
  if (scans.length > 0) {
    body.push('<h2>Best model per example signal</h2>', bestPerExampleTable(best, examples));
    body.push(...supervisedSection(scans, examples, plan));
    body.push('<h2>Sensitivity over the latent dimension</h2>');
    body.push(
      figureHtml(
        plan(
          'max-pfom-vs-latent-dim.png',
          'Maximal PFOM of each example signal for every model; dashed: PFOM with no autoencoder cut.',
          () => maxPfomVsLatentDimSpec(autoencoderScans, examples),
        ),
      ),
    );
    for (const axis of plottedAxes(autoencoderScans)) {
      body.push(
        figureHtml(
          plan(`max-pfom-vs-${axis}.png`, `Maximal PFOM of each example signal over ${axis}, per model without it.`, () =>
            maxPfomVsAxisSpec(autoencoderScans, examples, axis),
          ),
        ),
      );
    }
    if (heatmap.scan) {
      body.push(`<h2>Mass grid: ${escapeHtml(heatmap.scan.model)}</h2>`);
      if (heatmap.note) body.push(`<p class="note">${escapeHtml(heatmap.note)}</p>`);
      body.push(
        figureHtml(
          plan(
            `heatmaps-${fileSafe(heatmap.scan.model)}.png`,
            'Maximal PFOM, signal efficiency relative to the preselected events and threshold of the best cut, per simulated signal.',
            () => heatmapsSpec(heatmap.scan!),
          ),
        ),
      );
    }
  }
  body.push('<h2>Training</h2>');
  const autoencoderModels = inputs.models.filter((m) => !isSupervised(m.params.architecture));
  if (autoencoderModels.some((m) => typeof m.summary?.valLoss === 'number')) {
    body.push(
      figureHtml(
        plan('validation-loss.png', 'Best-epoch validation loss and MSE over the latent dimension per architecture.', () =>
          validationLossSpec(autoencoderModels),
        ),
      ),
    );
  }
  body.push(modelsTable(inputs.models));
  const latentModels = latentPlotModels(autoencoderScans, examples, heatmap.scan);
  if (latentModels.length > 0) {
    body.push(
      '<h2>Latent spaces</h2>',
      '<p>The model of the heat maps and, per architecture, the model most sensitive to the first example signal.</p>',
    );
    for (const scan of latentModels) {
      body.push(
        figureHtml(
          plan(
            `latent-${fileSafe(scan.model)}.png`,
            `${scan.model}: latent variables of the background (by process) and the example signals.`,
            () => latentPairsSpec(scan, examples),
          ),
        ),
      );
    }
  }
  body.push('<h2>Models</h2>');
  for (const model of [...inputs.models].sort((a, b) => compareModels(a.params, b.params))) {
    body.push(
      modelSection(
        model,
        scans.find((s) => s.model === model.params.model),
        examples,
        params.luminosityFb,
        plan,
      ),
    );
  }

  const imageDir = join(ctx.outDir, IMAGE_DIR);
  await mkdir(imageDir, { recursive: true });
  let done = 0;
  for (const figure of figures.values()) {
    await renderPng(figure.spec, join(imageDir, figure.file));
    ctx.heartbeat({ figures: ++done, of: figures.size });
  }
  await writeFile(join(ctx.outDir, REPORT_FILE), pageHtml(`Sweep ${params.sweep}`, body.join('\n')));
  const summary: ReportSummary = {
    page: REPORT_FILE,
    figures: figures.size,
    models: inputs.models.length,
    scans: scans.length,
    best,
    versusSupervised: versusSupervised(scans, examples),
  };
  return { ...summary };
};

function overview(params: ReportParams, inputs: ReportInputs, scans: ScanFile[]): string {
  const signals = scans[0]?.signals.length ?? 0;
  const failed = inputs.models.filter((m) => !scans.some((s) => s.model === m.params.model)).map((m) => m.params.model);
  const score = scans[0] ? scoreTitle(scans[0]) : 'score';
  return (
    `<p>${inputs.models.length} models, ${scans.length} scanned against ${signals} signals at ${params.luminosityFb} fb⁻¹. ` +
    `Anomaly score: ${escapeHtml(score)}; selection score &gt; threshold; PFOM = ε / (a/2 + √B) with ε relative to the preselected signal events ` +
    `and B the weighted background test split above the threshold.` +
    (scans[0]
      ? ` Thresholds step by (q${scans[0].grid.quantiles[1] * 100} − q${scans[0].grid.quantiles[0] * 100}) / ${scans[0].grid.steps} of the weighted background scores, from the background minimum to its maximum.`
      : '') +
    `</p>` +
    (failed.length ? `<p class="note">Not scanned (training failed or skipped): ${escapeHtml(failed.join(', '))}</p>` : '')
  );
}

function bestModelPerExample(scans: ScanFile[], examples: Example[]): BestModel[] {
  return examples.map((example) => {
    const candidates = scans.flatMap((scan) => scan.signals.filter((s) => s.sample === example.sample).map((signal) => ({ scan, signal })));
    const best = candidates.reduce((top, c) => (c.signal.maximum.pfom > top.signal.maximum.pfom ? c : top), candidates[0]);
    const m = best.signal.maximum;
    return {
      example: example.name,
      mChi1: best.signal.mChi1 ?? null,
      mHprime: best.signal.mHprime ?? null,
      model: best.scan.model,
      maxPfom: m.pfom,
      noCutPfom: best.signal.noCut.pfom,
      effSelected: m.effSelected,
      effGenerated: m.effGenerated,
      threshold: m.threshold,
      nBackgroundAbove: m.nBackgroundAbove,
    };
  });
}

function bestPerExampleTable(best: BestModel[], examples: Example[]): string {
  const rows = best.map((b, i) => [
    examples[i].label,
    b.model,
    b.maxPfom,
    b.noCutPfom,
    b.effSelected,
    b.effGenerated,
    b.threshold,
    b.nBackgroundAbove,
  ]);
  return tableHtml(
    ['example', 'best model', 'max PFOM', 'PFOM without cut', 'ε (preselected)', 'ε (generated)', 'threshold', 'B above'],
    rows,
  );
}

function modelsTable(models: ReportModel[]): string {
  const rows = [...models].sort((a, b) => compareModels(a.params, b.params)).map(modelRow);
  return tableHtml(
    [...MODELS_CSV_COLUMNS],
    rows.map((row) => MODELS_CSV_COLUMNS.map((c) => row[c])),
  );
}

function modelSection(
  model: ReportModel,
  scan: ScanFile | undefined,
  examples: Example[],
  luminosityFb: number,
  plan: (file: string, caption: string, spec: () => TopLevelSpec) => Figure,
): string {
  const name = model.params.model;
  const safe = fileSafe(name);
  const bestLine = scan
    ? examples.map((e) => `${e.name} ${formatNumber(scan.signals.find((s) => s.sample === e.sample)?.maximum.pfom ?? NaN)}`).join(', ')
    : 'not scanned';
  const parts = [`<details><summary>${escapeHtml(name)} — max PFOM: ${escapeHtml(bestLine)}</summary>`];
  if (model.history.losses.length > 0) {
    parts.push(
      figureHtml(plan(`training-${safe}.png`, 'Loss terms per epoch (log scale) and the learning rate.', () => trainingCurvesSpec(model))),
    );
  }
  if (scan) {
    parts.push(
      figureHtml(
        plan(
          `scores-${safe}.png`,
          'Score distribution: weighted background stacked by process, example signals scaled to the highest background bin.',
          () => scoreHistogramSpec(scan, examples, luminosityFb),
        ),
      ),
    );
    parts.push(
      figureHtml(
        plan(`pfom-${safe}.png`, 'PFOM over the threshold; dots: maxima; dashed: no autoencoder cut.', () => pfomCurveSpec(scan, examples)),
      ),
    );
    parts.push(
      figureHtml(plan(`heatmaps-${safe}.png`, 'Best cut per simulated signal: max PFOM, efficiency, threshold.', () => heatmapsSpec(scan))),
    );
  }
  parts.push('</details>');
  return parts.join('\n');
}

/** The definition names a model by its id (`AE-l6`) or its full name; the first model when absent. */
function pickHeatmapModel(scans: ScanFile[], wanted: string): { scan?: ScanFile; note?: string } {
  if (scans.length === 0) return {};
  const match = scans.find((s) => s.model === wanted || modelId(s) === wanted || s.model.endsWith(`/${wanted}`));
  if (match || !wanted) return { scan: match ?? scans[0] };
  return {
    scan: scans[0],
    note: `report.heatmapModel '${wanted}' has no scan (its training failed or it is not in the matrix); showing ${scans[0].model} instead.`,
  };
}

/** The heat-map model plus, per architecture, the model with the highest max PFOM for the first example. */
function latentPlotModels(scans: ScanFile[], examples: Example[], heatmap: ScanFile | undefined): ScanFile[] {
  const chosen = heatmap ? [heatmap] : [];
  const first = examples[0];
  for (const architecture of ARCHITECTURES) {
    const pfom = (scan: ScanFile) => scan.signals.find((s) => s.sample === first?.sample)?.maximum.pfom ?? -Infinity;
    const best = scans.filter((s) => s.architecture === architecture).sort((a, b) => pfom(b) - pfom(a))[0];
    if (best && !chosen.includes(best)) chosen.push(best);
  }
  return chosen.filter((scan) => scan.latent.dims > 0);
}

function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]+/g, '_');
}
