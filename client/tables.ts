// The tables `sweep run --out DIR` writes: scan.csv (best cut per model and signal) and
// models.csv (one row per model). Pure: the caller reads the artifacts (readScanFile on each
// scan node's artifact directory; params + summary of each train node) and writes the text.
import { compareModels } from '../core/models.js';
import { toCsv } from '../activities/lib/csv.js';
import { SCAN_CSV_COLUMNS, maximumRows, rowsAsCsv, type MaximumRow, type ScanFile } from '../activities/scan/format.js';
import { MODELS_CSV_COLUMNS, modelRow, type ModelOutcome, type ModelRow } from '../activities/train/format.js';

/** Rows of scan.csv: every signal of every scanned model, models in matrix order. */
export function scanCsvRows(scans: ScanFile[]): MaximumRow[] {
  return [...scans].sort(compareModels).flatMap(maximumRows);
}

export function scanCsv(scans: ScanFile[]): string {
  return rowsAsCsv(SCAN_CSV_COLUMNS, scanCsvRows(scans));
}

/** Rows of models.csv: every model of the matrix, with empty cells where training did not finish. */
export function modelsCsvRows(models: ModelOutcome[]): ModelRow[] {
  return [...models].sort((a, b) => compareModels(a.params, b.params)).map(modelRow);
}

export function modelsCsv(models: ModelOutcome[]): string {
  return toCsv(
    [...MODELS_CSV_COLUMNS],
    modelsCsvRows(models).map((row) => MODELS_CSV_COLUMNS.map((c) => row[c])),
  );
}
