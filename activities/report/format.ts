// What a `report` artifact holds, for the CLI that points the user at it: the page and the
// sweep's answer, the best model per example signal.

/** The report page; its figures are PNG files beside it. */
export const REPORT_FILE = 'index.html';

/** The answer of the sweep: per example signal, the model with the highest max PFOM. */
export interface BestModel {
  example: string;
  mChi1: number | null;
  mHprime: number | null;
  model: string;
  maxPfom: number;
  noCutPfom: number;
  effSelected: number;
  effGenerated: number;
  threshold: number;
  nBackgroundAbove: number;
}

export interface ReportSummary {
  page: string;
  figures: number;
  models: number;
  scans: number;
  best: BestModel[];
}
