// `fitScaler` node: weighted mean and standard deviation of every feature over the training
// split of the background samples of one training set (thesis Eq. 5.2).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeRunner } from '../engine/context.js';
import { UserError } from '../../core/errors.js';
import { numericColumn, readTable } from '../lib/parquet.js';
import { EVENTS_FILE, preselectSummary } from '../preselect/format.js';
import { SCALER_FILE, type Scaler } from './format.js';

export const runFitScaler: NodeRunner<'fitScaler'> = async (ctx) => {
  const { features, samples, background } = ctx.node.params;
  const wanted = new Set(samples);
  const inputs = ctx.inputs.filter((i) => i.kind === 'preselect' && wanted.has(preselectSummary(i).sample));
  const missing = samples.filter((s) => !inputs.some((i) => preselectSummary(i).sample === s));
  if (missing.length > 0) throw new Error(`fitScaler ${background}: no preselect artifact for ${missing.join(', ')}`);
  // Two passes in one: sums of w, w x and w x^2 per feature, shifted by the first value seen
  // so that the variance does not cancel catastrophically.
  const n = features.length;
  const shift = new Float64Array(n).fill(NaN);
  const sw = new Float64Array(n);
  const swx = new Float64Array(n);
  const swx2 = new Float64Array(n);
  let events = 0;
  for (const input of inputs) {
    const path = join(input.dir, EVENTS_FILE);
    const table = await readTable(path, [...features, 'weight', 'split']);
    const weight = numericColumn(table, 'weight', path);
    const split = numericColumn(table, 'split', path);
    for (let f = 0; f < n; f++) {
      const x = numericColumn(table, features[f], path);
      for (let r = 0; r < table.numRows; r++) {
        if (split[r] !== 0) continue;
        if (Number.isNaN(shift[f])) shift[f] = x[r];
        const d = x[r] - shift[f];
        sw[f] += weight[r];
        swx[f] += weight[r] * d;
        swx2[f] += weight[r] * d * d;
      }
    }
    for (let r = 0; r < table.numRows; r++) if (split[r] === 0) events++;
    ctx.heartbeat({ sample: preselectSummary(input).sample });
  }
  if (events === 0) {
    throw new UserError(
      `training set ${background}: no background event is left in the training split after the preselection; loosen the cuts or add samples.`,
    );
  }
  const scaler: Scaler = { features, mean: [], std: [] };
  for (let f = 0; f < n; f++) {
    const m = swx[f] / sw[f];
    const variance = Math.max(0, swx2[f] / sw[f] - m * m);
    const std = Math.sqrt(variance);
    if (!(std > 0)) {
      throw new UserError(
        `training set ${background}: feature '${features[f]}' has zero spread over the training events (every value is ${shift[f] + m}); ` +
          'it cannot be standardised, so remove it from features or check the preselection.',
      );
    }
    scaler.mean.push(shift[f] + m);
    scaler.std.push(std);
  }
  await writeFile(join(ctx.outDir, SCALER_FILE), JSON.stringify(scaler, null, 2));
  return { events };
};
