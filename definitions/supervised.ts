// The supervised baselines of a definition (models.supervised), resolved against the signal
// grid: each model's name and its signal classes as sample names. Shared by the checks
// (which report what does not resolve, with its place) and the compiler.
import type { SupervisedParams } from '../core/dag.js';
import type { SupervisedArchitecture } from '../core/models.js';
import { didYouMean } from '../core/suggest.js';
import type { SignalPoint } from './signals.js';
import type { PointList, Spec, SupervisedModelSpec } from './spec.js';

/** `signal: all` trains on every point of the grid. */
export const ALL_SIGNALS = 'all';

export interface SupervisedModel {
  /** Its entry in models.supervised. */
  index: number;
  name: string;
  architecture: SupervisedArchitecture;
  classes: SupervisedParams['classes'];
}

/** A problem of one models.supervised entry: the key it is under and what is wrong. */
export interface SupervisedProblem {
  index: number;
  path: (string | number)[];
  message: string;
}

function asList(points: PointList): string[] {
  return typeof points === 'string' ? [points] : points;
}

/** Sample names of the points a list names: examples by name, points by sample name, `all` for the grid. */
function resolvePoints(points: PointList, spec: Spec, grid: SignalPoint[]): { samples: string[]; unknown: string[] } {
  const byExample = new Map(
    Object.entries(spec.samples.signal.examples).map(([name, p]) => [
      name,
      grid.find((g) => g.mChi1 === p.m_chi1 && g.mHprime === p.m_hprime)?.name,
    ]),
  );
  const samples: string[] = [];
  const unknown: string[] = [];
  for (const point of asList(points)) {
    if (point === ALL_SIGNALS) samples.push(...grid.map((g) => g.name));
    else if (grid.some((g) => g.name === point)) samples.push(point);
    else if (byExample.get(point) !== undefined) samples.push(byExample.get(point)!);
    else unknown.push(point);
  }
  return { samples: [...new Set(samples)], unknown };
}

function defaultName(entry: SupervisedModelSpec): string {
  if (entry.classes) return `${entry.architecture}-multiclass`;
  const points = asList(entry.signal ?? []);
  return `${entry.architecture}-${points.join('+')}`;
}

/** The models and the problems of models.supervised; a model with a problem is left out. */
export function resolveSupervised(spec: Spec, grid: SignalPoint[]): { models: SupervisedModel[]; problems: SupervisedProblem[] } {
  const models: SupervisedModel[] = [];
  const problems: SupervisedProblem[] = [];
  const pointNames = [...Object.keys(spec.samples.signal.examples), ...grid.map((g) => g.name), ALL_SIGNALS];
  spec.models.supervised.forEach((entry, index) => {
    const at = (...path: (string | number)[]) => ['models', 'supervised', index, ...path];
    const report = (path: (string | number)[], message: string) => problems.push({ index, path, message });
    const unknownMessage = (point: string) =>
      `"${point}" is not a signal point${didYouMean(point, pointNames)}; name an example (${Object.keys(spec.samples.signal.examples).join(', ')}), ` +
      `a grid point's sample name (e.g. ${grid[0]?.name ?? 'none'}) or all`;
    const classEntries = Object.entries(entry.classes ?? {});
    const trainsOnSignal = entry.signal !== undefined ? asList(entry.signal).length > 0 : classEntries.length > 0;
    if (entry.signal !== undefined && entry.classes !== undefined) {
      return report(at(), 'give either `signal` (a binary classifier) or `classes` (a multiclass DNN), not both');
    }
    if (!trainsOnSignal) {
      return report(
        at(),
        `the ${entry.architecture} has no signal to train on; add \`signal:\` (an example such as ${Object.keys(spec.samples.signal.examples)[0] ?? 'light'}, a list of points, or all) or \`classes:\``,
      );
    }
    if (entry.classes !== undefined && entry.architecture !== 'DNN') {
      return report(
        at('classes'),
        `classes make a multiclass network: only a DNN can have them; use \`signal:\` for the ${entry.architecture}`,
      );
    }
    const classes: SupervisedModel['classes'] = [];
    let bad = false;
    if (entry.signal !== undefined) {
      const { samples, unknown } = resolvePoints(entry.signal, spec, grid);
      unknown.forEach((point) =>
        report(at('signal', ...(Array.isArray(entry.signal) ? [asList(entry.signal).indexOf(point)] : [])), unknownMessage(point)),
      );
      bad = unknown.length > 0;
      classes.push({ name: 'signal', samples });
    } else {
      const owner = new Map<string, string>();
      for (const [name, points] of classEntries) {
        const { samples, unknown } = resolvePoints(points, spec, grid);
        unknown.forEach((point) => report(at('classes', name), `class ${name}: ${unknownMessage(point)}`));
        for (const sample of samples) {
          if (owner.has(sample))
            report(at('classes', name), `class ${name}: ${sample} is in class ${owner.get(sample)} already; a point belongs to one class`);
          owner.set(sample, name);
        }
        bad ||= unknown.length > 0 || samples.length === 0;
        classes.push({ name, samples });
      }
    }
    if (!bad) models.push({ index, name: entry.name ?? defaultName(entry), architecture: entry.architecture, classes });
  });
  return { models, problems };
}
