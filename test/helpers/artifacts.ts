// Summaries of upstream artifacts as the engine hands them to a runner (from the manifest),
// for tests that build a node's inputs by hand.
import type { PreselectSummary } from '../../activities/preselect/format.js';

/** A complete preselect summary: a background sample unless `overrides` says otherwise. */
export function preselectSummary(sample: string, overrides: Partial<PreselectSummary> = {}): Record<string, unknown> {
  const summary: PreselectSummary = {
    sample,
    process: sample,
    kind: 'background',
    mChi1: null,
    mHprime: null,
    generated: 0,
    generatedWeighted: 0,
    selected: 0,
    selectedWeighted: 0,
    efficiency: 0,
    ...overrides,
  };
  return { ...summary };
}
