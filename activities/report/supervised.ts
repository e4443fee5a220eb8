// The report's section on the supervised baselines: for each example signal the best
// autoencoder against the best supervised model, their ratio over the mass grid, and how the
// classifiers trained on part of the grid do on the points they never saw.
import type { TopLevelSpec } from 'vega-lite';
import { isSupervised } from '../../core/models.js';
import type { ScanFile, ScanSignal } from '../scan/format.js';
import type { Example } from './examples.js';
import { generalisationSpec, pfomRatioHeatmapSpec, type GeneralisationPoint } from './figures/supervised.js';
import { figureHtml, tableHtml, type Figure } from './html.js';
import type { VersusSupervised } from './format.js';

type Plan = (file: string, caption: string, spec: () => TopLevelSpec) => Figure;

/** The scan among `scans` with the highest max PFOM at `sample`, and its maximum there. */
function bestAt(scans: ScanFile[], sample: string): { scan: ScanFile; signal: ScanSignal } | undefined {
  let best: { scan: ScanFile; signal: ScanSignal } | undefined;
  for (const scan of scans) {
    const signal = scan.signals.find((s) => s.sample === sample);
    if (signal && (!best || signal.maximum.pfom > best.signal.maximum.pfom)) best = { scan, signal };
  }
  return best;
}

/** Per example: the best autoencoder and the best supervised model, each with its best cut. */
export function versusSupervised(scans: ScanFile[], examples: Example[]): VersusSupervised[] {
  const autoencoders = scans.filter((s) => !isSupervised(s.architecture));
  const supervised = scans.filter((s) => isSupervised(s.architecture));
  return examples.flatMap((example) => {
    const ae = bestAt(autoencoders, example.sample);
    const sup = bestAt(supervised, example.sample);
    if (!ae || !sup) return [];
    const side = ({ scan, signal }: { scan: ScanFile; signal: ScanSignal }) => ({
      model: scan.model,
      maxPfom: signal.maximum.pfom,
      effSelected: signal.maximum.effSelected,
      threshold: signal.maximum.threshold,
    });
    return [
      { example: example.name, autoencoder: side(ae), supervised: side(sup), ratio: ae.signal.maximum.pfom / sup.signal.maximum.pfom },
    ];
  });
}

export function supervisedSection(scans: ScanFile[], examples: Example[], plan: Plan): string[] {
  const rows = versusSupervised(scans, examples);
  if (rows.length === 0) return [];
  const labelOf = new Map(examples.map((e) => [e.name, e.label]));
  const body = [
    '<h2>Autoencoders against supervised baselines</h2>',
    '<p>How far the model-agnostic autoencoder is from classifiers that know the signal (BDT: XGBoost; DNN: a neural-network ' +
      'classifier; each trained on the train split of its signal points, every efficiency from the held-out split). ' +
      'The supervised score is the classifier output as log-odds of signal.</p>',
    tableHtml(
      ['example', 'best autoencoder', 'max PFOM', 'ε', 'threshold', 'best supervised', 'max PFOM', 'ε', 'threshold', 'AE / supervised'],
      rows.map((r) => [
        labelOf.get(r.example) ?? r.example,
        r.autoencoder.model,
        r.autoencoder.maxPfom,
        r.autoencoder.effSelected,
        r.autoencoder.threshold,
        r.supervised.model,
        r.supervised.maxPfom,
        r.supervised.effSelected,
        r.supervised.threshold,
        r.ratio,
      ]),
    ),
  ];
  const autoencoders = scans.filter((s) => !isSupervised(s.architecture));
  const supervised = scans.filter((s) => isSupervised(s.architecture));
  const grid = (scans[0]?.signals ?? []).map((s) => s.sample);
  const cells = grid.flatMap((sample) => {
    const ae = bestAt(autoencoders, sample);
    const sup = bestAt(supervised, sample);
    if (!ae || !sup) return [];
    return [{ mChi1: ae.signal.mChi1 ?? NaN, mHprime: ae.signal.mHprime ?? NaN, ratio: ae.signal.maximum.pfom / sup.signal.maximum.pfom }];
  });
  body.push(
    figureHtml(
      plan('pfom-ratio-ae-supervised.png', 'Best autoencoder over best supervised model, max PFOM per simulated signal.', () =>
        pfomRatioHeatmapSpec(cells),
      ),
    ),
  );
  const points = generalisationPoints(supervised, autoencoders);
  if (points.length > 0) {
    body.push(
      figureHtml(
        plan(
          'generalisation.png',
          'Classifiers trained on some mass points, scanned on all: max PFOM where they trained and where they never saw the signal.',
          () => generalisationSpec(points, (scans[0]?.signals ?? []).map(massLabel)),
        ),
      ),
    );
  }
  return body;
}

/** A mass point as the figures label it: (m_χ1, m_h′). */
function massLabel(signal: ScanSignal): string {
  return `(${signal.mChi1}, ${signal.mHprime})`;
}

/** Every point of every classifier that trained on part of the grid only. */
function generalisationPoints(supervised: ScanFile[], autoencoders: ScanFile[]): GeneralisationPoint[] {
  return supervised.flatMap((scan) => {
    const trainedOn = scan.trainedOn ?? [];
    if (trainedOn.length >= scan.signals.length) return [];
    return scan.signals.map((signal) => ({
      model: scan.model,
      signal: massLabel(signal),
      pfom: signal.maximum.pfom,
      seen: trainedOn.includes(signal.sample) ? ('trained on' as const) : ('never seen' as const),
      bestAutoencoder: bestAt(autoencoders, signal.sample)?.signal.maximum.pfom ?? NaN,
    }));
  });
}
