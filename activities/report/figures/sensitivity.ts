// Across models: max PFOM versus latent dimension (thesis Fig. 7.6, 7.9, 7.11) and, for one
// model, the mass-grid heat maps of max PFOM, efficiency and threshold (Fig. 7.4, 7.5, 7.7).
import type { TopLevelSpec } from 'vega-lite';
import {
  ARCHITECTURES,
  axisTags,
  axisText,
  compareSettings,
  SETTING_AXES,
  type Architecture,
  type SettingAxis,
} from '../../../core/models.js';
import type { ScanFile } from '../../scan/format.js';
import type { Example } from '../examples.js';
import { exampleColor, scoreTitle } from './scores.js';

/**
 * One panel per architecture (and training set, and setting other than the seed, if they
 * vary); models that differ in the seed alone make one line, the mean, over a band from
 * their lowest to their highest max PFOM. Dashed: PFOM with no autoencoder cut.
 */
export function maxPfomVsLatentDimSpec(scans: ScanFile[], examples: Example[]): TopLevelSpec {
  const rows = seedSpread(scans, examples, (scan) => ({ panel: panelName(scan), latentDim: scan.latentDim }));
  const panels = [...new Set(scans.map((scan) => panelName(scan)))].sort(
    (a, b) =>
      ARCHITECTURES.indexOf(a.split(/[- ]/)[0] as Architecture) - ARCHITECTURES.indexOf(b.split(/[- ]/)[0] as Architecture) ||
      a.localeCompare(b),
  );
  const x = { field: 'latentDim', type: 'quantitative', title: 'latent dimension', axis: { tickMinStep: 1, format: 'd' } } as const;
  return {
    title: {
      text: 'Maximal PFOM of the example signals over the latent dimension',
      subtitle: rows.some((r) => r.seeds > 1)
        ? 'line: mean over seeds, band: lowest to highest; dashed: no autoencoder cut'
        : 'dashed: no autoencoder cut',
    },
    data: { values: rows },
    facet: { column: { field: 'panel', type: 'nominal', title: null, sort: panels } },
    spec: {
      width: 220,
      height: 220,
      layer: [
        {
          mark: { type: 'area', opacity: 0.2 },
          encoding: {
            x,
            y: { field: 'low', type: 'quantitative' },
            y2: { field: 'high' },
            color: exampleColor(examples),
            order: { field: 'latentDim' },
          },
        },
        {
          mark: { type: 'line', point: true },
          encoding: {
            x,
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

/** Setting axes a report draws max PFOM against: those with more than one value among the scans (the seed makes the spread). */
export function plottedAxes(scans: ScanFile[]): SettingAxis[] {
  return SETTING_AXES.filter(
    (axis) => axis !== 'seed' && new Set(scans.flatMap((s) => (s.axes[axis] === undefined ? [] : [axisText(s.axes[axis]!)]))).size > 1,
  );
}

/**
 * Max PFOM over one setting axis (beta, learning rate, ...): one panel per model without that
 * axis (architecture, latent dimension, other settings), the mean over seeds with a bar from
 * the lowest to the highest.
 */
export function maxPfomVsAxisSpec(scans: ScanFile[], examples: Example[], axis: SettingAxis): TopLevelSpec {
  const withAxis = scans.filter((s) => s.axes[axis] !== undefined);
  const panelOf = (scan: ScanFile) => {
    const { [axis]: _value, ...others } = scan.axes;
    return panelName({ ...scan, axes: others }, true);
  };
  const valueOf = (scan: ScanFile) => scan.axes[axis]!;
  const rows = seedSpread(withAxis, examples, (scan) => ({ panel: panelOf(scan), value: axisText(valueOf(scan)) }));
  // Values in their numeric order (hidden layers width by width), as the tables sort them.
  const order = [...new Map(withAxis.map((s) => [axisText(valueOf(s)), s.settings])).entries()]
    .sort(([, a], [, b]) => compareSettings(a, b))
    .map(([text]) => text);
  const x = { field: 'value', type: 'ordinal', title: axis, sort: order } as const;
  return {
    title: { text: `Maximal PFOM of the example signals over ${axis}`, subtitle: 'point: mean over seeds, bar: lowest to highest' },
    data: { values: rows },
    facet: { column: { field: 'panel', type: 'nominal', title: null } },
    spec: {
      width: Math.max(120, 40 * order.length),
      height: 220,
      layer: [
        {
          mark: { type: 'rule' },
          encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color: exampleColor(examples) },
        },
        {
          mark: { type: 'line', point: true },
          encoding: { x, y: { field: 'pfom', type: 'quantitative', title: 'max PFOM' }, color: exampleColor(examples) },
        },
      ],
    },
  } as TopLevelSpec;
}

/**
 * Rows of max PFOM per example signal and per key, the models of one key (differing in the
 * seed alone) folded into their mean, lowest and highest value.
 */
function seedSpread<K extends Record<string, string | number>>(scans: ScanFile[], examples: Example[], keyOf: (scan: ScanFile) => K) {
  const groups = new Map<string, { key: K; signal: string; pfoms: number[]; noCut: number }>();
  for (const scan of scans) {
    const key = keyOf(scan);
    for (const example of examples) {
      const signal = scan.signals.find((s) => s.sample === example.sample);
      if (!signal) continue;
      const id = JSON.stringify([key, example.label]);
      const group = groups.get(id) ?? { key, signal: example.label, pfoms: [], noCut: signal.noCut.pfom };
      group.pfoms.push(signal.maximum.pfom);
      groups.set(id, group);
    }
  }
  return [...groups.values()].map((g) => ({
    ...g.key,
    signal: g.signal,
    pfom: g.pfoms.reduce((sum, p) => sum + p, 0) / g.pfoms.length,
    low: Math.min(...g.pfoms),
    high: Math.max(...g.pfoms),
    seeds: g.pfoms.length,
    noCut: g.noCut,
  }));
}

/**
 * Panel name: the architecture with the settings that vary but the seed (`VAE-beta0.01`), an
 * ensemble marked as such, the training set when the sweep has more than the default, and
 * (for the axis figures) the latent dimension.
 */
function panelName(
  scan: Pick<ScanFile, 'architecture' | 'latentDim' | 'background' | 'axes' | 'ensembleOf'>,
  withLatentDim = false,
): string {
  const { seed: _seed, ...axes } = scan.axes;
  const model = `${scan.architecture}${withLatentDim ? `-l${scan.latentDim}` : ''}${axisTags(axes)}${scan.ensembleOf ? ' ensemble' : ''}`;
  return scan.background === 'all' ? model : `${model} (${scan.background})`;
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
