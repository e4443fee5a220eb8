// The example signals of the definition (thesis: light, heavy, high splitting), matched to the
// signal samples of the scans by their mass point.
import type { ReportParams } from '../../core/dag.js';
import type { ScanFile } from '../scan/format.js';

export interface Example {
  name: string;
  /** Legend text with the mass point. */
  label: string;
  /** The signal sample at this mass point. */
  sample: string;
  color: string;
}

/** Dark, distinct colours that stand out against the pastel background stack. */
const EXAMPLE_COLORS = ['#d62728', '#1f3fbf', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];
const SAME_MASS = 1e-9;

export function matchExamples(scans: ScanFile[], examples: ReportParams['examples']): { found: Example[]; missing: string[] } {
  const signals = scans[0]?.signals ?? [];
  const found: Example[] = [];
  const missing: string[] = [];
  for (const example of examples) {
    const signal = signals.find(
      (s) => Math.abs((s.mChi1 ?? NaN) - example.mChi1) < SAME_MASS && Math.abs((s.mHprime ?? NaN) - example.mHprime) < SAME_MASS,
    );
    if (!signal) {
      missing.push(`${example.name} (m_χ1 = ${example.mChi1}, m_h′ = ${example.mHprime} GeV)`);
      continue;
    }
    found.push({
      name: example.name,
      label: `${example.name} (m_χ1 = ${example.mChi1}, m_h′ = ${example.mHprime})`,
      sample: signal.sample,
      color: EXAMPLE_COLORS[found.length % EXAMPLE_COLORS.length],
    });
  }
  return { found, missing };
}
