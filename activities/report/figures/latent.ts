// Latent pair plot (thesis Fig. 7.13, 7.14): distributions on the diagonal, pairwise scatter
// off it, background by process and the example signals.
import type { TopLevelSpec } from 'vega-lite';
import type { ScanFile } from '../../scan/format.js';
import { histogram } from '../../lib/histogram.js';
import type { Example } from '../examples.js';

const TABLEAU20 = [
  '#4c78a8',
  '#9ecae9',
  '#f58518',
  '#ffbf79',
  '#54a24b',
  '#88d27a',
  '#b79a20',
  '#f2cf5b',
  '#439894',
  '#83bcb6',
  '#e45756',
  '#ff9d98',
  '#79706e',
  '#bab0ac',
  '#d67195',
  '#fcbfd2',
  '#b279a2',
  '#d6a5c9',
  '#9e765f',
  '#d8b5a5',
];
const ALL_BACKGROUND = 'all background (weighted)';
/** Points drawn per figure across all cells: keeps the SVG small enough to rasterise quickly. */
const POINT_BUDGET = 60_000;
const DIAGONAL_BINS = 40;

export function latentPairsSpec(scan: ScanFile, examples: Example[]): TopLevelSpec {
  const { dims, background, signals } = scan.latent;
  const processes = [...new Set(background.process)].sort();
  const shown = examples.filter((e) => signals[e.sample]);
  const domain = [...processes, ALL_BACKGROUND, ...shown.map((e) => e.label)];
  const range = [...processes.map((_, i) => TABLEAU20[i % TABLEAU20.length]), '#000000', ...shown.map((e) => e.color)];
  const extents = Array.from({ length: dims }, (_, i) =>
    robustExtent([...background.z, ...shown.flatMap((e) => signals[e.sample])].map((row) => row[i])),
  );

  const cells = Math.max(1, dims * (dims - 1));
  const stride = Math.max(1, Math.ceil((background.z.length * cells) / POINT_BUDGET));
  const column = (i: number) => `z${i}`;
  const asRow = (z: number[], category: string) => Object.fromEntries([...z.map((v, i) => [column(i), v]), ['category', category]]);
  const points = [
    ...background.z.filter((_, n) => n % stride === 0).map((z, n) => asRow(z, background.process[n * stride])),
    ...shown.flatMap((e) => signals[e.sample].map((z) => asRow(z, e.label))),
  ];
  const size = dims <= 3 ? 170 : Math.max(62, Math.floor(660 / dims));
  const color = { field: 'category', type: 'nominal', title: null, scale: { domain, range } };
  const axis = (title: string | null, show: boolean) =>
    show ? { title, tickCount: 3, labelFontSize: 9 } : { title: null, labels: false, ticks: false };

  const cell = (row: number, col: number) => {
    const x = {
      field: column(col),
      type: 'quantitative',
      scale: { domain: extents[col], nice: false, zero: false },
      axis: axis(column(col), row === dims - 1),
    };
    if (row !== col) {
      return {
        width: size,
        height: size,
        data: { name: 'points' },
        mark: { type: 'circle', size: dims <= 3 ? 7 : 4, opacity: 0.45, clip: true },
        encoding: {
          x,
          y: {
            field: column(row),
            type: 'quantitative',
            scale: { domain: extents[row], nice: false, zero: false },
            axis: axis(column(row), col === 0),
          },
          color,
        },
      };
    }
    return {
      width: size,
      height: size,
      data: { values: diagonal(scan, shown, row, extents[row]) },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.3, clip: true },
      encoding: {
        x: { ...x, field: 'x' },
        y: { field: 'density', type: 'quantitative', axis: axis(col === 0 ? 'fraction' : null, col === 0) },
        color,
      },
    };
  };
  return {
    title: {
      text: `${scan.model}: latent space`,
      subtitle: 'diagonal: distributions normalised to unit area; off-diagonal: a thinned sample of the events',
    },
    datasets: { points },
    spacing: 6,
    vconcat: Array.from({ length: dims }, (_, row) => ({ spacing: 6, hconcat: Array.from({ length: dims }, (_, col) => cell(row, col)) })),
  } as unknown as TopLevelSpec;
}

/** Normalised histograms of one latent variable: all background (weighted) and each example signal. */
function diagonal(scan: ScanFile, shown: Example[], dim: number, [lo, hi]: [number, number]) {
  const edges = Array.from({ length: DIAGONAL_BINS + 1 }, (_, i) => lo + ((hi - lo) * i) / DIAGONAL_BINS);
  const groups = [
    { category: ALL_BACKGROUND, values: scan.latent.background.z.map((z) => z[dim]), weights: scan.latent.background.weight },
    ...shown.map((e) => {
      const rows = scan.latent.signals[e.sample];
      return { category: e.label, values: rows.map((z) => z[dim]), weights: rows.map(() => 1) };
    }),
  ];
  return groups.flatMap(({ category, values, weights }) => {
    const counts = histogram(edges, false, values, weights);
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    const steps = counts.map((c, bin) => ({ x: edges[bin], density: c / total, category }));
    return [...steps, { x: hi, density: steps[steps.length - 1].density, category }];
  });
}

/** 0.5% .. 99.5% of the values, so a few outliers do not squash every panel. */
function robustExtent(values: number[]): [number, number] {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return [0, 1];
  const lo = sorted[Math.floor(0.005 * (sorted.length - 1))];
  const hi = sorted[Math.ceil(0.995 * (sorted.length - 1))];
  return hi > lo ? [lo, hi] : [lo - 0.5, hi + 0.5];
}
