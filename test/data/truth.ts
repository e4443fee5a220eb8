// Which true particles make the selected candidates of a process (as thesis Fig. 4.7 shows):
// generates a sample, applies the preselection of definitions/thesis.yaml and counts, weighted
// to 100 fb^-1, the truth of the four candidate tracks of each selected event.
//
//   npx tsx test/data/truth.ts PROCESS [EVENTS] [SEED]
import { join } from 'node:path';
import { Kind } from '../../activities/generate/particles.js';
import { PROCESSES } from '../../activities/generate/processes.js';
import { generateSample } from '../../activities/generate/sample.js';
import { compileExpression } from '../../activities/preselect/expr.js';
import { applyCuts, bestCandidates, indexEvents } from '../../activities/preselect/select.js';
import type { NumericColumn } from '../../activities/lib/parquet.js';
import { compile } from '../../definitions/compile.js';
import { NODE_KINDS, type DagNode, type NodeKind } from '../../core/dag.js';
import { loadSpec } from '../../definitions/load.js';

const [process, eventsArg, seedArg] = process_args();
function process_args(): [string, number, number] {
  const [p, n, seed] = globalThis.process.argv.slice(2);
  if (!p || !PROCESSES[p]) throw new Error(`usage: truth.ts PROCESS [EVENTS] [SEED]; PROCESS one of ${Object.keys(PROCESSES).join(', ')}`);
  return [p, Number(n ?? 200000), Number(seed ?? 12345)];
}
const spec = loadSpec(join(import.meta.dirname, '../../definitions/thesis.yaml'));
const dag = compile(spec, {
  codeVersions: Object.fromEntries(NODE_KINDS.map((k) => [k, 'truth'])) as Record<NodeKind, string>,
  until: 'preselect',
});
const pre = dag.nodes.find(
  (n) => n.kind === 'preselect' && (n as DagNode<'preselect'>).params.sample.process === process,
) as DagNode<'preselect'>;
const name = (t: number) => (t === -1 ? 'bkg' : t === -2 ? 'conv' : Kind[t]);
const truth: string[] = [];
const { table } = await generateSample(
  { name: process, kind: 'background', process, luminosityFb: 100 },
  {
    events: eventsArg,
    seed: seedArg,
    onCandidate: (tracks, em, ep, mm, mp) => {
      truth.push(`e:${name(tracks.truth[em])},${name(tracks.truth[ep])} mu:${name(tracks.truth[mm])},${name(tracks.truth[mp])}`);
    },
  },
);
const catalog = new Map(Object.keys(table.columns).map((c) => [c, { numeric: c !== 'process' }]));
const cuts = pre.params.cuts.map((c) => ({ name: c.name, compiled: compileExpression(c.expr, catalog, c.name) }));
const column = (c: string) => table.columns[c] as NumericColumn;
const index = indexEvents(column('event'));
const weight = Float64Array.from(column('weight'));
const { rows, count, flow } = applyCuts(cuts, column, table.numRows, index, weight);
const best = bestCandidates(rows, count, index, column('missE'));
const tally = new Map<string, [number, number]>();
for (const r of best) {
  const t = tally.get(truth[r]) ?? [0, 0];
  tally.set(truth[r], [t[0] + 1, t[1] + weight[r]]);
}
console.log(flow.map((f) => `${f.cut}: ${f.events} (${f.eventsWeighted.toFixed(1)})`).join('\n'));
console.log(`selected ${best.length} events, ${[...tally.values()].reduce((s, t) => s + t[1], 0).toFixed(1)} at 100 fb^-1`);
for (const [k, [n, w]] of [...tally.entries()].sort((a, b) => b[1][1] - a[1][1]).slice(0, 15)) console.log(`${n}\t${w.toFixed(1)}\t${k}`);
