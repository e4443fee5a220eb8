// What a `generate` artifact holds, for the preselection that reads it: the candidate
// ntuple and how many events (raw and weighted) it stands for before any cut.

/** One row per candidate, columns named like a Belle II analysis ntuple (docs/generator.md). */
export const NTUPLE_FILE = 'ntuple.parquet';

export interface GenerateSummary {
  sample: string;
  process: string;
  kind: 'background' | 'signal';
  generated: number;
  generatedWeighted: number;
  candidates: number;
}
