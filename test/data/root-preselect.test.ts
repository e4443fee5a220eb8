// The preselection on ROOT ntuples written by uproot: the same events as ROOT (basf2 names,
// split over three files) and as Parquet give the same result; events are told apart per
// file; weights from a branch, a weight per sample and the generated count; and a jagged or
// array branch that a definition reads stops the node with one message naming the fix.
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputFile, PreselectParams, SampleParams } from '../../core/dag.js';
import { UserError } from '../../core/errors.js';
import { generateSample } from '../../activities/generate/sample.js';
import { sha256File } from '../../activities/lib/content-hash.js';
import { readTable, writeTable } from '../../activities/lib/parquet.js';
import { runPreselect } from '../../activities/preselect/index.js';
import { expandCut } from '../../definitions/cuts.js';
import { loadSpec } from '../../definitions/load.js';
import { EXAMPLE, writeBasf2Ntuples } from '../helpers/example-ntuples.js';
import { nodeContext } from '../helpers/node-context.js';
import { writeRootFiles } from '../helpers/root-files.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

let root: string;
let data: string;
const spec = loadSpec(EXAMPLE);
const ROOT_FILES = ['taus/taus_0.root', 'taus/taus_1.root', 'more/taus_2.root'];

beforeAll(async () => {
  root = await tempDir('root-preselect');
  data = join(root, 'data');
  await mkdir(data);
  const sample = { name: 'taus', kind: 'background', process: 'tautau', luminosityFb: 100 } as const;
  const { table } = await generateSample(sample, { events: 60_000, seed: 5 });
  await writeTable(join(data, 'taus.parquet'), table);
  await writeBasf2Ntuples(
    table,
    ROOT_FILES.map((f) => join(data, f)),
    { tree: 'variables', columns: spec.columns },
  );
  const branch = (type: string, values: unknown[]) => ({ type, values });
  await writeRootFiles([
    // Two production jobs that both number their events from 1.
    ...[0, 1].map((job) => ({
      path: join(data, `jobs/job_${job}.root`),
      trees: [
        {
          name: 'variables',
          branches: {
            __event__: branch('uint32', [1, 1, 2]),
            missE: branch('float64', [2 + job, 1 + job, 5]),
            f1: branch('float32', [10 * job + 1, 10 * job + 2, 10 * job + 3]),
            candWeight: branch('float32', [0.5, 0.25, 2]),
          },
        },
      ],
    })),
    {
      path: join(data, 'odd.root'),
      trees: [
        {
          name: 'variables',
          branches: {
            __event__: branch('uint32', [1, 2]),
            missE: branch('float64', [1, 2]),
            njag: branch('int32', [1, 2]),
            jag: branch('var * float64', [[1], [2, 3]]),
            p3: branch('float64', [
              [1, 2, 3],
              [4, 5, 6],
            ]),
          },
        },
      ],
    },
  ]);
});
afterAll(removeTempDirs);

async function planned(...files: string[]): Promise<InputFile[]> {
  return Promise.all(files.map(async (path) => ({ path, sha256: await sha256File(join(data, path)) })));
}

function params(source: SampleParams['source'], overrides: Partial<PreselectParams> = {}): PreselectParams {
  return {
    sample: { name: 'taus', kind: 'background', process: 'tautau', source, luminosityFb: 100 },
    cuts: spec.preselection.cuts.map(expandCut),
    bestCandidate: spec.preselection.bestCandidate,
    features: spec.features,
    columns: {},
    testFraction: 0.3,
    seed: 9,
    ...overrides,
  };
}

async function preselect(p: PreselectParams) {
  const ctx = nodeContext('preselect', p, { root, dataRoot: data });
  const summary = await runPreselect(ctx);
  const events = await readTable(join(ctx.outDir, 'events.parquet'));
  const flow = JSON.parse(readFileSync(join(ctx.outDir, 'cutflow.json'), 'utf8')) as unknown;
  return { summary, events, flow };
}

async function failure(p: PreselectParams): Promise<string> {
  const run = runPreselect(nodeContext('preselect', p, { root, dataRoot: data }));
  await expect(run).rejects.toThrow(UserError);
  return run.then(
    () => '',
    (err: Error) => err.message,
  );
}

describe('preselection on ROOT ntuples', () => {
  it('gives the same result on the same events as ROOT (three files, basf2 names) and as Parquet', async () => {
    const parquet = await preselect(params({ files: await planned('taus.parquet') }));
    const rootFiles = await preselect(
      params({ files: await planned(...ROOT_FILES), tree: 'variables', weightColumn: '__weight__' }, { columns: spec.columns }),
    );
    expect(parquet.events.numRows).toBeGreaterThan(100);
    expect(rootFiles.summary).toEqual(parquet.summary);
    expect(rootFiles.flow).toEqual(parquet.flow);
    expect(rootFiles.events.numRows).toBe(parquet.events.numRows);
    // The event number was written unsigned: the same numbers, read as float64.
    expect(Array.from(rootFiles.events.columns.event as Float64Array)).toEqual(Array.from(parquet.events.columns.event as Int32Array));
    for (const name of [...spec.features, 'weight', 'split']) {
      expect(rootFiles.events.columns[name], name).toEqual(parquet.events.columns[name]);
    }
  });

  it('tells events of different files apart, though their numbers repeat', async () => {
    const { events, summary } = await preselect(
      params(
        { files: await planned('jobs/job_0.root', 'jobs/job_1.root') },
        { cuts: [], features: ['f1'], columns: { event: '__event__' } },
      ),
    );
    // Per file: event 1 keeps its lower missE (the second row), event 2 its only row.
    expect(Array.from(events.columns.f1 as Float64Array)).toEqual([2, 3, 12, 13]);
    expect(summary).toMatchObject({ generated: 4, selected: 4 });
  });

  it('weighs each candidate by its weight branch times the sample weight; generated sets the denominator', async () => {
    const source = { files: await planned('jobs/job_0.root', 'jobs/job_1.root'), weight: 3, weightColumn: 'candWeight', generated: 40 };
    const { events, summary } = await preselect(params(source, { cuts: [], features: ['f1'], columns: { event: '__event__' } }));
    const split = events.columns.split as Uint8Array;
    // Selected rows weigh 0.25 (event 1) and 2 (event 2) in both files, times 3.
    [0.75, 6, 0.75, 6].forEach((w, k) => expect((events.columns.weight as Float64Array)[k]).toBeCloseTo(w / (split[k] ? 0.3 : 0.7), 12));
    // Four events in the files weigh (0.5 + 2) x 3 x 2 in all (an event's weight is its first candidate's);
    // 40 generated events scale that up tenfold.
    expect(summary.generated).toBe(40);
    expect(summary.generatedWeighted).toBeCloseTo(15 * 10, 12);
    expect(summary.selectedWeighted).toBeCloseTo(13.5, 12);
    expect(summary.efficiency).toBeCloseTo(13.5 / 150, 12);
  });

  it('a jagged branch read as a feature: names the sample, file, tree and branch, and how to flatten it', async () => {
    const message = await failure(
      params({ files: await planned('odd.root') }, { cuts: [], features: ['jag'], columns: { event: '__event__' } }),
    );
    expect(message).toContain(`sample taus: feature 'jag': branch 'jag' of tree 'variables' in ${join(data, 'odd.root')}`);
    expect(message).toContain('holds a variable-length array per row');
    expect(message).toContain('basf2 variablesToNtuple (one row per candidate)');
  });

  it('a branch of the wrong type in a cut: the message points at it in the expression', async () => {
    const cuts = [{ name: 'momentum', expr: 'missE > 0 && p3 > 1' }];
    const message = await failure(
      params({ files: await planned('odd.root') }, { cuts, features: ['missE'], columns: { event: '__event__' } }),
    );
    expect(message).toContain(
      `sample taus, preselection cut 'momentum': branch 'p3' of tree 'variables' in ${join(data, 'odd.root')} holds 3 numbers per row`,
    );
    expect(message.split('\n').slice(-2)).toEqual(['  missE > 0 && p3 > 1', `  ${' '.repeat(13)}^`]);
  });

  it('a missing tree: the message names the file and the trees it has', async () => {
    const message = await failure(params({ files: await planned(...ROOT_FILES), tree: 'ntuple' }, { columns: spec.columns }));
    expect(message).toBe(
      `${join(data, ROOT_FILES[0])} has no tree 'ntuple'; it holds the trees variables: name one of them as the sample's tree.`,
    );
  });
});
