// Semantic checks that JSON Schema cannot express, run on a definition that passed the
// schema. Each problem names the place (a path into the YAML) so the loader can give its
// line and column. Together with the schema these guarantee that compile() succeeds.
import path from 'node:path';
import type { RetrySettings } from '../core/dag.js';
import { ALL_BACKGROUND, ensembleName, expandModels, hasSeveralSets, modelName, seedGroups } from './matrix.js';
import { DEFAULT_RETRY } from './presets.js';
import { isKinematicallyOpen, SQRT_S } from '../core/idmdh.js';
import { latentDimProblem } from '../core/models.js';
import { expandSignals, parseWhere, WHERE_EXPECTED, type SignalPoint } from './signals.js';
import { fileEntries, type FileSampleSpec, type ModelSelector, type Spec } from './spec.js';
import { isUserError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import { expandCut, translateCut, type ColumnCatalog } from './cuts.js';
import { resolveSupervised } from './supervised.js';

export type YamlPath = (string | number)[];

export interface Problem {
  path: YamlPath;
  message: string;
  /** Point at the key itself rather than its value (e.g. a misnamed key). */
  atKey?: boolean;
}

export interface CheckOptions {
  /**
   * The columns a sample's ntuple will offer (by sample name); undefined where they are not
   * known (a file not there yet). Cuts, features and the best-candidate column are checked
   * against them.
   */
  columnsOf?: (sample: string) => ColumnCatalog | undefined;
  /** Directories the data may come from (the definition's folder and SWEEP_DATA_ROOTS); data.root must lie below one. */
  allowedRoots?: string[];
}

export function checkSemantics(spec: Spec, options: CheckOptions = {}): Problem[] {
  const problems: Problem[] = [];
  const report = (path: YamlPath, message: string, atKey = false) => problems.push({ path, message, atKey });
  // Without a readable `where` there is no grid; the checks that need it are skipped.
  const signals = checkSignals(spec, report);
  checkBackground(spec, signals ?? [], report);
  if (options.allowedRoots) checkDataRoot(spec, options.allowedRoots, report);
  const cutsReadable = checkCuts(spec, report);
  if (options.columnsOf && cutsReadable) checkColumns(spec, signals ?? [], options.columnsOf, report);
  checkTrainingSets(spec, signals ?? [], report);
  checkModelsAndScan(spec, signals, report);
  checkRetries(spec, report);
  return problems;
}

type Report = (path: YamlPath, message: string, atKey?: boolean) => void;

/** Paths must stay inside data.root, so a definition cannot read arbitrary files. */
function isInsideRoot(file: string): boolean {
  const normal = path.posix.normalize(file.replaceAll('\\', '/'));
  return !path.posix.isAbsolute(normal) && !/^[A-Za-z]:/.test(normal) && normal !== '..' && !normal.startsWith('../');
}

const FILE_ONLY = ['tree', 'weight', 'crossSectionNb', 'generated', 'weightColumn'] as const;

/** Where a sample's events come from: the generator, or the user's files and how to read and weigh them. */
function checkSource(at: YamlPath, source: FileSampleSpec & { generate?: unknown }, report: Report) {
  if ((source.generate === undefined) === (source.file === undefined)) {
    report(
      at,
      'give exactly one of `generate: {events: N}` (embedded generator) and `file:` (your ROOT or Parquet ntuples: a path, a pattern or a list of them)',
    );
  }
  const entries = fileEntries(source.file);
  entries.forEach((entry, i) => {
    if (!isInsideRoot(entry)) {
      report(
        [...at, 'file', ...(Array.isArray(source.file) ? [i] : [])],
        `"${entry}" must be a relative path inside data.root (no leading / and no ..)`,
      );
    }
  });
  if (source.file === undefined) {
    for (const key of FILE_ONLY) {
      if (source[key] === undefined) continue;
      const why = key === 'tree' ? 'a generated sample has no tree' : 'generated samples are weighted by the generator';
      report([...at, key], `\`${key}\` only applies to file samples; ${why}`);
    }
    return;
  }
  if (source.tree !== undefined && !entries.some((entry) => entry.toLowerCase().endsWith('.root'))) {
    report(
      [...at, 'tree'],
      '`tree` names the TTree of ROOT files, but no file of this sample ends in .root; drop it or name the .root files',
    );
  }
  if (source.weight !== undefined && source.crossSectionNb !== undefined) {
    report(
      [...at, 'crossSectionNb'],
      'give `weight` or `crossSectionNb` (with `generated`), not both: each sets the weight of every event',
    );
  }
  if (source.crossSectionNb !== undefined && source.generated === undefined) {
    report(
      [...at, 'crossSectionNb'],
      '`crossSectionNb` needs `generated`, the number of events generated for the files: every event then weighs crossSectionNb x luminosity / generated',
    );
  }
}

function checkBackground(spec: Spec, signals: SignalPoint[], report: Report) {
  const firstIndex = new Map<string, number>();
  spec.samples.background.forEach((sample, i) => {
    const at = ['samples', 'background', i];
    checkSource(at, sample, report);
    const first = firstIndex.get(sample.name);
    if (first !== undefined)
      report([...at, 'name'], `duplicate sample name "${sample.name}" (also samples.background[${first}]); names must be unique`);
    else if (signals.some((s) => s.name === sample.name))
      report([...at, 'name'], `"${sample.name}" is also the name of a signal sample; rename it`);
    firstIndex.set(sample.name, first ?? i);
  });
}

function checkSignals(spec: Spec, report: Report): SignalPoint[] | undefined {
  const { signal } = spec.samples;
  checkSource(['samples', 'signal'], signal, report);
  fileEntries(signal.file).forEach((template, i) => {
    const at = ['samples', 'signal', 'file', ...(Array.isArray(signal.file) ? [i] : [])];
    const unknown = [...template.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]).filter((p) => !['name', 'm_chi1', 'm_hprime'].includes(p));
    if (unknown.length > 0) report(at, `unknown placeholder {${unknown[0]}}; use {name}, {m_chi1} and {m_hprime}`);
    else if (!template.includes('{name}') && !(template.includes('{m_chi1}') && template.includes('{m_hprime}'))) {
      report(at, 'every grid point needs its own files: use {name}, or both {m_chi1} and {m_hprime}');
    }
  });
  const where = signal.where === undefined ? undefined : parseWhere(signal.where);
  if (where && !where.ok) {
    report(['samples', 'signal', 'where'], `${where.error} (expected: ${WHERE_EXPECTED})`);
    return undefined;
  }
  const points = expandSignals(signal);
  if (points.length === 0) report(['samples', 'signal', 'where'], 'keeps no point of the mass grid; loosen it or extend the grid');
  const closed = signal.file === undefined ? points.filter((p) => !isKinematicallyOpen(p.mChi1, p.mHprime)) : [];
  if (closed.length > 0) {
    report(
      ['samples', 'signal', 'where'],
      `cannot generate ${closed.map((p) => `(m_chi1 ${p.mChi1}, m_hprime ${p.mHprime})`).join(', ')}: ` +
        `m_chi1 + m_chi2 + m_hprime must stay below sqrt(s) = ${SQRT_S.toFixed(2)} GeV (thesis Eq. 3.7, m_chi2 from Eq. 3.3); ` +
        `add "&& m_chi1 + m_chi2 + m_hprime < ${SQRT_S.toFixed(2)}" to where`,
    );
  }
  for (const [name, example] of Object.entries(signal.examples)) {
    if (!points.some((p) => p.mChi1 === example.m_chi1 && p.mHprime === example.m_hprime)) {
      report(
        ['samples', 'signal', 'examples', name],
        `example "${name}" (m_chi1 ${example.m_chi1}, m_hprime ${example.m_hprime}) is not a signal sample: pick a point of the grid that satisfies \`where\``,
      );
    }
  }
  return points;
}

/** data.root below one of the allowed directories (workers check again with symlinks followed). */
function checkDataRoot(spec: Spec, allowedRoots: string[], report: Report) {
  const root = path.resolve(spec.dataRoot);
  const inside = allowedRoots
    .map((r) => path.resolve(r))
    .some((r) => root === r || root.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
  if (!inside) {
    report(
      ['data', 'root'],
      `"${spec.data.root}" is ${root}, outside the directories a sweep may read (${allowedRoots.join(', ')}); ` +
        "put the data below the definition's folder, or add its directory to SWEEP_DATA_ROOTS",
    );
  }
}

/** Structure of the cuts (names, placeholders); true when every expression can be checked against columns. */
function checkCuts(spec: Spec, report: Report): boolean {
  const seen = new Set<string>();
  let readable = true;
  spec.preselection.cuts.forEach((cut, i) => {
    const at = ['preselection', 'cuts', i];
    const problem = (message: string) => {
      readable = false;
      report([...at, 'expr'], message);
    };
    if (seen.has(cut.name)) report([...at, 'name'], `duplicate cut name "${cut.name}"; the cut-flow table needs unique names`);
    seen.add(cut.name);
    if (cut.expr.trim() === '') problem('the expression is empty; write a condition such as "nExtraTracks == 0", or remove the cut');
    else if (cut.forEach && !cut.expr.includes('{p}')) {
      problem('the cut has forEach but its expression has no {p}; write e.g. "{p}_nCDCHits > 20", or drop forEach');
    } else if (!cut.forEach && cut.expr.includes('{p}')) {
      problem('the expression uses {p} but the cut has no forEach; add e.g. `forEach: [eminus, eplus, muminus, muplus]`');
    }
  });
  return readable;
}

/**
 * Every cut parsed and checked (syntax, whitelist, columns) against the columns each sample
 * will have, and the features and the best-candidate column with them; one problem per cut
 * or column, at the first sample that lacks it.
 */
function checkColumns(spec: Spec, signals: SignalPoint[], columnsOf: NonNullable<CheckOptions['columnsOf']>, report: Report) {
  const samples: [string, ColumnCatalog][] = [];
  for (const name of [...spec.samples.background.map((b) => b.name), ...signals.map((s) => s.name)]) {
    const catalog = columnsOf(name);
    if (catalog) samples.push([name, catalog]);
  }
  spec.preselection.cuts.forEach((cut, i) => {
    const { expr } = expandCut(cut);
    for (const [sample, catalog] of samples) {
      try {
        translateCut(expr, catalog, `sample ${sample}, cut '${cut.name}'`);
      } catch (err) {
        if (!isUserError(err)) throw err;
        report(['preselection', 'cuts', i, 'expr'], err.message);
        return;
      }
    }
  });
  const numeric = (at: YamlPath, what: string, column: string) => {
    for (const [sample, catalog] of samples) {
      const found = catalog.get(column);
      if (found?.numeric) continue;
      report(
        at,
        found
          ? `${what} '${column}' holds text in sample ${sample}, but a number is required`
          : `${what} '${column}' is not a column of sample ${sample}${didYouMean(column, [...catalog.keys()])}`,
      );
      return;
    }
  };
  spec.features.forEach((feature, j) => numeric(['features', j], 'feature', feature));
  numeric(['preselection', 'bestCandidate', 'minimise'], 'the best-candidate column', spec.preselection.bestCandidate.minimise);
}

function checkTrainingSets(spec: Spec, signals: SignalPoint[], report: Report) {
  const backgroundNames = spec.samples.background.map((s) => s.name);
  const signalNames = new Set(signals.map((s) => s.name));
  for (const [set, samples] of Object.entries(spec.trainingSets)) {
    if (set === ALL_BACKGROUND)
      report(['trainingSets', set], '`all` is built in (every background sample); give this set another name', true);
    samples.forEach((sample, i) => {
      if (backgroundNames.includes(sample)) return;
      const why = signalNames.has(sample)
        ? 'is a signal sample; training sets hold background samples only'
        : `is not a background sample${didYouMean(sample, backgroundNames)} (defined: ${backgroundNames.join(', ')})`;
      report(['trainingSets', set, i], `"${sample}" ${why}`);
    });
  }
}

function checkSetReference(value: string | string[] | undefined, at: YamlPath, sets: string[], report: Report) {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  list.forEach((set, i) => {
    if (!sets.includes(set)) {
      report(
        Array.isArray(value) ? [...at, i] : at,
        `no training set named "${set}"${didYouMean(set, sets)} (defined: ${sets.join(', ')}); define it under trainingSets`,
      );
    }
  });
}

function checkModelsAndScan(spec: Spec, signals: SignalPoint[] | undefined, report: Report) {
  const { models: modelsSpec } = spec;
  const sets = [ALL_BACKGROUND, ...Object.keys(spec.trainingSets)];
  modelsSpec.matrix?.background.forEach((set, i) => checkSetReference(set, ['models', 'matrix', 'background', i], sets, report));
  const selectors: [string, ModelSelector[]][] = [
    ['exclude', modelsSpec.exclude],
    ['include', modelsSpec.include],
  ];
  for (const [list, entries] of selectors) {
    entries.forEach((entry, i) => checkSetReference(entry.background, ['models', list, i, 'background'], sets, report));
  }

  const expansion = expandModels(modelsSpec);
  for (const i of expansion.excludesMatchingNothing) {
    report(['models', 'exclude', i], 'matches no model of the matrix; fix its values or remove it');
  }
  for (const i of expansion.includesAddingNothing) {
    report(['models', 'include', i], 'adds no model: every combination it names is already in the matrix; remove it');
  }
  const models = expansion.models;
  const supervised = signals ? resolveSupervised(spec, signals) : { models: [], problems: [] };
  for (const problem of supervised.problems) report(problem.path, problem.message);
  if (models.length === 0 && spec.models.supervised.length === 0) {
    report(['models'], 'defines no model; add a matrix (architecture, latentDim), include entries or supervised models');
    return;
  }
  for (const axis of ['beta', 'dvaeBeta'] as const) {
    const only = axis === 'beta' ? 'VAE' : 'DVAE';
    if (modelsSpec.matrix?.[axis] && !modelsSpec.matrix.architecture.includes(only)) {
      report(
        ['models', 'matrix', axis],
        `applies to ${only} models only and the matrix has none; add ${only} to matrix.architecture or remove ${axis}`,
      );
    }
  }
  if (modelsSpec.ensemble === 'seed') {
    if (seedGroups(models).length === 0) {
      report(
        ['models', 'ensemble'],
        'no two models differ in the seed alone; give models.matrix a seed axis with two or more seeds (e.g. seed: [1, 2, 3])',
      );
    }
    if (spec.scan.score !== 'mse') {
      report(
        ['models', 'ensemble'],
        `averages the MSE, but scan.score is ${spec.scan.score} (latent spaces of different seeds are not aligned); use scan.score mse`,
      );
    }
  }
  for (const model of models) {
    const why = latentDimProblem(model.architecture, model.latentDim);
    if (!why) continue;
    if (model.origin.from === 'include') {
      report(['models', 'include', model.origin.index], `${why}; remove latentDim ${model.latentDim} from this entry`);
    } else {
      const at = modelsSpec.matrix!.latentDim.indexOf(model.latentDim);
      report(
        ['models', 'matrix', 'latentDim', at],
        `${why}, but the matrix makes ${model.architecture} with latentDim ${model.latentDim}; add \`{architecture: ${model.architecture}, latentDim: ${model.latentDim}}\` to models.exclude`,
      );
    }
  }

  const severalSets = hasSeveralSets(models);
  const ensembles = modelsSpec.ensemble === 'seed' ? seedGroups(models).map((group) => ensembleName(group, severalSets).name) : [];
  const names = [...models.map((m) => modelName(m, severalSets)), ...ensembles];
  for (const model of supervised.models) {
    if (names.includes(model.name)) {
      report(['models', 'supervised', model.index], `the model name "${model.name}" is taken already; give this entry another \`name:\``);
    }
    names.push(model.name);
  }
  const heatmapModel = spec.report.heatmapModel;
  if (heatmapModel !== undefined && !names.includes(heatmapModel)) {
    report(['report', 'heatmapModel'], `no model named "${heatmapModel}"${didYouMean(heatmapModel, names)} (models: ${names.join(', ')})`);
  }

  const latent = /^latent:(\d+)$/.exec(spec.scan.score);
  if (latent) {
    const index = Number(latent[1]);
    const smallest = models.reduce((a, b) => (b.latentDim < a.latentDim ? b : a), models[0]!);
    if (smallest && index >= smallest.latentDim) {
      report(
        ['scan', 'score'],
        `latent:${index} needs every model to have latentDim >= ${index + 1} (coordinates count from 0), but ${modelName(smallest, severalSets)} has ${smallest.latentDim}`,
      );
    }
  }
  const [low, high] = spec.scan.quantiles;
  if (low >= high) report(['scan', 'quantiles'], `the low quantile (${low}) must be below the high one (${high})`);
}

function checkRetries(spec: Spec, report: Report) {
  const policies: [YamlPath, Partial<RetrySettings> | undefined, RetrySettings][] = [
    [['training', 'retry'], spec.training.retry, DEFAULT_RETRY.train],
    ...Object.entries(spec.execution.retry).map(([kind, retry]): [YamlPath, Partial<RetrySettings>, RetrySettings] => [
      ['execution', 'retry', kind],
      retry,
      DEFAULT_RETRY.cpu,
    ]),
  ];
  for (const [at, given, defaults] of policies) {
    if (!given) continue;
    const merged = { ...defaults, ...given };
    if (merged.maximumIntervalSeconds < merged.initialIntervalSeconds) {
      report(
        at,
        `maximumIntervalSeconds (${merged.maximumIntervalSeconds}) is below initialIntervalSeconds (${merged.initialIntervalSeconds}); raise it`,
      );
    }
  }
}
