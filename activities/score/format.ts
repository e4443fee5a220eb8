// The files of a `score` artifact: the contract between score, scan and the tables.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SUPERVISED_SCORE } from '../../core/models.js';

/** Per event: sample (string), event, weight, split, mse, z0..z{d-1}; a supervised model's: output instead of mse and z. */
export const SCORES_FILE = 'scores.parquet';
/** The score column of a supervised model: its log-odds of signal against background. */
export const OUTPUT_COLUMN = SUPERVISED_SCORE;
/** SampleInfo[]: what each scored sample is and how many events preselection kept of it. */
export const SAMPLES_FILE = 'samples.json';

export interface SampleInfo {
  name: string;
  kind: 'background' | 'signal';
  process: string;
  /** Signal mass point in GeV; null for background. */
  mChi1: number | null;
  mHprime: number | null;
  /** Events the sample started with, before preselection (the denominator of eff_generated). */
  generated: number;
  generatedWeighted: number;
  /** Events after preselection (the denominator of eff_selected). */
  selected: number;
  selectedWeighted: number;
}

export function latentColumn(index: number): string {
  return `z${index}`;
}

export async function readSamples(scoreDir: string): Promise<SampleInfo[]> {
  return JSON.parse(await readFile(join(scoreDir, SAMPLES_FILE), 'utf8')) as SampleInfo[];
}
