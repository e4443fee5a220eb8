// The `scan` node: reads one model's score artifact and writes the PFOM curve and maximum of
// every signal (scan.json) plus the maxima as a table (maxima.csv). The math is in pfom.ts.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScanParams } from '../../core/dag.js';
import type { NodeRunner } from '../engine/context.js';
import { UserError } from '../../core/errors.js';
import { readTable, numericColumn, type Table } from '../lib/parquet.js';
import { buildScan, type ScoredSample } from './result.js';
import { MAXIMA_CSV_COLUMNS, MAXIMA_FILE, maximumRows, rowsAsCsv, SCAN_FILE } from './format.js';
import { OUTPUT_COLUMN, SCORES_FILE, latentColumn, readSamples, type SampleInfo } from '../score/format.js';

export const runScan: NodeRunner<'scan'> = async (ctx) => {
  const params = ctx.node.params;
  // A score artifact, or an ensemble's, which has the same files less the latent columns.
  const score = ctx.inputs.find((input) => input.kind === 'score' || input.kind === 'ensemble');
  if (!score) throw new Error(`scan ${ctx.node.id}: no score artifact among its inputs`);
  const scoreColumn = scoreColumnName(params);
  const latentColumns = score.kind === 'ensemble' ? [] : Array.from({ length: params.latentDim }, (_, i) => latentColumn(i));
  const path = join(score.dir, SCORES_FILE);
  const table = await readTable(path, ['sample', 'weight', 'split', ...new Set([scoreColumn, ...latentColumns])]);
  const samples = groupBySample(table, await readSamples(score.dir), scoreColumn, latentColumns, `${params.model}: ${path}`);
  if (!samples.some((s) => s.info.kind === 'background' && s.scores.length > 0)) {
    throw new UserError(
      `${params.model}: ${path} holds no background test events, so there is no B to scan against; ` +
        `set preselection.testFraction above 0 and check that the background samples survive preselection.`,
    );
  }
  ctx.heartbeat();
  const scan = buildScan(params, samples);
  await writeFile(join(ctx.outDir, SCAN_FILE), JSON.stringify(scan));
  await writeFile(join(ctx.outDir, MAXIMA_FILE), rowsAsCsv(MAXIMA_CSV_COLUMNS, maximumRows(scan)));
  const best = scan.signals.reduce<(typeof scan.signals)[number] | undefined>(
    (top, s) => (top === undefined || s.maximum.pfom > top.maximum.pfom ? s : top),
    undefined,
  );
  return {
    signals: scan.signals.length,
    thresholds: scan.grid.count,
    gridRule: scan.grid.rule,
    bestSignal: best?.sample ?? null,
    bestPfom: best?.maximum.pfom ?? null,
  };
};

/** Column of scores.parquet that `scan.score` names: `mse`, or `latent:<i>` -> `z<i>` (thesis 7.4). */
export function scoreColumnName(params: ScanParams): string {
  if (params.score === 'mse') return 'mse';
  if (params.score === OUTPUT_COLUMN) return OUTPUT_COLUMN;
  const match = /^latent:(\d+)$/.exec(params.score);
  if (!match) {
    throw new UserError(`scan.score is '${params.score}'; use 'mse' or 'latent:<i>' (e.g. latent:0) to scan a latent coordinate.`);
  }
  if (params.ensembleOf) {
    throw new UserError(
      `scan.score '${params.score}' scans a latent coordinate, but ${params.model} is an ensemble, whose members' latent spaces are not aligned; use scan.score mse with models.ensemble.`,
    );
  }
  const index = Number(match[1]);
  if (index >= params.latentDim) {
    throw new UserError(
      `scan.score '${params.score}' names latent variable ${index}, but model ${params.model} has latentDim ${params.latentDim} ` +
        `(latent:0 .. latent:${params.latentDim - 1}); pick a smaller index or restrict the models to latentDim > ${index}.`,
    );
  }
  return latentColumn(index);
}

/** Splits the score table into samples, each with its held-out split only. */
function groupBySample(table: Table, infos: SampleInfo[], scoreColumn: string, latentColumns: string[], where: string): ScoredSample[] {
  const names = table.columns.sample;
  if (!Array.isArray(names)) throw new UserError(`${where}: column 'sample' must hold sample names as text.`);
  const score = numericColumn(table, scoreColumn, where);
  const weight = numericColumn(table, 'weight', where);
  const split = numericColumn(table, 'split', where);
  const latent = latentColumns.map((name) => numericColumn(table, name, where));
  const rowsOf = new Map<string, number[]>(infos.map((info) => [info.name, []]));
  for (let i = 0; i < table.numRows; i++) {
    const rows = rowsOf.get(names[i]);
    if (!rows) throw new Error(`${where}: sample '${names[i]}' is not listed in samples.json of the same artifact`);
    if (split[i] === 1) rows.push(i);
  }
  return infos.map((info) => {
    const rows = rowsOf.get(info.name)!;
    const pick = (column: ArrayLike<number>) => Float64Array.from(rows, (i) => column[i]);
    const sample = { info, scores: pick(score), weights: pick(weight), latent: latent.map(pick) };
    const bad = sample.scores.filter((x) => !Number.isFinite(x)).length;
    if (bad > 0) {
      throw new UserError(
        `${where}: ${bad} events of sample '${info.name}' have a non-finite score '${scoreColumn}': the model outputs NaN or Infinity. ` +
          `Retrain it (check its history.json for a diverging loss) before scanning.`,
      );
    }
    return sample;
  });
}
