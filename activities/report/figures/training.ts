// Training: per model the loss terms and learning rate per epoch (thesis Fig. 6.x), and across
// models the validation losses over the latent dimension (the trend Sec. 6.2 discusses).
import type { TopLevelSpec } from 'vega-lite';
import type { ReportModel } from '../inputs.js';
import { ARCHITECTURES } from '../../../core/models.js';

export function trainingCurvesSpec(model: ReportModel): TopLevelSpec {
  const bestEpoch = model.summary?.bestEpoch;
  const best = typeof bestEpoch === 'number' ? [{ epoch: bestEpoch }] : [];
  const positive = model.history.losses.filter((p) => p.value > 0);
  const bestRule = {
    data: { values: best },
    mark: { type: 'rule', strokeDash: [4, 3], color: '#666' },
    encoding: { x: { field: 'epoch', type: 'quantitative' } },
  };
  return {
    title: { text: `${model.params.model}: training`, subtitle: best.length ? `dashed: best epoch ${bestEpoch} (the model kept)` : '' },
    vconcat: [
      {
        width: 520,
        height: 220,
        layer: [
          {
            data: { values: positive },
            mark: { type: 'line', strokeWidth: 1.5 },
            encoding: {
              x: { field: 'epoch', type: 'quantitative', title: null },
              y: { field: 'value', type: 'quantitative', title: 'loss', scale: { type: 'log' } },
              color: { field: 'term', type: 'nominal', title: 'loss term', scale: { scheme: 'category10' } },
            },
          },
          bestRule,
        ],
      },
      {
        width: 520,
        height: 90,
        layer: [
          {
            data: { values: model.history.lr },
            mark: { type: 'line', interpolate: 'step-after', color: '#444' },
            encoding: {
              x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
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
        y: { field: 'value', type: 'quantitative', scale: { type: 'log', nice: false }, title: null },
        color: {
          field: 'architecture',
          type: 'nominal',
          sort: [...ARCHITECTURES],
          scale: { domain: [...ARCHITECTURES], range: ['#1f77b4', '#ff7f0e', '#2ca02c'] },
        },
        detail: { field: 'background', type: 'nominal' },
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}
