import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NodeContext, InputArtifact } from '../../activities/engine/context.js';
import { UserError } from '../../core/errors.js';
import { productRunners } from '../../activities/registry.js';
import { runFitScaler } from '../../activities/fit-scaler/index.js';
import { readTable, writeTable, type Table } from '../../activities/lib/parquet.js';
import type { NumericColumn } from '../../activities/lib/parquet.js';
import { compileExpression } from '../../activities/preselect/expr.js';
import { runPreselect } from '../../activities/preselect/index.js';
import { applyCuts, bestCandidates, indexEvents, nMinusOne } from '../../activities/preselect/select.js';
import type { DagNode, FitScalerParams, InputFile, NodeKind, PreselectParams, SampleParams } from '../../core/dag.js';
import { preselectSummary } from '../helpers/artifacts.js';
import { nodeContext } from '../helpers/node-context.js';

const root = mkdtempSync(join(tmpdir(), 'preselect-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
function context<K extends NodeKind>(kind: K, params: DagNode<K>['params'], inputs: InputArtifact[] = []): NodeContext<K> {
  return nodeContext(kind, params, { root, dataRoot: join(root, 'data') }, inputs);
}

/**
 * A user's ntuple with its own column names (evt, E_miss, w): 4 events, several candidates
 * each, events 7 and 3 interleaved so that rows of one event are not adjacent.
 */
const USER: Table = {
  numRows: 9,
  columns: {
    evt: Int32Array.from([7, 7, 3, 7, 3, 12, 12, 40, 3]),
    E_miss: Float64Array.from([2.0, 1.0, 5.0, 0.5, 4.0, 3.0, -1.0, 6.0, 4.5]),
    f1: Float64Array.from([10, 11, 12, 13, 14, 15, 16, 17, 18]),
    nHits: Int32Array.from([30, 30, 30, 10, 30, 30, 30, 5, 30]),
    w: Float64Array.from([2, 2, 4, 2, 4, 1, 1, 8, 4]),
    label: ['a', 'a', 'b', 'a', 'b', 'c', 'c', 'd', 'b'],
  },
};
mkdirSync(join(root, 'data'));
await writeTable(join(root, 'data', 'user.parquet'), USER);
writeFileSync(join(root, 'data', 'notes.parquet'), 'this is not a parquet file');

/** A file of the data root as the client plans it: its path and the sha256 of what it holds now. */
function planned(file: string): InputFile {
  const path = join(root, 'data', file);
  return { path: file, sha256: existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'missing when planned' };
}

function userParams(
  overrides: Partial<PreselectParams> = {},
  file = 'user.parquet',
  kind: SampleParams['kind'] = 'background',
): PreselectParams {
  return {
    sample: { name: 'mine', kind, process: 'tautau', source: { files: [planned(file)], weight: 0.5 }, luminosityFb: 100 },
    cuts: [
      { name: 'hits', expr: 'nHits > 20' },
      { name: 'positiveMissE', expr: 'missE > 0' },
    ],
    bestCandidate: { minimise: 'missE' },
    features: ['f1', 'missE'],
    columns: { event: 'evt', missE: 'E_miss', weight: 'w' },
    testFraction: 0.3,
    seed: 5,
    ...overrides,
  };
}

async function preselect(params: PreselectParams) {
  const ctx = context('preselect', params);
  const summary = await runPreselect(ctx);
  const events = await readTable(join(ctx.outDir, 'events.parquet'));
  const flow = JSON.parse(readFileSync(join(ctx.outDir, 'cutflow.json'), 'utf8')) as Record<string, number | string>[];
  const nMinus1 = JSON.parse(readFileSync(join(ctx.outDir, 'nminus1.json'), 'utf8')) as Record<string, number | string>[];
  return { summary, events, flow, nMinus1, dir: ctx.outDir };
}

async function failure(params: PreselectParams): Promise<string> {
  try {
    await runPreselect(context('preselect', params));
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('preselect succeeded');
}

describe('best candidate and cut flow', () => {
  const event = Float64Array.from([5, 5, 9, 5, 9, 2, 2]);
  const missE = Float64Array.from([3, NaN, 2, 1, 2, NaN, NaN]);
  const index = indexEvents(event);

  it('numbers events densely in order of appearance, adjacent or not', () => {
    expect(index.events).toBe(3);
    expect(Array.from(index.ofRow)).toEqual([0, 0, 1, 0, 1, 2, 2]);
  });

  it('keeps the lowest value per event; ties keep the first; NaN only when nothing else', () => {
    const all = Int32Array.from([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(bestCandidates(all, 7, index, missE))).toEqual([2, 3, 5]);
    const some = Int32Array.from([0, 1, 4]);
    expect(Array.from(bestCandidates(some, 3, index, missE))).toEqual([0, 4]);
  });

  it('counts candidates and events kept by each cut, raw and weighted', () => {
    const catalog = new Map([
      ['missE', { numeric: true }],
      ['event', { numeric: true }],
    ]);
    const cuts = [
      { name: 'finite', compiled: compileExpression('missE > -100', catalog, 'c') },
      { name: 'small', compiled: compileExpression('missE < 2.5', catalog, 'c') },
    ];
    const weight = Float64Array.from([1, 1, 10, 1, 10, 100, 100]);
    const columns: Record<string, NumericColumn> = { missE, event };
    const { rows, count, flow } = applyCuts(cuts, (n) => columns[n], 7, index, weight);
    expect(Array.from(rows.subarray(0, count))).toEqual([2, 3, 4]);
    expect(flow).toEqual([
      { cut: 'input', candidates: 7, events: 3, candidatesWeighted: 223, eventsWeighted: 111 },
      { cut: 'finite', candidates: 4, events: 2, candidatesWeighted: 22, eventsWeighted: 11 },
      { cut: 'small', candidates: 3, events: 2, candidatesWeighted: 21, eventsWeighted: 11 },
    ]);
  });
});

describe('N-1 study', () => {
  // Three events; rows 0-1 of event 5, rows 2-3 of event 9, row 4 of event 2.
  const event = Float64Array.from([5, 5, 9, 9, 2]);
  const a = Float64Array.from([1, 0, 1, 0, 0]);
  const b = Float64Array.from([1, 1, 0, 0, 1]);
  const c = Float64Array.from([1, 1, 1, 1, 0]);
  const missE = Float64Array.from([4, 3, 2, 1, 5]);
  const weight = Float64Array.from([1, 1, 10, 10, 100]);
  const columns: Record<string, NumericColumn> = { a, b, c, missE, event };
  const catalog = new Map(Object.keys(columns).map((k) => [k, { numeric: true }]));
  const cut = (name: string) => ({ name, compiled: compileExpression(`${name} == 1`, catalog, name) });
  const index = indexEvents(event);

  it('removes each cut once, keeps the others, and picks the best candidate among what passes', () => {
    const rows = nMinusOne([cut('a'), cut('b'), cut('c')], (n) => columns[n], 5, index, weight, missE);
    expect(rows).toEqual([
      // Only row 0 passes a, b and c.
      { removed: 'none', candidates: 1, events: 1, eventsWeighted: 1 },
      // Without a: rows 0, 1 (event 5, best row 1).
      { removed: 'a', candidates: 2, events: 1, eventsWeighted: 1 },
      // Without b: rows 0 and 2 (events 5 and 9).
      { removed: 'b', candidates: 2, events: 2, eventsWeighted: 11 },
      // Without c: row 0 only (row 4 fails a).
      { removed: 'c', candidates: 1, events: 1, eventsWeighted: 1 },
    ]);
  });

  it('agrees with the sequential cut flow for the full selection', () => {
    const cuts = [cut('b'), cut('c')];
    const flow = applyCuts(cuts, (n) => columns[n], 5, index, weight);
    const best = bestCandidates(flow.rows, flow.count, index, missE);
    const [none] = nMinusOne(cuts, (n) => columns[n], 5, index, weight, missE);
    expect(none.events).toBe(best.length);
    expect(none.candidates).toBe(flow.count);
  });
});

describe('preselect on a user ntuple', () => {
  it('maps the columns, applies the cuts in order and keeps the lowest missE per event', async () => {
    const { summary, events, flow, nMinus1 } = await preselect(userParams());
    // Event 7: rows 0 (2.0), 1 (1.0) pass; row 3 fails nHits. Event 3: rows 2, 4, 8 -> 4.0.
    // Event 12: row 6 fails missE > 0 -> row 5. Event 40: fails nHits.
    expect(Array.from(events.columns.event as Int32Array)).toEqual([7, 3, 12]);
    expect(Array.from(events.columns.missE as Float64Array)).toEqual([1.0, 4.0, 3.0]);
    expect(Array.from(events.columns.f1 as Float64Array)).toEqual([11, 14, 15]);
    expect(Object.keys(events.columns)).toEqual(['event', 'f1', 'missE', 'weight', 'split', 'm_chi1', 'm_hprime']);
    expect(Array.from(events.columns.m_chi1 as Float64Array).every(Number.isNaN)).toBe(true);
    expect(flow.map((f) => [f.cut, f.candidates, f.events])).toEqual([
      ['input', 9, 4],
      ['hits', 7, 3],
      ['positiveMissE', 6, 3],
      ['bestCandidate', 3, 3],
    ]);
    // N-1: without the hits cut event 40 comes back (row 7); without missE > 0 nothing changes
    // (event 12 keeps row 5), but the failing row 6 is counted as a candidate.
    expect(nMinus1.map((f) => [f.removed, f.candidates, f.events])).toEqual([
      ['none', 6, 3],
      ['hits', 8, 4],
      ['positiveMissE', 7, 3],
    ]);
    // Weights: file weight x sample weight 0.5, then / (1 - f) for train and / f for test.
    const split = events.columns.split as Uint8Array;
    const weight = events.columns.weight as Float64Array;
    [2 * 0.5, 4 * 0.5, 1 * 0.5].forEach((w, k) => expect(weight[k]).toBeCloseTo(w / (split[k] ? 0.3 : 0.7), 12));
    // Generated counts of a user file: its distinct events and their weights.
    expect(summary).toMatchObject({ sample: 'mine', generated: 4, generatedWeighted: (2 + 4 + 1 + 8) * 0.5, selected: 3 });
    // Selected events stand for the luminosity once, before the split rescales them.
    expect(summary.selectedWeighted).toBeCloseTo((2 + 4 + 1) * 0.5, 12);
    expect(summary.efficiency).toBeCloseTo(3.5 / 7.5, 12);
  });

  it('splits by a hash of event id and seed: stable when cuts change, about testFraction held out', async () => {
    const n = 4000;
    const big: Table = {
      numRows: n,
      columns: {
        evt: Int32Array.from({ length: n }, (_, i) => 100 + i),
        E_miss: Float64Array.from({ length: n }, (_, i) => (i % 10) / 10),
        f1: Float64Array.from({ length: n }, (_, i) => i),
        nHits: new Int32Array(n).fill(30),
        w: new Float64Array(n).fill(1),
      },
    };
    await writeTable(join(root, 'data', 'big.parquet'), big);
    const loose = await preselect(userParams({}, 'big.parquet'));
    const tight = await preselect(userParams({ cuts: [{ name: 'half', expr: 'missE >= 0.5' }] }, 'big.parquet'));
    const again = await preselect(userParams({}, 'big.parquet'));
    expect(again.events.columns.split).toEqual(loose.events.columns.split);
    const splitOf = new Map(
      Array.from(loose.events.columns.event as Int32Array, (e, k) => [e, (loose.events.columns.split as Uint8Array)[k]]),
    );
    (tight.events.columns.event as Int32Array).forEach((e, k) =>
      expect((tight.events.columns.split as Uint8Array)[k]).toBe(splitOf.get(e)),
    );
    const held = (loose.events.columns.split as Uint8Array).reduce((s, v) => s + v, 0) / loose.events.numRows;
    expect(held).toBeGreaterThan(0.27);
    expect(held).toBeLessThan(0.33);
    // Each half alone stands for the whole sample.
    const sum = (table: Table, half: number) =>
      (table.columns.weight as Float64Array).reduce((s, w, k) => s + ((table.columns.split as Uint8Array)[k] === half ? w : 0), 0);
    expect(sum(loose.events, 0) / (n * 0.5 * 0.9)).toBeCloseTo(1, 1);
    expect(sum(loose.events, 1) / (n * 0.5 * 0.9)).toBeCloseTo(1, 1);
    const reseeded = await preselect(userParams({ seed: 6 }, 'big.parquet'));
    expect(reseeded.events.columns.split).not.toEqual(loose.events.columns.split);
  });

  it('splits a signal like the background (the supervised models train on one part, the scans measure on the other)', async () => {
    const signal = (await preselect(userParams({}, 'user.parquet', 'signal'))).events;
    const background = (await preselect(userParams({}, 'user.parquet', 'background'))).events;
    // The same events, the same rule: the split depends on the sample name, the seed and the event id only.
    expect(signal.columns.event).toEqual(background.columns.event);
    expect(signal.columns.split).toEqual(background.columns.split);
    const split = signal.columns.split as Uint8Array;
    expect(new Set(split)).toEqual(new Set([0, 1]));
    const weight = signal.columns.weight as Float64Array;
    [1, 2, 0.5].forEach((w, k) => expect(weight[k]).toBeCloseTo(w / (split[k] ? 0.3 : 0.7), 12));
  });
});

describe('preselect bad input', () => {
  it('a missing file: names the path and the fix', async () => {
    const message = await failure(userParams({}, 'missing/ntuple.parquet'));
    expect(message).toBe(
      `sample mine: file 'missing/ntuple.parquet' does not exist (looked for ${join(root, 'data', 'missing/ntuple.parquet')}); check data.root and the file name.`,
    );
  });

  it('a file replaced after the sweep was planned: refuses to read it under the old cache key', async () => {
    writeFileSync(join(root, 'data', 'replaced.parquet'), readFileSync(join(root, 'data', 'user.parquet')));
    const params = userParams({}, 'replaced.parquet');
    await writeTable(join(root, 'data', 'replaced.parquet'), { ...USER, columns: { ...USER.columns, f1: new Float64Array(9).fill(1) } });
    const message = await failure(params);
    expect(message).toContain(`sample mine: input file ${join(root, 'data', 'replaced.parquet')} changed after the sweep was planned`);
    expect(message).toContain('run the sweep again');
    expect((await preselect(userParams({}, 'replaced.parquet'))).events.columns.f1).toEqual(new Float64Array(3).fill(1));
  });

  it('a file that is not Parquet', async () => {
    expect(await failure(userParams({}, 'notes.parquet'))).toContain('notes.parquet is not a Parquet file');
  });

  it('a path that leaves the data root', async () => {
    expect(await failure(userParams({}, '../outside.parquet'))).toContain("file '../outside.parquet' must be a path relative to data.root");
    expect(await failure(userParams({}, '/etc/passwd'))).toContain('no leading / and no ..');
  });

  it('a cut naming a column that does not exist: lists the columns, suggests the closest', async () => {
    const message = await failure(userParams({ cuts: [{ name: 'hits', expr: 'nHit > 20' }] }));
    expect(message).toContain("sample mine, preselection cut 'hits': unknown column 'nHit'");
    expect(message).toContain('did you mean "nHits"?');
    expect(message).toContain('Available columns: event, missE, f1, nHits, weight, label');
  });

  it('a cut with a syntax error: the expression with a caret under the position', async () => {
    const message = await failure(userParams({ cuts: [{ name: 'broken', expr: 'nHits > > 20' }] }));
    expect(message).toContain("preselection cut 'broken': syntax error");
    expect(message.split('\n').slice(-2)).toEqual(['  nHits > > 20', `  ${' '.repeat(8)}^`]);
  });

  it('a non-numeric column in a cut', async () => {
    const message = await failure(userParams({ cuts: [{ name: 'byLabel', expr: 'label > 0' }] }));
    expect(message).toContain("column 'label' holds text, but cuts compute with numbers");
  });

  it('a feature or best-candidate column that does not exist or holds text', async () => {
    expect(await failure(userParams({ features: ['f1', 'f2'] }))).toContain(
      'feature \'f2\' is not a column of the ntuple; did you mean "f1"?',
    );
    expect(await failure(userParams({ bestCandidate: { minimise: 'label' } }))).toContain(
      "preselection.bestCandidate.minimise 'label' holds text",
    );
  });
});

describe('fitScaler', () => {
  async function preselected(name: string, rows: { f1: number; missE: number; weight: number; split: number }[]): Promise<InputArtifact> {
    const dir = join(root, `pre-${name}`);
    mkdirSync(dir);
    await writeTable(join(dir, 'events.parquet'), {
      numRows: rows.length,
      columns: {
        event: Int32Array.from(rows, (_, i) => i),
        f1: Float64Array.from(rows, (r) => r.f1),
        missE: Float64Array.from(rows, (r) => r.missE),
        weight: Float64Array.from(rows, (r) => r.weight),
        split: Uint8Array.from(rows, (r) => r.split),
      },
    });
    return { nodeId: `preselect/${name}`, kind: 'preselect', dir, summary: preselectSummary(name) };
  }

  it('takes the weighted mean and std over the training split of the listed samples only', async () => {
    const a = await preselected('a', [
      { f1: 1, missE: 5, weight: 1, split: 0 },
      { f1: 3, missE: 5, weight: 3, split: 0 },
      { f1: 1000, missE: 1000, weight: 1, split: 1 },
    ]);
    const b = await preselected('b', [{ f1: 5, missE: 7, weight: 4, split: 0 }]);
    const other = await preselected('other', [{ f1: -1000, missE: 0, weight: 1, split: 0 }]);
    const params: FitScalerParams = { background: 'all', samples: ['a', 'b'], features: ['f1', 'missE'] };
    const ctx = context('fitScaler', params, [a, b, other]);
    expect(await runFitScaler(ctx)).toEqual({ events: 3 });
    const scaler = JSON.parse(readFileSync(join(ctx.outDir, 'scaler.json'), 'utf8'));
    // f1: values 1, 3, 5 with weights 1, 3, 4.
    const mean = (1 * 1 + 3 * 3 + 5 * 4) / 8;
    const std = Math.sqrt((1 * (1 - mean) ** 2 + 3 * (3 - mean) ** 2 + 4 * (5 - mean) ** 2) / 8);
    expect(scaler.features).toEqual(['f1', 'missE']);
    expect(scaler.mean[0]).toBeCloseTo(mean, 12);
    expect(scaler.std[0]).toBeCloseTo(std, 12);
    expect(scaler.mean[1]).toBeCloseTo((5 * 4 + 7 * 4) / 8, 12);
    expect(scaler.std[1]).toBeCloseTo(1, 12);
  });

  it('refuses a feature with zero spread, naming it', async () => {
    const flat = await preselected('flat', [
      { f1: 1, missE: 2, weight: 1, split: 0 },
      { f1: 2, missE: 2, weight: 1, split: 0 },
    ]);
    const ctx = context('fitScaler', { background: 'all', samples: ['flat'], features: ['f1', 'missE'] }, [flat]);
    await expect(runFitScaler(ctx)).rejects.toThrow(UserError);
    await expect(runFitScaler(ctx)).rejects.toThrow(
      "training set all: feature 'missE' has zero spread over the training events (every value is 2)",
    );
  });
});

// Workers run every CPU node in a child process (activities/isolate.ts): the summary, the
// files and a user error's type and message must come through it unchanged.
describe('preselect in its own process', () => {
  it('gives the same summary and files as in-process', async () => {
    const ctx = context('preselect', userParams());
    const summary = await productRunners().preselect(ctx);
    expect(summary).toEqual((await preselect(userParams())).summary);
    expect((await readTable(join(ctx.outDir, 'events.parquet'))).numRows).toBeGreaterThan(0);
  });

  it('keeps a user error a UserError, with its message', async () => {
    const run = productRunners().preselect(context('preselect', userParams({}, 'missing/ntuple.parquet')));
    await expect(run).rejects.toThrow(UserError);
    await expect(run).rejects.toThrow(
      `file 'missing/ntuple.parquet' does not exist (looked for ${join(root, 'data', 'missing/ntuple.parquet')})`,
    );
  });
});
