// The `ensemble` node: models that differ in the seed alone, averaged. Per event the mean of
// the members' reconstruction MSE, which smooths the seed-to-seed scatter of the tails where
// the PFOM cuts. Writes a score artifact (scores.parquet, samples.json) that the scan reads as
// it reads one model's; it has no latent columns, since latent spaces of different seeds are
// not aligned and averaging them means nothing.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeRunner } from '../engine/context.js';
import { numericColumn, readTable, writeTable, type Table } from '../lib/parquet.js';
import { SAMPLES_FILE, SCORES_FILE } from '../score/format.js';

export const runEnsemble: NodeRunner<'ensemble'> = async (ctx) => {
  const params = ctx.node.params;
  const members = ctx.inputs.filter((input) => input.kind === 'score');
  if (members.length !== params.members.length) {
    throw new Error(
      `ensemble ${ctx.node.id}: ${members.length} score artifacts among its inputs for ${params.members.length} members (a bug in the DAG compiler)`,
    );
  }
  let first: Table | undefined;
  let sum: Float64Array | undefined;
  for (const member of members) {
    const path = join(member.dir, SCORES_FILE);
    const table = await readTable(path, ['sample', 'event', 'weight', 'split', 'mse']);
    const mse = numericColumn(table, 'mse', path);
    if (!first || !sum) {
      first = table;
      sum = Float64Array.from(mse);
    } else {
      assertSameEvents(first, table, `${members[0]!.nodeId} and ${member.nodeId}`);
      for (let i = 0; i < sum.length; i++) sum[i] += mse[i];
    }
    ctx.heartbeat({ members: members.indexOf(member) + 1, of: members.length });
  }
  const mean = sum!.map((x) => x / members.length);
  const { sample, event, weight, split } = first!.columns;
  await writeTable(join(ctx.outDir, SCORES_FILE), { numRows: first!.numRows, columns: { sample, event, weight, split, mse: mean } });
  // Every member scored the same preselected samples, so any member's sample list is the ensemble's.
  await copyFile(join(members[0]!.dir, SAMPLES_FILE), join(ctx.outDir, SAMPLES_FILE));
  ctx.log(`averaged the scores of ${members.length} models over ${first!.numRows} events`);
  return { model: params.model, members: members.length, events: first!.numRows };
};

/**
 * The members score the same preselect artifacts in the order the compiler lists them, so
 * their rows line up; checked event by event, since a silent misalignment would mix events.
 */
function assertSameEvents(a: Table, b: Table, which: string): void {
  const [sampleA, sampleB] = [a.columns.sample as string[], b.columns.sample as string[]];
  const [eventA, eventB] = [a.columns.event, b.columns.event];
  const aligned = a.numRows === b.numRows && sampleA.every((s, i) => s === sampleB[i] && eventA[i] === eventB[i]);
  if (!aligned)
    throw new Error(`the score tables of ${which} do not list the same events in the same order, so their scores cannot be averaged`);
}
