// What a `generate` artifact holds, for the preselection that reads it: the candidate
// ntuple, its columns (which `sweep validate` checks the cuts against), and how many events
// (raw and weighted) it stands for before any cut.
import type { ColumnCatalog } from '../../definitions/cuts.js';
import { NTUPLE_COLUMNS } from './ntuple.js';

/** One row per candidate, columns named like a Belle II analysis ntuple (docs/generator.md). */
export const NTUPLE_FILE = 'ntuple.parquet';

/** The columns of the generated ntuple: the numeric ones and the `process` label. */
export const NTUPLE_CATALOG: ColumnCatalog = new Map<string, { numeric: boolean }>([
  ...NTUPLE_COLUMNS.map((c): [string, { numeric: boolean }] => [c.name, { numeric: true }]),
  ['process', { numeric: false }],
]);

export interface GenerateSummary {
  sample: string;
  process: string;
  kind: 'background' | 'signal';
  generated: number;
  generatedWeighted: number;
  candidates: number;
}
