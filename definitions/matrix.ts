// Model matrix expansion, CI style: product over the axes, minus `exclude`, plus `include`.
// Shared by the loader (which reports entries that do nothing) and the compiler.
import { ARCHITECTURES, modelId, type Architecture } from '../core/models.js';
import type { ModelMatrixSpec, ModelSelector } from './spec.js';

/** The training set every definition has: all background samples. */
export const ALL_BACKGROUND = 'all';

export interface ModelCombo {
  background: string;
  architecture: Architecture;
  latentDim: number;
}

/** Where a model came from, so that problems can point at the right line. */
export type ModelOrigin = { from: 'matrix' } | { from: 'include'; index: number };

export interface ModelExpansion {
  models: (ModelCombo & { origin: ModelOrigin })[];
  /** Indices of `exclude` entries that match no combination of the matrix. */
  excludesMatchingNothing: number[];
  /** Indices of `include` entries all of whose combinations already exist. */
  includesAddingNothing: number[];
}

function asList<T>(value: T | T[] | undefined, whenMissing: readonly T[]): readonly T[] {
  if (value === undefined) return whenMissing;
  return Array.isArray(value) ? value : [value];
}

function matches(combo: ModelCombo, selector: ModelSelector): boolean {
  return (
    (selector.background === undefined || asList(selector.background, []).includes(combo.background)) &&
    (selector.architecture === undefined || asList(selector.architecture, []).includes(combo.architecture)) &&
    (selector.latentDim === undefined || asList(selector.latentDim, []).includes(combo.latentDim))
  );
}

function product(backgrounds: readonly string[], architectures: readonly Architecture[], latentDims: readonly number[]): ModelCombo[] {
  return backgrounds.flatMap((background) =>
    architectures.flatMap((architecture) => latentDims.map((latentDim) => ({ background, architecture, latentDim }))),
  );
}

const comboKey = (c: ModelCombo) => `${c.background}/${modelId(c)}`;

export function expandModels(spec: ModelMatrixSpec): ModelExpansion {
  const matrixBackgrounds = spec.matrix?.background ?? [ALL_BACKGROUND];
  const full = spec.matrix ? product(matrixBackgrounds, spec.matrix.architecture, spec.matrix.latentDim) : [];
  const excludesMatchingNothing = spec.exclude.flatMap((selector, index) => (full.some((c) => matches(c, selector)) ? [] : [index]));

  const models = new Map<string, ModelCombo & { origin: ModelOrigin }>();
  for (const combo of full) {
    if (!spec.exclude.some((selector) => matches(combo, selector))) models.set(comboKey(combo), { ...combo, origin: { from: 'matrix' } });
  }
  const includesAddingNothing: number[] = [];
  spec.include.forEach((selector, index) => {
    const combos = product(
      asList(selector.background, matrixBackgrounds),
      asList(selector.architecture, ARCHITECTURES),
      asList(selector.latentDim, []),
    );
    const added = combos.filter((combo) => !models.has(comboKey(combo)));
    for (const combo of added) models.set(comboKey(combo), { ...combo, origin: { from: 'include', index } });
    if (added.length === 0) includesAddingNothing.push(index);
  });

  // A stable, readable order whatever the YAML order: set, architecture, latent dimension.
  const backgroundOrder = [...new Set([...matrixBackgrounds, ...[...models.values()].map((m) => m.background)])];
  const sorted = [...models.values()].sort(
    (a, b) =>
      backgroundOrder.indexOf(a.background) - backgroundOrder.indexOf(b.background) ||
      ARCHITECTURES.indexOf(a.architecture) - ARCHITECTURES.indexOf(b.architecture) ||
      a.latentDim - b.latentDim,
  );
  return { models: sorted, excludesMatchingNothing, includesAddingNothing };
}

/** `AE-l3`, or `<set>/AE-l3` when the sweep trains on more than one background set. */
export function modelName(combo: ModelCombo, severalSets: boolean): string {
  return severalSets ? `${combo.background}/${modelId(combo)}` : modelId(combo);
}

export function hasSeveralSets(models: readonly ModelCombo[]): boolean {
  return new Set(models.map((m) => m.background)).size > 1;
}
