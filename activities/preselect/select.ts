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
