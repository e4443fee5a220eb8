// `preselect` node: the thesis selection (Sec. 4.2) as YAML cut expressions, best candidate
// per event, the 20 features, weights and the train/test split (contract in the team brief).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PreselectParams } from '../../definitions/dag.js';
import { didYouMean } from '../../definitions/suggest.js';
import type { NodeRunner } from '../context.js';
import { UserError } from '../errors.js';
import { numericColumn, readTable, writeTable, type Column, type NumericColumn, type Table } from '../parquet.js';
import { compileExpression, type ColumnCatalog } from './expr.js';
import { applyCuts, bestCandidates, indexEvents, nMinusOne, type Cut } from './select.js';
import { openSource } from './source.js';
import { hashString, splitUniform } from './split.js';

export const runPreselect: NodeRunner<'preselect'> = async (ctx) => {
  const params = ctx.node.params;
  const { sample } = params;
  const source = await openSource(ctx);
  const cuts: Cut[] = params.cuts.map((cut) => ({
    name: cut.name,
    compiled: compileExpression(cut.expr, source.catalog, `sample ${sample.name}, preselection cut '${cut.name}'`),
  }));
  const place = `sample ${sample.name}`;
  requireNumeric(source.catalog, 'event', `${place}: the event id column`);
  requireNumeric(source.catalog, params.bestCandidate.minimise, `${place}: preselection.bestCandidate.minimise`);
  for (const feature of params.features) requireNumeric(source.catalog, feature, `${place}: feature`);
  const optional = ['weight', 'm_chi1', 'm_hprime'].filter((c) => source.catalog.get(c)?.numeric);
  const needed = new Set(['event', params.bestCandidate.minimise, ...params.features, ...optional, ...cuts.flatMap((c) => c.compiled.columns)]);
  const table = await readTable(source.path, [...needed].map((c) => source.fileName.get(c)!));
  const column = (name: string) => numericColumn(table, source.fileName.get(name)!, `${place} (${source.path})`);
  ctx.heartbeat({ read: table.numRows });

  const fileWeight = 'file' in sample.source ? sample.source.weight ?? 1 : 1;
  const weight = new Float64Array(table.numRows).fill(fileWeight);
  if (optional.includes('weight')) {
    const w = column('weight');
    for (let r = 0; r < weight.length; r++) weight[r] *= w[r];
  }
  const event = column('event');
  const index = indexEvents(event);
  const { rows, count, flow } = applyCuts(cuts, column, table.numRows, index, weight);
  const best = bestCandidates(rows, count, index, column(params.bestCandidate.minimise));
  let selectedWeighted = 0;
  for (const r of best) selectedWeighted += weight[r];
  flow.push({ cut: 'bestCandidate', candidates: best.length, events: best.length, candidatesWeighted: selectedWeighted, eventsWeighted: selectedWeighted });

  const out = eventTable(params, best, event, column, weight, optional);
  await writeTable(join(ctx.outDir, 'events.parquet'), out);
  await writeFile(join(ctx.outDir, 'cutflow.json'), JSON.stringify(flow, null, 2));
  // N-1 study: every cut removed once (thesis Fig. 4.3 shows it for the pi0 veto).
  const nMinus1 = nMinusOne(cuts, column, table.numRows, index, weight, column(params.bestCandidate.minimise));
  await writeFile(join(ctx.outDir, 'nminus1.json'), JSON.stringify(nMinus1, null, 2));

  const generated = source.generated ?? { events: flow[0].events, weighted: flow[0].eventsWeighted };
  return {
    sample: sample.name,
    process: sample.process,
    kind: sample.kind,
    mChi1: sample.mChi1 ?? null,
    mHprime: sample.mHprime ?? null,
    generated: generated.events,
    generatedWeighted: generated.weighted,
    selected: best.length,
    selectedWeighted,
    efficiency: generated.weighted > 0 ? selectedWeighted / generated.weighted : 0,
  };
};

function requireNumeric(catalog: ColumnCatalog, name: string, what: string): void {
  const column = catalog.get(name);
  if (!column) {
    throw new UserError(`${what} '${name}' is not a column of the ntuple${didYouMean(name, [...catalog.keys()])}. Available columns: ${[...catalog.keys()].join(', ')}.`);
  }
  if (!column.numeric) throw new UserError(`${what} '${name}' holds text, but a number is required.`);
}

/** One row per selected event: id, features (float64, in order), weight, split, truth masses. */
function eventTable(
  params: PreselectParams,
  best: Int32Array, event: NumericColumn, column: (name: string) => NumericColumn, weight: Float64Array, optional: string[],
) {
  const n = best.length;
  const pick = (values: NumericColumn) => Float64Array.from(best, (r) => values[r]);
  const columns: Record<string, Column> = {
    event: event instanceof Int32Array ? Int32Array.from(best, (r) => event[r]) : pick(event),
  };
  for (const feature of params.features) columns[feature] = pick(column(feature));
  const signal = params.sample.kind === 'signal';
  const f = params.testFraction;
  const sampleHash = hashString(params.sample.name);
  const split = new Uint8Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const r = best[k];
    // Each half alone stands for the whole luminosity (signals are all held out for the scans).
    const test = signal || splitUniform(sampleHash, params.seed, event[r]) < f;
    split[k] = test ? 1 : 0;
    w[k] = signal ? weight[r] : weight[r] / (test ? f : 1 - f);
  }
  columns.weight = w;
  columns.split = split;
  const mass = (name: 'm_chi1' | 'm_hprime', value: number | undefined) =>
    optional.includes(name) ? pick(column(name)) : new Float64Array(n).fill(value ?? NaN);
  columns.m_chi1 = mass('m_chi1', params.sample.mChi1);
  columns.m_hprime = mass('m_hprime', params.sample.mHprime);
  return { numRows: n, columns } satisfies Table;
}
