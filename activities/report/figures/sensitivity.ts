// Across models: max PFOM versus latent dimension (thesis Fig. 7.6, 7.9, 7.11) and, for one
// model, the mass-grid heat maps of max PFOM, efficiency and threshold (Fig. 7.4, 7.5, 7.7).
import type { TopLevelSpec } from 'vega-lite';
import { ARCHITECTURES, type Architecture } from '../../../core/models.js';
import type { ScanFile } from '../../scan/format.js';
import type { Example } from '../examples.js';
import { exampleColor, scoreTitle } from './scores.js';

/** One panel per architecture (and training set, if several); dashed: PFOM with no autoencoder cut. */
export function maxPfomVsLatentDimSpec(scans: ScanFile[], examples: Example[]): TopLevelSpec {
  const rows = scans.flatMap((scan) =>
    examples.flatMap((example) => {
      const signal = scan.signals.find((s) => s.sample === example.sample);
      if (!signal) return [];
      return [
        { panel: panelName(scan), latentDim: scan.latentDim, pfom: signal.maximum.pfom, noCut: signal.noCut.pfom, signal: example.label },
      ];
    }),
  );
  const panels = [...new Set(scans.map(panelName))].sort(
    (a, b) =>
      ARCHITECTURES.indexOf(a.split(' ')[0] as Architecture) - ARCHITECTURES.indexOf(b.split(' ')[0] as Architecture) || a.localeCompare(b),
  );
  return {
    title: { text: 'Maximal PFOM of the example signals over the latent dimension', subtitle: 'dashed: no autoencoder cut' },
    data: { values: rows },
    facet: { column: { field: 'panel', type: 'nominal', title: null, sort: panels } },
    spec: {
      width: 220,
      height: 220,
      layer: [
        {
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'latentDim', type: 'quantitative', title: 'latent dimension', axis: { tickMinStep: 1, format: 'd' } },
            y: { field: 'pfom', type: 'quantitative', title: 'max PFOM' },
            color: exampleColor(examples),
            // A line joins its points in this order, not in the order the scans arrive in.
            order: { field: 'latentDim', type: 'quantitative' },
          },
        },
        {
          mark: { type: 'rule', strokeDash: [5, 4] },
          encoding: { y: { field: 'noCut', type: 'quantitative', aggregate: 'mean' }, color: exampleColor(examples) },
        },
      ],
    },
  } as TopLevelSpec;
}

/** Panel name: the architecture, with the training set when the sweep has more than the default. */
function panelName(scan: ScanFile): string {
  return scan.background === 'all' ? scan.architecture : `${scan.architecture} (${scan.background})`;
}

/** `scaled`: shown in a power of ten where its values are small (an efficiency stays a fraction). */
const HEATMAP_METRICS = [
  { key: 'pfom', title: 'max PFOM', format: '.3~g', scheme: 'viridis', scaled: true },
  { key: 'eff', title: 'efficiency', format: '.3~g', scheme: 'viridis', scaled: false },
  { key: 'threshold', title: 'threshold', format: '.3~g', scheme: 'plasma', scaled: true },
] as const;

/** Cell size in pixels: four characters of the cell label fit with room to spare. */
const CELL = 44;
/** The colour bar is at least this long, so its three labels never crowd on a narrow grid. */
const MIN_COLOUR_BAR = 150;

/** The three heat maps over (m_χ1, m_h′) of one model's best cuts, side by side. */
export function heatmapsSpec(scan: ScanFile): TopLevelSpec {
  const raw = scan.signals.map((s) => ({
    mChi1: s.mChi1,
    mHprime: s.mHprime,
    pfom: s.maximum.pfom,
    eff: s.maximum.effSelected,
    threshold: s.maximum.threshold,
  }));
  // Values like 0.000779 would overflow their cell: such a metric is shown in a power of ten.
  const units = Object.fromEntries(HEATMAP_METRICS.map((m) => [m.key, m.scaled ? powerOfTen(raw.map((r) => r[m.key])) : 0]));
  const rows = raw.map((r) => ({
    ...r,
    pfom: r.pfom / 10 ** units.pfom!,
    eff: r.eff / 10 ** units.eff!,
    threshold: r.threshold / 10 ** units.threshold!,
  }));
  const masses = (key: 'mChi1' | 'mHprime') => [...new Set(rows.map((r) => r[key]))].sort((a, b) => (a ?? 0) - (b ?? 0));
  const chi = masses('mChi1');
  const hprime = masses('mHprime');
  return {
    title: {
      text: `${scan.model}: best ${scoreTitle(scan)} cut per signal`,
      subtitle: `selection score > threshold maximising the PFOM (a = ${scan.punziA})`,
    },
    data: { values: rows },
    hconcat: HEATMAP_METRICS.map((metric) => ({
      title: { text: `${metric.title}${unitLabel(units[metric.key]!)}`, fontSize: 12, fontWeight: 'normal' },
      width: CELL * chi.length,
      height: CELL * hprime.length,
      encoding: {
        x: { field: 'mChi1', type: 'ordinal', title: 'm_χ1 [GeV]', sort: chi, axis: { labelAngle: 0 } },
        y: { field: 'mHprime', type: 'ordinal', title: 'm_h′ [GeV]', sort: [...hprime].reverse() },
      },
      layer: [
        {
          mark: 'rect',
          encoding: {
            color: {
              field: metric.key,
              type: 'quantitative',
              title: null,
              scale: { scheme: metric.scheme },
              legend: {
                orient: 'bottom',
                direction: 'horizontal',
                gradientLength: Math.max(MIN_COLOUR_BAR, CELL * chi.length),
                // Its ends and middle: a handful of "nice" ticks crowd or repeat (0.99 1 1 1).
                values: colourBarValues(rows.map((r) => r[metric.key])),
                format: metric.format,
              },
            },
          },
        },
        {
          mark: { type: 'text', fontSize: 9 },
          encoding: {
            text: { field: metric.key, type: 'quantitative', format: metric.format },
            color: {
              condition: { test: `datum.${metric.key} < ${midpoint(rows.map((r) => r[metric.key]))}`, value: 'white' },
              value: 'black',
            },
          },
        },
      ],
    })),
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
}

/**
 * The power of ten to show `values` in, so the largest has one or two digits before the
 * point (0.00101 -> -4: "10.1"); 0 when every value reads well as it is (0.01 to 1000).
 */
function powerOfTen(values: number[]): number {
  const sizes = values.filter((v) => Number.isFinite(v) && v !== 0).map(Math.abs);
  if (sizes.length === 0 || (Math.min(...sizes) >= 0.01 && Math.max(...sizes) < 1000)) return 0;
  return Math.floor(Math.log10(Math.max(...sizes))) - 1;
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };

/** ` [10⁻⁴]` for -4, nothing for 0. */
function unitLabel(power: number): string {
  return power === 0 ? '' : ` [10${[...String(power)].map((c) => SUPERSCRIPT[c]).join('')}]`;
}

function colourBarValues(values: number[]): number[] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [];
  const [lo, hi] = [Math.min(...finite), Math.max(...finite)];
  return lo === hi ? [lo] : [lo, (lo + hi) / 2, hi];
}

/** Text on the dark half of a viridis/plasma scale is white, on the light half black. */
function midpoint(values: number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length ? (Math.min(...finite) + Math.max(...finite)) / 2 : 0;
}
