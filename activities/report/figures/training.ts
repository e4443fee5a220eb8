// Training: per model the loss terms and learning rate per epoch (thesis Fig. 6.x), and across
// models the validation losses over the latent dimension (the trend Sec. 6.2 discusses).
import type { TopLevelSpec } from 'vega-lite';
import type { LossPoint } from '../history.js';
import type { ReportModel } from '../inputs.js';
import { ARCHITECTURES } from '../../../core/models.js';

/** A loss curve point: which split (train, validation) and which quantity (loss, MSE, KL). */
interface CurvePoint {
  epoch: number;
  split: string;
  quantity: string;
  value: number;
}

const SPLITS = ['validation', 'train', 'all'] as const;
const QUANTITIES: Record<string, string> = { loss: 'loss', mse: 'MSE', kl: 'KL' };

/** `trainMse` or `train.mse` -> train, MSE; a term without a split prefix counts for all. */
function curvePoint({ epoch, term, value }: LossPoint): CurvePoint {
  const match = /^(train|val)(?:idation)?[._]?(.+)$/i.exec(term);
  const split = match ? (match[1]!.toLowerCase() === 'train' ? 'train' : 'validation') : 'all';
  const name = match ? match[2]! : term;
  return { epoch, split, quantity: QUANTITIES[name.toLowerCase()] ?? name, value };
}

/**
 * The curves worth drawing: positive values (a log axis), and per split only the first of
 * identical curves (an AE's loss is its MSE and its KL is zero: one curve, not three on top
 * of each other).
 */
function distinctCurves(points: CurvePoint[]): CurvePoint[] {
  const curves = new Map<string, CurvePoint[]>();
  for (const p of points.filter((p) => p.value > 0)) {
    const key = `${p.split}\0${p.quantity}`;
    curves.set(key, [...(curves.get(key) ?? []), p]);
  }
  const kept: CurvePoint[][] = [];
  for (const curve of curves.values()) {
    const same = (other: CurvePoint[]) =>
      other[0]!.split === curve[0]!.split &&
      other.length === curve.length &&
      other.every((p, i) => Math.abs(p.value - curve[i]!.value) <= 1e-9 * Math.abs(p.value));
    if (!kept.some(same)) kept.push(curve);
  }
  return kept.flat();
}

/**
 * Per epoch the loss terms on a log axis, validation solid and train dashed on top of it (the
 * two often run together; drawn the other way round the train curve would vanish), and the
 * learning rate below.
 */
export function trainingCurvesSpec(model: ReportModel): TopLevelSpec {
  const bestEpoch = model.summary?.bestEpoch;
  const best = typeof bestEpoch === 'number' ? [{ epoch: bestEpoch }] : [];
  const points = distinctCurves(model.history.losses.map(curvePoint));
  const splits = SPLITS.filter((split) => points.some((p) => p.split === split));
  const quantities = [...new Set(points.map((p) => p.quantity))];
  const epochAxis = (title: string | null) => ({ field: 'epoch', type: 'quantitative', title, axis: { tickMinStep: 1, format: 'd' } });
  const bestRule = {
    data: { values: best },
    mark: { type: 'rule', strokeDash: [4, 3], color: '#666' },
    encoding: { x: { field: 'epoch', type: 'quantitative' } },
  };
  const curves = (split: string, strokeWidth: number) => ({
    data: { values: points.filter((p) => p.split === split) },
    mark: { type: 'line', strokeWidth },
    encoding: {
      x: epochAxis(null),
      // Padding keeps a curve at the top or bottom of the range off the frame.
      y: { field: 'value', type: 'quantitative', title: 'loss term', scale: { type: 'log', nice: false, padding: 12 } },
      color: {
        field: 'quantity',
        type: 'nominal',
        title: 'quantity',
        sort: quantities,
        scale: { domain: quantities, scheme: 'category10' },
      },
      strokeDash: {
        field: 'split',
        type: 'nominal',
        title: 'split',
        scale: { domain: splits, range: splits.map((s) => (s === 'train' ? [5, 3] : [1, 0])) },
      },
    },
  });
  const subtitle = [
    best.length ? `dashed vertical: best epoch ${bestEpoch} (the model kept)` : '',
    model.params.architecture === 'AE' ? 'AE: loss = MSE' : '',
  ].filter(Boolean);
  return {
    title: { text: `${model.params.model}: training`, subtitle: subtitle.join('; ') },
    vconcat: [
      {
        width: 520,
        height: 220,
        layer: [...splits.map((split) => curves(split, split === 'train' ? 1.4 : 2.4)), bestRule],
        resolve: { scale: { color: 'shared', strokeDash: 'shared' } },
      },
      {
        width: 520,
        height: 90,
        layer: [
          {
            data: { values: model.history.lr },
            mark: { type: 'line', interpolate: 'step-after', color: '#444' },
            encoding: {
              x: epochAxis('epoch'),
              y: {
                field: 'value',
                type: 'quantitative',
                title: 'learning rate',
                scale: { type: 'log' },
                axis: { format: '.0e', tickCount: 3 },
              },
            },
          },
          bestRule,
        ],
      },
    ],
  } as TopLevelSpec;
}

/** Best validation loss and MSE of each model over its latent dimension, one line per architecture. */
export function validationLossSpec(models: ReportModel[]): TopLevelSpec {
  const rows = models.flatMap(({ params, summary }) =>
    (['valLoss', 'valMse'] as const).flatMap((key) =>
      typeof summary?.[key] === 'number'
        ? [
            {
              architecture: params.architecture,
              background: params.background,
              latentDim: params.latentDim,
              metric: key === 'valLoss' ? 'validation loss' : 'validation MSE',
              value: summary[key],
            },
          ]
        : [],
    ),
  );
  return {
    title: { text: 'Best validation loss over the latent dimension', subtitle: 'AE: loss = MSE; VAE, DVAE: MSE + β·KL' },
    data: { values: rows },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['validation loss', 'validation MSE'] } },
    spec: {
      width: 280,
      height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'latentDim', type: 'quantitative', title: 'latent dimension', axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'value', type: 'quantitative', scale: { type: 'log', nice: false, padding: 12 }, title: null },
        color: {
          field: 'architecture',
          type: 'nominal',
          sort: [...ARCHITECTURES],
          scale: { domain: [...ARCHITECTURES], range: ['#1f77b4', '#ff7f0e', '#2ca02c'] },
        },
        detail: { field: 'background', type: 'nominal' },
        // A line joins its points in this order, not in the order the models arrive in.
        order: { field: 'latentDim', type: 'quantitative' },
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}
