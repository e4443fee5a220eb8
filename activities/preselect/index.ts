// `preselect` node: the thesis selection (Sec. 4.2) as YAML cut expressions, best candidate
// per event, the 20 features, weights and the train/test split (format.ts).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PreselectParams } from '../../core/dag.js';
import { didYouMean } from '../../core/suggest.js';
import type { NodeRunner } from '../engine/context.js';
import { UserError } from '../../core/errors.js';
import type { ColumnCatalog } from '../../definitions/cuts.js';
import { numericColumn, writeTable, type Column, type NumericColumn, type Table } from '../lib/parquet.js';
import { compileExpression } from './expr.js';
import { CUTFLOW_FILE, EVENTS_FILE, NMINUS1_FILE, preselectInputs, type PreselectSummary } from './format.js';
import { applyCuts, bestCandidates, indexEvents, nMinusOne, type Cut, type CutFlowRow } from './select.js';
import { openSource, readSource } from './source.js';
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
  const inputs = preselectInputs(params);
  for (const input of inputs) {
    // Cut columns are checked by compileExpression above, which points at them in the expression.
    if (input.cut === undefined) requireNumeric(source.catalog, input.column, `${place}: ${input.usedBy}`);
  }
  if (source.weight) requireNumeric(source.catalog, source.weight, `${place}: the weight column`);
  const truth = ['m_chi1', 'm_hprime'].filter((c) => source.catalog.get(c)?.numeric);
  const needed = new Set([...inputs.map((i) => i.column), ...(source.weight ? [source.weight] : []), ...truth]);
  const { table, starts } = await readSource(source, [...needed], (rows) => ctx.heartbeat({ read: rows }));
  const column = (name: string) => numericColumn(table, name, place);

  const weight = new Float64Array(table.numRows).fill('files' in sample.source ? (sample.source.weight ?? 1) : 1);
  if (source.weight) {
    const w = column(source.weight);
    for (let r = 0; r < weight.length; r++) weight[r] *= w[r];
  }
  const event = column('event');
  const index = indexEvents(event, starts);
  const { rows, count, flow } = applyCuts(cuts, column, table.numRows, index, weight);
  const best = bestCandidates(rows, count, index, column(params.bestCandidate.minimise));
  let selectedWeighted = 0;
  for (const r of best) selectedWeighted += weight[r];
  flow.push({
    cut: 'bestCandidate',
    candidates: best.length,
    events: best.length,
    candidatesWeighted: selectedWeighted,
    eventsWeighted: selectedWeighted,
  });

  const out = eventTable(params, best, event, column, weight, truth);
  await writeTable(join(ctx.outDir, EVENTS_FILE), out);
  await writeFile(join(ctx.outDir, CUTFLOW_FILE), JSON.stringify(flow, null, 2));
  // N-1 study: every cut removed once (thesis Fig. 4.3 shows it for the pi0 veto).
  const nMinus1 = nMinusOne(cuts, column, table.numRows, index, weight, column(params.bestCandidate.minimise));
  await writeFile(join(ctx.outDir, NMINUS1_FILE), JSON.stringify(nMinus1, null, 2));

  const generated = source.generated ?? generatedFromFiles(sample.source, flow[0]);
  const summary: PreselectSummary = {
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
  return { ...summary };
};

/**
 * What user files stood for before any cut: the events in them, or the definition's
 * `generated`, whose weighted count scales up the weighted events the files hold (exact for
 * a weight per sample; for a weight column, it assumes the events missing from the files
 * weigh what the others do on average).
 */
function generatedFromFiles(source: PreselectParams['sample']['source'], input: CutFlowRow): { events: number; weighted: number } {
  const events = 'files' in source ? source.generated : undefined;
  if (events === undefined || input.events === 0) return { events: events ?? input.events, weighted: input.eventsWeighted };
  return { events, weighted: (input.eventsWeighted * events) / input.events };
}

function requireNumeric(catalog: ColumnCatalog, name: string, what: string): void {
  const column = catalog.get(name);
  if (!column) {
    throw new UserError(
      `${what} '${name}' is not a column of the ntuple${didYouMean(name, [...catalog.keys()])}. Available columns: ${[...catalog.keys()].join(', ')}.`,
    );
  }
  if (column.unreadable) throw new UserError(`${what} '${name}': ${column.unreadable}`);
  if (!column.numeric) throw new UserError(`${what} '${name}' holds text, but a number is required.`);
}

/** One row per selected event: id, features (float64, in order), weight, split, truth masses. */
function eventTable(
  params: PreselectParams,
  best: Int32Array,
  event: NumericColumn,
  column: (name: string) => NumericColumn,
  weight: Float64Array,
  truth: string[],
) {
  const n = best.length;
  const pick = (values: NumericColumn) => Float64Array.from(best, (r) => values[r]);
  const columns: Record<string, Column> = {
    event: event instanceof Int32Array ? Int32Array.from(best, (r) => event[r]) : pick(event),
  };
  for (const feature of params.features) columns[feature] = pick(column(feature));
  const f = params.testFraction;
  const sampleHash = hashString(params.sample.name);
  const split = new Uint8Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const r = best[k];
    // Each half alone stands for the whole luminosity. Signals are split too: the supervised
    // models train on their train split, and every scan measures on the held-out split only.
    const test = splitUniform(sampleHash, params.seed, event[r]) < f;
    split[k] = test ? 1 : 0;
    w[k] = weight[r] / (test ? f : 1 - f);
  }
  columns.weight = w;
  columns.split = split;
  const mass = (name: 'm_chi1' | 'm_hprime', value: number | undefined) =>
    truth.includes(name) ? pick(column(name)) : new Float64Array(n).fill(value ?? NaN);
  columns.m_chi1 = mass('m_chi1', params.sample.mChi1);
  columns.m_hprime = mass('m_hprime', params.sample.mHprime);
  return { numRows: n, columns } satisfies Table;
}
