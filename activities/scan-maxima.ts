// The best cut per model and signal as table rows: the scan's maxima.csv and the CLI's scan.csv
// are both cut from these, so the two can never disagree.
import type { ScanFile } from './scan-format.js';
import { toCsv, type Cell } from './csv.js';

/** The columns of `--out DIR/scan.csv` (issue 5), in order. */
export const SCAN_CSV_COLUMNS = [
  'model',
  'architecture',
  'latentDim',
  'background',
  'signal',
  'm_chi1',
  'm_hprime',
  'max_pfom',
  'eff_selected',
  'eff_generated',
  'threshold',
  'n_background_above',
] as const;

/** maxima.csv adds what helps judge a maximum: simulated events behind B and the PFOM without any cut. */
export const MAXIMA_CSV_COLUMNS = [...SCAN_CSV_COLUMNS, 'background_events_above', 'pfom_no_cut'] as const;

export type MaximumRow = Record<(typeof MAXIMA_CSV_COLUMNS)[number], Cell>;

export function maximumRows(scan: ScanFile): MaximumRow[] {
  return scan.signals.map((s) => ({
    model: scan.model,
    architecture: scan.architecture,
    latentDim: scan.latentDim,
    background: scan.background,
    signal: s.sample,
    m_chi1: s.mChi1,
    m_hprime: s.mHprime,
    max_pfom: s.maximum.pfom,
    eff_selected: s.maximum.effSelected,
    eff_generated: s.maximum.effGenerated,
    threshold: s.maximum.threshold,
    n_background_above: s.maximum.nBackgroundAbove,
    background_events_above: s.maximum.backgroundEventsAbove,
    pfom_no_cut: s.noCut.pfom,
  }));
}

export function rowsAsCsv(columns: readonly (keyof MaximumRow)[], rows: MaximumRow[]): string {
  return toCsv([...columns], rows.map((row) => columns.map((column) => row[column])));
}
