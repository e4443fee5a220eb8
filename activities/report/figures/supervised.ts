// The autoencoders against the supervised baselines (issue 14): over the mass grid, the best
// autoencoder's max PFOM divided by the best supervised model's; and the generalisation of
// a classifier to mass points it never saw (seeds/003, seeds/004).
import type { TopLevelSpec } from 'vega-lite';

/** One mass point: the best autoencoder's and the best supervised model's max PFOM there. */
export interface RatioCell {
  mChi1: number;
  mHprime: number;
  ratio: number;
}

/** max PFOM (best AE) / max PFOM (best supervised) per simulated signal, with the value in each cell. */
export function pfomRatioHeatmapSpec(cells: RatioCell[]): TopLevelSpec {
  const masses = (key: 'mChi1' | 'mHprime') => [...new Set(cells.map((c) => c[key]))].sort((a, b) => a - b);
  const chi = masses('mChi1');
  const hprime = masses('mHprime');
  return {
    title: {
      text: 'max PFOM of the best autoencoder / max PFOM of the best supervised model',
      subtitle: 'per simulated signal; 1 means the model-agnostic search is as sensitive as a classifier that knows the signal',
    },
    data: { values: cells },
    width: 40 * chi.length,
    height: 40 * hprime.length,
    encoding: {
      x: { field: 'mChi1', type: 'ordinal', title: 'm_χ1 [GeV]', sort: chi, axis: { labelAngle: 0 } },
      y: { field: 'mHprime', type: 'ordinal', title: 'm_h′ [GeV]', sort: [...hprime].reverse() },
    },
    layer: [
      {
        mark: 'rect',
        encoding: { color: { field: 'ratio', type: 'quantitative', title: null, scale: { scheme: 'viridis', domainMin: 0 } } },
      },
      {
        mark: { type: 'text', fontSize: 9 },
        encoding: {
          text: { field: 'ratio', type: 'quantitative', format: '.2f' },
          // White on the dark half of the scale, black on the light half.
          color: { condition: { test: `datum.ratio < ${Math.max(...cells.map((c) => c.ratio)) / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  } as TopLevelSpec;
}

/** One classifier at one mass point: its max PFOM, whether it trained on the point, and the best autoencoder's there. */
export interface GeneralisationPoint {
  model: string;
  /** The mass point, (m_χ1, m_h′). */
  signal: string;
  pfom: number;
  seen: 'trained on' | 'never seen';
  bestAutoencoder: number;
}

/**
 * One panel per classifier trained on part of the grid: its max PFOM at every point, filled
 * where it trained, open where it never saw the signal; grey ticks: the best autoencoder.
 */
export function generalisationSpec(points: GeneralisationPoint[], signals: string[]): TopLevelSpec {
  return {
    title: {
      text: 'Classifiers on mass points they never saw',
      subtitle: 'filled: trained on the point; open: never seen; grey tick: best autoencoder',
    },
    data: { values: points },
    facet: { column: { field: 'model', type: 'nominal', title: null } },
    spec: {
      width: 34 * signals.length,
      height: 200,
      layer: [
        {
          mark: { type: 'tick', color: '#999', thickness: 2 },
          encoding: {
            x: { field: 'signal', type: 'nominal', sort: signals, title: '(m_χ1, m_h′) [GeV]', axis: { labelAngle: -40 } },
            y: { field: 'bestAutoencoder', type: 'quantitative', scale: { type: 'log' }, title: 'max PFOM' },
          },
        },
        {
          mark: { type: 'point', size: 70, strokeWidth: 2 },
          encoding: {
            x: { field: 'signal', type: 'nominal', sort: signals },
            y: { field: 'pfom', type: 'quantitative' },
            shape: { value: 'circle' },
            color: { value: '#1f3fbf' },
            fill: {
              field: 'seen',
              type: 'nominal',
              scale: { domain: ['trained on', 'never seen'], range: ['#1f3fbf', 'white'] },
              title: null,
            },
          },
        },
      ],
    },
  } as TopLevelSpec;
}
