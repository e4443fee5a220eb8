// The files of a `scan` artifact: the contract between scan, the report and the CLI tables,
// and the best cut per model and signal as table rows (the scan's maxima.csv and the CLI's
// scan.csv are both cut from these, so the two can never disagree).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScanParams } from '../../core/dag.js';
import { SETTING_COLUMNS, settingCells } from '../../core/models.js';
import { toCsv, type Cell } from '../lib/csv.js';
import type { StepRule } from './pfom.js';

export const SCAN_FILE = 'scan.json';
/** One row per signal with the maximum of its PFOM curve (the table a physicist opens first). */
export const MAXIMA_FILE = 'maxima.csv';

/** The best cut for one signal. */
export interface ScanMaximum {
  pfom: number;
  /** Efficiency relative to the signal events after preselection (what the PFOM uses). */
  effSelected: number;
  /** Efficiency relative to the generated events (preselection and autoencoder cut together). */
  effGenerated: number;
  /** Selection: score > threshold. */
  threshold: number;
  /** B at the maximum: weighted background events above the threshold, at the sweep's luminosity. */
  nBackgroundAbove: number;
  /** Simulated (unweighted) background events above the threshold: how much B can be trusted. */
  backgroundEventsAbove: number;
}

export interface ScanSignal {
  sample: string;
  process: string;
  mChi1: number | null;
  mHprime: number | null;
  generated: number;
  selected: number;
  selectedWeighted: number;
  /** eff_selected per threshold, aligned with ScanFile.thresholds. */
  efficiency: number[];
  pfom: number[];
  maximum: ScanMaximum;
  /** Reference without any autoencoder cut: every preselected event passes, B = all background. */
  noCut: { pfom: number; effGenerated: number; nBackground: number };
}

/** Weighted score histograms for the report (background by process, every signal). */
export interface ScoreHistogram {
  edges: number[];
  /** Bins are logarithmic in the score (a positive score spanning decades, like the MSE). */
  log: boolean;
  background: Record<string, number[]>;
  signals: Record<string, number[]>;
}

/** A thinned copy of the latent coordinates for pair plots (every n-th event). */
export interface LatentSample {
  dims: number;
  /** Weights are the events' own, so thinned histograms keep the weighted shape. */
  background: { process: string[]; weight: number[]; z: number[][] };
  signals: Record<string, number[][]>;
}

/** Names the scan node's params it was made with; the grid settings go under `grid`. */
export interface ScanFile extends Omit<ScanParams, 'quantiles' | 'steps'> {
  grid: {
    quantiles: [number, number];
    steps: number;
    quantileValues: [number, number];
    start: number;
    step: number;
    count: number;
    end: number;
    rule: StepRule;
  };
  /** Shared by every signal of the model: thresholds and B (weighted, and simulated events). */
  thresholds: number[];
  backgroundAbove: number[];
  backgroundEventsAbove: number[];
  backgroundTotal: number;
  backgroundEvents: number;
  signals: ScanSignal[];
  histogram: ScoreHistogram;
  latent: LatentSample;
}

export async function readScanFile(scanDir: string): Promise<ScanFile> {
  return JSON.parse(await readFile(join(scanDir, SCAN_FILE), 'utf8')) as ScanFile;
}

/** The columns of `--out DIR/scan.csv` in order. */
export const SCAN_CSV_COLUMNS = [
  'model',
  'architecture',
  'latentDim',
  'background',
  ...SETTING_COLUMNS,
  'ensemble_of',
  'signal',
  'trained_on_signal',
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
    ...settingCells(scan.architecture, scan.settings),
    ensemble_of: scan.ensembleOf?.join(' ') ?? null,
    signal: s.sample,
    // A supervised model: 1 where it trained on the signal, 0 where it never saw it; empty for an autoencoder.
    trained_on_signal: scan.trainedOn ? Number(scan.trainedOn.includes(s.sample)) : null,
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
  return toCsv(
    [...columns],
    rows.map((row) => columns.map((column) => row[column])),
  );
}
