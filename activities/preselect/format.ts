// What a `preselect` artifact holds, for the kinds that read it (fitScaler, train, score)
// and the CLI's preselection.csv: the selected events and the node summary that says which
// sample they are and how many events preselection kept. And what it reads: the ntuple
// columns a preselection needs, under canonical names, which `sweep validate` and `sweep
// inspect` check a sample's files against.
import type { PreselectParams, SampleParams } from '../../core/dag.js';
import { expressionColumns, type ColumnCatalog } from '../../definitions/cuts.js';
import type { InputArtifact } from '../engine/context.js';

/** One row per selected event: event id, the features, weight, split (1 = held out), truth masses. */
export const EVENTS_FILE = 'events.parquet';
/** The cut flow: events and candidates (raw and weighted) after every cut. */
export const CUTFLOW_FILE = 'cutflow.json';
/** The N-1 study: what every cut alone removes, i.e. the selection with each cut left out once. */
export const NMINUS1_FILE = 'nminus1.json';

export interface PreselectSummary {
  sample: string;
  process: string;
  kind: SampleParams['kind'];
  /** Signal mass point in GeV; null for background. */
  mChi1: number | null;
  mHprime: number | null;
  /** Events the sample started with, before any cut (the denominator of eff_generated). */
  generated: number;
  generatedWeighted: number;
  /** Events after preselection (the denominator of eff_selected). */
  selected: number;
  selectedWeighted: number;
  efficiency: number;
}

const NUMBERS = ['generated', 'generatedWeighted', 'selected', 'selectedWeighted', 'efficiency'] as const;

/** The summary of a preselect input, checked: a missing field is a bug upstream, named here. */
export function preselectSummary(input: InputArtifact): PreselectSummary {
  const s = input.summary;
  const missing = [
    ...(['sample', 'process', 'kind'] as const).filter((key) => typeof s[key] !== 'string'),
    ...NUMBERS.filter((key) => typeof s[key] !== 'number'),
  ];
  if (input.kind !== 'preselect' || missing.length > 0) {
    throw new Error(
      `input ${input.nodeId} (${input.kind}) is not a preselect artifact with a complete summary (missing ${missing.join(', ')})`,
    );
  }
  return s as unknown as PreselectSummary;
}

/**
 * The columns an ntuple offers the cuts and features, under canonical names: `mapping`
 * (the definition's `columns`, canonical -> name in the file) renames, and a mapped column
 * appears under its canonical name only. `fileName` leads back to the file's names.
 */
export function ntupleColumns(
  fileColumns: ColumnCatalog,
  mapping: Record<string, string>,
): { catalog: ColumnCatalog; fileName: Map<string, string> } {
  const canonicalOf = new Map(Object.entries(mapping).map(([canonical, user]) => [user, canonical]));
  const catalog = new Map<string, { numeric: boolean; unreadable?: string }>();
  const fileName = new Map<string, string>();
  for (const [name, column] of fileColumns) {
    const canonical = canonicalOf.get(name) ?? name;
    catalog.set(canonical, column);
    fileName.set(canonical, name);
  }
  return { catalog, fileName };
}

/** A column a preselection reads from the ntuple (canonical name), and what reads it. */
export interface PreselectInput {
  column: string;
  usedBy: string;
  /** The cut whose expression names the column, for cut columns. */
  cut?: string;
}

/** Every column these preselection settings read: event id, best-candidate column, features, then each cut's columns. */
export function preselectInputs(params: Pick<PreselectParams, 'cuts' | 'features' | 'bestCandidate'>): PreselectInput[] {
  return [
    { column: 'event', usedBy: 'the event id column' },
    { column: params.bestCandidate.minimise, usedBy: 'preselection.bestCandidate.minimise' },
    ...params.features.map((column) => ({ column, usedBy: 'feature' })),
    ...params.cuts.flatMap((cut) => {
      const usedBy = `preselection cut '${cut.name}'`;
      return expressionColumns(cut.expr, usedBy).map((column) => ({ column, usedBy, cut: cut.name }));
    }),
  ];
}
