// Model matrix expansion, CI style: product over the axes, minus `exclude`, plus `include`.
// The axes are the training set, architecture, latent dimension and any training setting of
// SETTING_AXES (seed, learning rate, beta, ...). Shared by the loader (which reports entries
// that do nothing) and the compiler.
import {
  ARCHITECTURES,
  axisApplies,
  axisText,
  compareSettings,
  modelId,
  SETTING_AXES,
  type Architecture,
  type AxisValue,
  type ModelAxes,
  type SettingAxis,
} from '../core/models.js';
import type { ModelMatrixSpec, ModelSelector } from './spec.js';

/** The training set every definition has: all background samples. */
export const ALL_BACKGROUND = 'all';

export interface ModelCombo {
  background: string;
  architecture: Architecture;
  latentDim: number;
  /** The setting axes the matrix or an include gives this model (those that apply to its architecture). */
  settings: ModelAxes;
}

/** Where a model came from, so that problems can point at the right line. */
export type ModelOrigin = { from: 'matrix' } | { from: 'include'; index: number };

export interface ExpandedModel extends ModelCombo {
  origin: ModelOrigin;
  /** The settings that name the model: those of the axes with more than one value in the sweep. */
  axes: ModelAxes;
}

export interface ModelExpansion {
  models: ExpandedModel[];
  /** Setting axes with more than one value among the models they apply to. */
  varying: SettingAxis[];
  /** Indices of `exclude` entries that match no combination of the matrix. */
  excludesMatchingNothing: number[];
  /** Indices of `include` entries all of whose combinations already exist. */
  includesAddingNothing: number[];
}

function asList<T>(value: T | T[] | undefined, whenMissing: readonly T[]): readonly T[] {
  if (value === undefined) return whenMissing;
  return Array.isArray(value) ? value : [value];
}

/** A selector's values of one setting axis; hiddenLayers is a list itself, so one value is a list of numbers. */
function selectorValues(selector: ModelSelector, axis: SettingAxis): readonly AxisValue[] | undefined {
  const value = selector[axis] as AxisValue | AxisValue[] | undefined;
  if (value === undefined) return undefined;
  if (axis === 'hiddenLayers') return Array.isArray((value as unknown[])[0]) ? (value as AxisValue[]) : [value as AxisValue];
  return Array.isArray(value) ? (value as AxisValue[]) : [value as AxisValue];
}

const sameValue = (a: AxisValue, b: AxisValue) => axisText(a) === axisText(b);

function matches(combo: ModelCombo, selector: ModelSelector): boolean {
  return (
    (selector.background === undefined || asList(selector.background, []).includes(combo.background)) &&
    (selector.architecture === undefined || asList(selector.architecture, []).includes(combo.architecture)) &&
    (selector.latentDim === undefined || asList(selector.latentDim, []).includes(combo.latentDim)) &&
    SETTING_AXES.every((axis) => {
      const wanted = selectorValues(selector, axis);
      const value = combo.settings[axis];
      return wanted === undefined || (value !== undefined && wanted.some((w) => sameValue(w, value)));
    })
  );
}

/** Every combination of the given values; a setting axis only for the architectures it applies to. */
function product(
  backgrounds: readonly string[],
  architectures: readonly Architecture[],
  latentDims: readonly number[],
  settings: Partial<Record<SettingAxis, readonly AxisValue[]>>,
): ModelCombo[] {
  const combos: ModelCombo[] = [];
  for (const background of backgrounds) {
    for (const architecture of architectures) {
      let variants: ModelAxes[] = [{}];
      for (const axis of SETTING_AXES) {
        const values = settings[axis];
        if (!values || !axisApplies(axis, architecture)) continue;
        variants = variants.flatMap((variant) => values.map((value) => ({ ...variant, [axis]: value })));
      }
      for (const latentDim of latentDims)
        for (const variant of variants) combos.push({ background, architecture, latentDim, settings: variant });
    }
  }
  return combos;
}

const comboKey = (c: ModelCombo) => `${c.background}/${modelId({ ...c, axes: c.settings })}`;

export function expandModels(spec: ModelMatrixSpec): ModelExpansion {
  const matrixBackgrounds = spec.matrix?.background ?? [ALL_BACKGROUND];
  const matrixSettings = (selector: ModelSelector | undefined) =>
    Object.fromEntries(
      SETTING_AXES.flatMap((axis) => (selector && selectorValues(selector, axis) ? [[axis, selectorValues(selector, axis)!]] : [])),
    );
  const fromMatrix = matrixSettings(spec.matrix as ModelSelector | undefined);
  const full = spec.matrix ? product(matrixBackgrounds, spec.matrix.architecture, spec.matrix.latentDim, fromMatrix) : [];
  const excludesMatchingNothing = spec.exclude.flatMap((selector, index) => (full.some((c) => matches(c, selector)) ? [] : [index]));

  const models = new Map<string, ModelCombo & { origin: ModelOrigin }>();
  for (const combo of full) {
    if (!spec.exclude.some((selector) => matches(combo, selector))) models.set(comboKey(combo), { ...combo, origin: { from: 'matrix' } });
  }
  const includesAddingNothing: number[] = [];
  spec.include.forEach((selector, index) => {
    // A setting the entry does not give takes the matrix's values, as a missing background does.
    const combos = product(
      asList(selector.background, matrixBackgrounds),
      asList(selector.architecture, ARCHITECTURES),
      asList(selector.latentDim, []),
      { ...fromMatrix, ...matrixSettings(selector) },
    );
    const added = combos.filter((combo) => !models.has(comboKey(combo)));
    for (const combo of added) models.set(comboKey(combo), { ...combo, origin: { from: 'include', index } });
    if (added.length === 0) includesAddingNothing.push(index);
  });

  const all = [...models.values()];
  // A model that leaves an axis unset trains with the preset's value, which may equal another's
  // explicit one: so unset counts as a value of its own, and ids stay apart.
  const valuesOf = (axis: SettingAxis) =>
    new Set(
      all
        .filter((m) => axisApplies(axis, m.architecture))
        .map((m) => (m.settings[axis] === undefined ? 'unset' : axisText(m.settings[axis]!))),
    );
  const varying = SETTING_AXES.filter((axis) => valuesOf(axis).size > 1);
  // A stable, readable order whatever the YAML order: set, architecture, latent dimension, then the settings.
  const backgroundOrder = [...new Set([...matrixBackgrounds, ...all.map((m) => m.background)])];
  const sorted = all
    .map((m) => ({
      ...m,
      axes: Object.fromEntries(varying.flatMap((axis) => (m.settings[axis] === undefined ? [] : [[axis, m.settings[axis]]]))) as ModelAxes,
    }))
    .sort(
      (a, b) =>
        backgroundOrder.indexOf(a.background) - backgroundOrder.indexOf(b.background) ||
        ARCHITECTURES.indexOf(a.architecture) - ARCHITECTURES.indexOf(b.architecture) ||
        a.latentDim - b.latentDim ||
        compareSettings(a.settings, b.settings),
    );
  return { models: sorted, varying, excludesMatchingNothing, includesAddingNothing };
}

/** `AE-l3` (with the varying axes: `VAE-l6-beta0.01-s3`), or `<set>/...` when the sweep trains on more than one background set. */
export function modelName(model: ExpandedModel, severalSets: boolean): string {
  return severalSets ? `${model.background}/${modelId(model)}` : modelId(model);
}

export function hasSeveralSets(models: readonly ModelCombo[]): boolean {
  return new Set(models.map((m) => m.background)).size > 1;
}

/** Groups of at least two models that differ in the seed alone, for ensembles. */
export function seedGroups(models: ExpandedModel[]): ExpandedModel[][] {
  const groups = new Map<string, ExpandedModel[]>();
  for (const model of models) {
    if (model.settings.seed === undefined) continue;
    const { seed: _seed, ...rest } = model.settings;
    const key = `${model.background}/${modelId({ ...model, axes: rest })}`;
    groups.set(key, [...(groups.get(key) ?? []), model]);
  }
  return [...groups.values()].filter((group) => group.length > 1);
}

/** An ensemble of one seed group: its id inside the training set (`VAE-l8-beta0.1-ens`) and its name in the sweep. */
export function ensembleName(group: ExpandedModel[], severalSets: boolean): { id: string; name: string; axes: ModelAxes } {
  const first = group[0]!;
  const { seed: _seed, ...axes } = first.axes;
  const id = `${modelId({ ...first, axes })}-ens`;
  return { id, name: severalSets ? `${first.background}/${id}` : id, axes };
}
