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

/** Per example signal: the best autoencoder against the best supervised model (supervised.ts). */
export interface VersusSupervised {
  example: string;
  autoencoder: { model: string; maxPfom: number; effSelected: number; threshold: number };
  supervised: { model: string; maxPfom: number; effSelected: number; threshold: number };
  /** max PFOM of the autoencoder / max PFOM of the supervised model. */
  ratio: number;
}

export interface ReportSummary {
  page: string;
  figures: number;
  models: number;
  scans: number;
  best: BestModel[];
  /** Empty when the sweep has no supervised model. */
  versusSupervised: VersusSupervised[];
}
