// Belle II-like ROOT ntuples from the embedded generator, written as basf2's variablesToNtuple
// writes them: TTrees with basf2's names (the definition's `columns` mapping, and __weight__),
// the event number unsigned, the vertex-fit flags bool, one candidate per row, a sample's
// events split over several files. The tests write them; for a user,
// `npm run example:ntuples` writes the files definitions/ntuples.yaml reads.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSample } from '../../activities/generate/sample.js';
import { writeTable, type Table } from '../../activities/lib/parquet.js';
import { deriveSeed, sampleFiles } from '../../definitions/compile.js';
import { loadSpec } from '../../definitions/load.js';
import { expandSignals } from '../../definitions/signals.js';
import { writeRootFiles } from './root-files.js';

export const EXAMPLE = fileURLToPath(new URL('../../definitions/ntuples.yaml', import.meta.url));

/** Branch types basf2 gives these canonical columns; the others keep the generator's types. */
const BASF2_TYPES: Record<string, string> = { event: 'uint32', hprime_fitFailed: 'bool', chi2_fitFailed: 'bool' };

/**
 * Writes `table` (canonical column names, rows of one event adjacent) as ROOT files, its
 * events split evenly over `paths`, every column renamed as `columns` maps it and the
 * candidate weight as __weight__. Each file appears whole or not at all.
 */
export async function writeBasf2Ntuples(
  table: Table,
  paths: string[],
  options: { tree: string; columns: Record<string, string> },
): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'basf2-ntuples-'));
  try {
    const parquet = join(scratch, 'candidates.parquet');
    await writeTable(parquet, table);
    const names = { ...options.columns, weight: '__weight__' };
    const types = Object.fromEntries(
      Object.entries(BASF2_TYPES).map(([column, type]) => [names[column as keyof typeof names] ?? column, type]),
    );
    const bounds = eventBounds(table.columns.event as ArrayLike<number>, paths.length);
    const partial = paths.map((path) => `${path}.${randomUUID()}.partial`);
    await Promise.all(paths.map((path) => mkdir(dirname(path), { recursive: true })));
    await writeRootFiles(
      partial.map((path, i) => ({
        path,
        basket: 5000,
        trees: [{ name: options.tree, parquet, rows: [bounds[i], bounds[i + 1]], drop: ['process'], rename: names, types }],
      })),
    );
    await Promise.all(partial.map((path, i) => rename(path, paths[i])));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Row bounds splitting the rows into `parts` runs of about equal length, never inside an event. */
function eventBounds(event: ArrayLike<number>, parts: number): number[] {
  const bounds = [0];
  for (let part = 1; part < parts; part++) {
    let row = Math.max(bounds[part - 1], Math.round((event.length * part) / parts));
    while (row > 0 && row < event.length && event[row] === event[row - 1]) row++;
    bounds.push(row);
  }
  bounds.push(event.length);
  return bounds;
}

/** The files of definitions/ntuples.yaml that are missing, written; a pattern's `*` becomes 0, 1, 2. Returns the data root. */
export async function writeExampleNtuples(): Promise<string> {
  const spec = loadSpec(EXAMPLE);
  const points = new Map(expandSignals(spec.samples.signal).map((p) => [p.name, p]));
  for (const { sample, entries } of sampleFiles(spec)) {
    const paths = entries
      .flatMap((e) => (e.includes('*') ? [0, 1, 2].map((i) => e.replace('*', String(i))) : [e]))
      .map((p) => join(spec.dataRoot, p));
    if (paths.every((path) => existsSync(path))) continue;
    const background = spec.samples.background.find((b) => b.name === sample);
    const point = points.get(sample);
    const source = background ?? spec.samples.signal;
    const { table } = await generateSample(
      {
        name: sample,
        kind: background ? 'background' : 'signal',
        process: source.process,
        mChi1: point?.mChi1,
        mHprime: point?.mHprime,
        luminosityFb: spec.luminosity,
      },
      { events: source.generated!, seed: deriveSeed(spec.seed, `example/${sample}`) },
    );
    await writeBasf2Ntuples(table, paths, { tree: source.tree!, columns: spec.columns });
  }
  return spec.dataRoot;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeExampleNtuples().then(
    (root) => console.log(`example ntuples of ${EXAMPLE} in ${root}`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
