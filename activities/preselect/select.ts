// Applying the cuts in order (with the cut flow) and choosing the best candidate per event.
import type { NumericColumn } from '../lib/parquet.js';
import type { CompiledExpression } from './expr.js';

export interface CutFlowRow {
  cut: string;
  candidates: number;
  events: number;
  candidatesWeighted: number;
  eventsWeighted: number;
}

/** Dense event numbers 0..events-1 per row, in order of first appearance. */
export interface EventIndex {
  ofRow: Int32Array;
  events: number;
}

/**
 * `starts`: the first row of each file after the first. Event numbers repeat across files
 * (every production job counts from its own start), so rows of different files never share
 * an event.
 */
export function indexEvents(event: NumericColumn, starts: readonly number[] = []): EventIndex {
  const ofRow = new Int32Array(event.length);
  const seen = new Map<number, number>();
  let events = 0;
  let previous = NaN;
  let current = -1;
  let nextFile = 0;
  for (let r = 0; r < event.length; r++) {
    // `while`: an empty file starts where the next one does.
    while (r === starts[nextFile]) {
      seen.clear();
      previous = NaN;
      nextFile++;
    }
    const id = event[r];
    // Rows of one event are usually adjacent: skip the map lookup then.
    if (id !== previous) {
      let dense = seen.get(id);
      if (dense === undefined) {
        dense = events++;
        seen.set(id, dense);
      }
      current = dense;
      previous = id;
    }
    ofRow[r] = current;
  }
  return { ofRow, events };
}

export interface Cut {
  name: string;
  compiled: CompiledExpression;
}

/**
 * Applies the cuts one after the other to the rows still passing; returns the surviving
 * row numbers (ascending) and one cut-flow line for the input and for each cut.
 */
export function applyCuts(
  cuts: Cut[],
  column: (name: string) => NumericColumn,
  numRows: number,
  index: EventIndex,
  weight: Float64Array,
): { rows: Int32Array; count: number; flow: CutFlowRow[] } {
  const rows = new Int32Array(numRows);
  for (let r = 0; r < numRows; r++) rows[r] = r;
  let count = numRows;
  const stamp = new Int32Array(index.events).fill(-1);
  const flow = [tally('input', rows, count, index, weight, stamp, 0)];
  cuts.forEach((cut, k) => {
    count = cut.compiled.filter(cut.compiled.columns.map(column), rows, count);
    flow.push(tally(cut.name, rows, count, index, weight, stamp, k + 1));
  });
  return { rows, count, flow };
}

function tally(
  cut: string,
  rows: Int32Array,
  count: number,
  index: EventIndex,
  weight: Float64Array,
  stamp: Int32Array,
  pass: number,
): CutFlowRow {
  let events = 0;
  let candidatesWeighted = 0;
  let eventsWeighted = 0;
  for (let j = 0; j < count; j++) {
    const r = rows[j];
    candidatesWeighted += weight[r];
    const e = index.ofRow[r];
    if (stamp[e] !== pass) {
      stamp[e] = pass;
      events++;
      eventsWeighted += weight[r];
    }
  }
  return { cut, candidates: count, events, candidatesWeighted, eventsWeighted };
}

export interface NMinusOneRow {
  /** The cut left out ('none' for the full selection). */
  removed: string;
  candidates: number;
  /** Events with a candidate passing every other cut (after the best-candidate choice: one per event). */
  events: number;
  /** Sum of the weights of those events' best candidates. */
  eventsWeighted: number;
}

/**
 * The N-1 study: for every cut, the selection with all other cuts applied (each cut removed
 * once), with the best candidate per event chosen among the rows that pass. The first line,
 * `none`, is the full selection. Every cut is evaluated once over all rows.
 */
export function nMinusOne(
  cuts: Cut[],
  column: (name: string) => NumericColumn,
  numRows: number,
  index: EventIndex,
  weight: Float64Array,
  minimise: NumericColumn,
): NMinusOneRow[] {
  // Rows failing no cut keep -1; rows failing exactly one keep its index; more: -2.
  const failed = new Int32Array(numRows).fill(-1);
  const rows = new Int32Array(numRows);
  const pass = new Uint8Array(numRows);
  cuts.forEach((cut, k) => {
    for (let r = 0; r < numRows; r++) rows[r] = r;
    const kept = cut.compiled.filter(cut.compiled.columns.map(column), rows, numRows);
    pass.fill(0);
    for (let j = 0; j < kept; j++) pass[rows[j]] = 1;
    for (let r = 0; r < numRows; r++) if (!pass[r]) failed[r] = failed[r] === -1 ? k : -2;
  });
  const line = (removed: string, k: number): NMinusOneRow => {
    let count = 0;
    for (let r = 0; r < numRows; r++) if (failed[r] === -1 || (k >= 0 && failed[r] === k)) rows[count++] = r;
    const best = bestCandidates(rows, count, index, minimise);
    let eventsWeighted = 0;
    for (const r of best) eventsWeighted += weight[r];
    return { removed, candidates: count, events: best.length, eventsWeighted };
  };
  return [line('none', -1), ...cuts.map((cut, k) => line(cut.name, k))];
}

/** The row with the lowest `minimise` per event among `rows` (NaN never wins; ties keep the first). */
export function bestCandidates(rows: Int32Array, count: number, index: EventIndex, minimise: NumericColumn): Int32Array {
  const best = new Int32Array(index.events).fill(-1);
  for (let j = 0; j < count; j++) {
    const r = rows[j];
    const e = index.ofRow[r];
    const b = best[e];
    if (b < 0 || minimise[r] < minimise[b] || (Number.isNaN(minimise[b]) && !Number.isNaN(minimise[r]))) best[e] = r;
  }
  const chosen: number[] = [];
  for (let e = 0; e < best.length; e++) if (best[e] >= 0) chosen.push(best[e]);
  return Int32Array.from(chosen).sort();
}
