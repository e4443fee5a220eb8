// What a `fitScaler` artifact holds: the per-feature mean and standard deviation of the
// background training split (thesis Eq. 5.2), and the one way to apply it, which training
// and scoring share so the scaling is identical everywhere.
import { readFile } from 'node:fs/promises';
import { UserError } from '../../core/errors.js';

export const SCALER_FILE = 'scaler.json';

export interface Scaler {
  features: string[];
  mean: number[];
  std: number[];
}

/** The scaler at `path`, checked against the features the caller uses. */
export async function readScaler(path: string, features: string[]): Promise<Scaler> {
  const scaler = JSON.parse(await readFile(path, 'utf8')) as Scaler;
  if (JSON.stringify(scaler.features) !== JSON.stringify(features)) {
    throw new UserError(
      `${path} scales the features [${scaler.features.join(', ')}] but the model uses [${features.join(', ')}]; ` +
        `fit the scaler on the same features list (re-run fitScaler).`,
    );
  }
  scaler.std.forEach((std, i) => {
    if (!(std > 0) || !Number.isFinite(std) || !Number.isFinite(scaler.mean[i]!)) {
      throw new UserError(
        `${path}: feature ${features[i]} has mean ${scaler.mean[i]} and standard deviation ${std}; a constant or ` +
          `non-finite feature cannot be standardised — remove it from features or fix its values in the preselection.`,
      );
    }
  });
  return scaler;
}

/** Standardises feature columns into row-major float32 rows: (x - mean) / std. */
export function standardise(columns: ArrayLike<number>[], rows: number, scaler: Scaler): Float32Array {
  const width = columns.length;
  const out = new Float32Array(rows * width);
  columns.forEach((column, j) => {
    const mean = scaler.mean[j]!;
    const std = scaler.std[j]!;
    for (let r = 0; r < rows; r++) out[r * width + j] = (column[r]! - mean) / std;
  });
  return out;
}
