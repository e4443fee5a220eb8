// Per model: the score distribution (thesis Fig. 7.1, 7.2) and the PFOM curve (Fig. 7.3).
import type { TopLevelSpec } from 'vega-lite';
import { SUPERVISED_SCORE } from '../../../core/models.js';
import type { ScanFile } from '../../scan/format.js';
import type { Example } from '../examples.js';

export function scoreTitle(scan: ScanFile): string {
  if (scan.score === SUPERVISED_SCORE) return 'classifier output (log-odds of signal)';
  const latent = /^latent:(\d+)$/.exec(scan.score);
  return latent ? `latent variable z${latent[1]}` : 'MSE (standardised features)';
}

/** Log axis for the score when the histogram bins are logarithmic (the MSE spans decades). */
function scoreScale(scan: ScanFile) {
  return scan.histogram.log && scan.thresholds[0] > 0 ? { type: 'log' as const, nice: false } : { zero: false, nice: false };
}

/**
 * Weighted background stacked by process and the example signals scaled to the highest
 * background bin (the thesis' convention), on a log axis. The stack is computed here because
 * a log scale cannot stack from zero.
 */
export function scoreHistogramSpec(scan: ScanFile, examples: Example[], luminosityFb: number): TopLevelSpec {
  const { edges, background, signals } = scan.histogram;
  const processes = Object.keys(background).sort((a, b) => sum(background[b]) - sum(background[a]));
  const tops = edges.slice(1).map((_, bin) => processes.reduce((s, p) => s + background[p][bin], 0));
  const peak = Math.max(...tops, 0);
  // The log axis starts a little below the smallest filled bin (at most six decades below the peak).
  const smallest = Math.min(...tops.filter((t) => t > 0), peak);
  const floor = peak > 0 ? Math.max(smallest / 3, peak * 1e-6) : 1e-6;
  const bars: Record<string, unknown>[] = [];
  edges.slice(1).forEach((hi, bin) => {
    let bottom = 0;
    for (const process of processes) {
      const top = bottom + background[process][bin];
      if (top > bottom && top > floor) bars.push({ lo: edges[bin], hi, y0: Math.max(bottom, floor), y1: top, process });
      bottom = top;
    }
  });
  const lines = examples.flatMap((example) => {
    const counts = signals[example.sample] ?? [];
    const scale = peak / Math.max(...counts, Number.MIN_VALUE);
    return signalSteps(
      counts.map((c) => c * scale),
      edges,
      floor,
    ).map((step) => ({ ...step, signal: example.label }));
  });
  return {
    title: {
      text: `${scan.model}: ${scoreTitle(scan)}`,
      subtitle: `background at ${luminosityFb} fb⁻¹ (test split), signals scaled to the highest background bin`,
    },
    width: 560,
    height: 320,
    layer: [
      {
        data: { values: bars },
        mark: { type: 'rect', stroke: 'white', strokeWidth: 0.3 },
        encoding: {
          x: { field: 'lo', type: 'quantitative', title: scoreTitle(scan), scale: scoreScale(scan) },
          x2: { field: 'hi' },
          // The bars stand on the floor; a factor 2 of headroom keeps the highest step off the frame.
          y: {
            field: 'y1',
            type: 'quantitative',
            title: 'weighted events / bin',
            scale: { type: 'log', domainMin: floor, domainMax: Math.max(2 * peak, 10 * floor), nice: false },
          },
          y2: { field: 'y0' },
          fill: { field: 'process', type: 'nominal', title: 'background', sort: processes, scale: { scheme: 'tableau20' } },
        },
      },
      {
        data: { values: lines },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          stroke: exampleColor(examples),
          // Each run of filled bins is a line of its own: empty bins leave a gap.
          detail: { field: 'run', type: 'nominal' },
        },
      },
    ],
    resolve: { scale: { fill: 'independent', stroke: 'independent' } },
  } as TopLevelSpec;
}

/**
 * A signal histogram as step-line points, one `run` per stretch of bins above the axis
 * floor (each closed at its right edge), so an empty bin, or one too low for the axis, is a
 * gap instead of a line along the floor.
 */
function signalSteps(heights: number[], edges: number[], floor: number): { x: number; y: number; run: number }[] {
  const shown = (bin: number) => bin >= 0 && bin < heights.length && heights[bin]! >= floor;
  const points: { x: number; y: number; run: number }[] = [];
  let run = 0;
  heights.forEach((y, bin) => {
    if (!shown(bin)) return;
    if (!shown(bin - 1)) run += 1;
    points.push({ x: edges[bin]!, y, run });
    if (!shown(bin + 1)) points.push({ x: edges[bin + 1]!, y, run });
  });
  return points;
}

/** PFOM versus threshold for the example signals; dashed: the PFOM with no autoencoder cut. */
export function pfomCurveSpec(scan: ScanFile, examples: Example[]): TopLevelSpec {
  const shown = examples.flatMap((example) => {
    const signal = scan.signals.find((s) => s.sample === example.sample);
    return signal ? [{ example, signal }] : [];
  });
  const curve = shown.flatMap(({ example, signal }) =>
    signal.pfom.map((pfom, k) => ({ threshold: scan.thresholds[k], pfom, signal: example.label })),
  );
  const best = shown.map(({ example, signal }) => ({
    threshold: signal.maximum.threshold,
    pfom: signal.maximum.pfom,
    signal: example.label,
  }));
  const noCut = shown.map(({ example, signal }) => ({ pfom: signal.noCut.pfom, signal: example.label }));
  return {
    title: {
      text: `${scan.model}: PFOM over the ${scoreTitle(scan)} threshold`,
      subtitle: `selection score > threshold; dashed: no autoencoder cut; a = ${scan.punziA}`,
    },
    width: 560,
    height: 300,
    layer: [
      {
        data: { values: curve },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'threshold', type: 'quantitative', title: `${scoreTitle(scan)} threshold`, scale: scoreScale(scan) },
          y: { field: 'pfom', type: 'quantitative', title: 'PFOM' },
          color: exampleColor(examples),
        },
      },
      {
        data: { values: noCut },
        mark: { type: 'rule', strokeDash: [5, 4], strokeWidth: 1.2 },
        encoding: { y: { field: 'pfom', type: 'quantitative' }, color: exampleColor(examples) },
      },
      {
        data: { values: best },
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          x: { field: 'threshold', type: 'quantitative' },
          y: { field: 'pfom', type: 'quantitative' },
          color: exampleColor(examples),
        },
      },
    ],
  } as TopLevelSpec;
}

export function exampleColor(examples: Example[]) {
  return {
    field: 'signal',
    type: 'nominal' as const,
    title: 'signal',
    scale: { domain: examples.map((e) => e.label), range: examples.map((e) => e.color) },
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
