// Compiles a loaded definition into the DAG the workflow runs. Pure: no I/O, same input,
// same output (cache keys included), so the client can plan without a server.
import { createHash } from 'node:crypto';
import {
  NODE_KINDS,
  type Dag,
  type DagNode,
  type FileSource,
  type InputFile,
  type ModelLabels,
  type NodeKind,
  type NodeParamsByKind,
  type RetrySettings,
  type SampleParams,
  type TaskQueue,
  type TrainingSettings,
} from '../core/dag.js';
import { modelId, settingsOf, SUPERVISED_SCORE, type ModelAxes } from '../core/models.js';
import { ALL_BACKGROUND, ensembleName, expandModels, hasSeveralSets, modelName, seedGroups } from './matrix.js';
import { DEFAULT_RETRY, PRESETS } from './presets.js';
import { expandSignals, signalFile } from './signals.js';
import { expandCut } from './cuts.js';
import { CPU_KINDS, fileEntries, type FileSampleSpec, type Spec } from './spec.js';
import { resolveSupervised } from './supervised.js';

/** The files each `file` entry of a definition names, with their content hashes (client/inputs.ts finds them). */
export type InputFiles = ReadonlyMap<string, readonly InputFile[]>;

export interface CompileOptions {
  /** Hash of each kind's code; part of its nodes' cache keys, so new code re-runs them. */
  codeVersions: Record<NodeKind, string>;
  /** Keep only nodes whose kind comes at or before this one in NODE_KINDS. */
  until?: NodeKind;
  /** Every entry of sampleFiles(spec), resolved; a definition without file samples needs none. */
  inputs?: InputFiles;
}

/**
 * Version of what a cache key is made of. A key hashes this, the node's kind, its resolved
 * parameters (input files by their content hash since version 2), its dependencies' keys and
 * the code version of its kind; whenever that recipe changes meaning, the version goes up, so
 * no artifact made under the old recipe is taken for a new one.
 */
export const KEY_SCHEME = 2;

/** JSON with object keys sorted at every level, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A 31-bit seed for one named consumer; independent of every other name. */
export function deriveSeed(seed: number, label: string): number {
  return parseInt(sha256(`${seed}/${label}`).slice(0, 8), 16) & 0x7fffffff;
}

export function trainingSettings(spec: Spec, seed: number): TrainingSettings {
  const { preset, retry: _retry, plateau, earlyStopping, dirichletAlpha, ...flat } = spec.training;
  const base = PRESETS[preset];
  return {
    ...base,
    ...flat,
    plateau: { ...base.plateau, ...plateau },
    earlyStopping: { ...base.earlyStopping, ...earlyStopping },
    dirichletAlpha: { ...base.dirichletAlpha, ...dirichletAlpha },
    seed: flat.seed ?? seed,
  };
}

function retrySettings(spec: Spec): Record<NodeKind, RetrySettings> {
  const retry = { train: { ...DEFAULT_RETRY.train, ...spec.training.retry } } as Record<NodeKind, RetrySettings>;
  for (const kind of CPU_KINDS) retry[kind] = { ...DEFAULT_RETRY.cpu, ...spec.execution.retry[kind] };
  return retry;
}

/** The `file` entries of every file sample (signal templates filled in per grid point), by sample name. */
export function sampleFiles(spec: Spec): { sample: string; entries: string[] }[] {
  const background = spec.samples.background
    .filter((b) => b.file !== undefined)
    .map((b) => ({ sample: b.name, entries: fileEntries(b.file) }));
  const { signal } = spec.samples;
  const points = signal.file === undefined ? [] : expandSignals(signal);
  return [...background, ...points.map((p) => ({ sample: p.name, entries: fileEntries(signal.file).map((t) => signalFile(t, p)) }))];
}

function samples(spec: Spec, inputs: InputFiles): { background: SampleParams[]; signal: SampleParams[] } {
  const luminosityFb = spec.luminosity;
  const generated = (name: string, events: number) => ({ generate: { events, seed: deriveSeed(spec.seed, `generate/${name}`) } });
  const entries = new Map(sampleFiles(spec).map((s) => [s.sample, s.entries]));
  const fromFiles = (name: string, sample: FileSampleSpec): FileSource => {
    const files = entries.get(name)!.flatMap((entry) => {
      const found = inputs.get(entry);
      if (!found) throw new Error(`compile: the files of '${entry}' (sample ${name}) are not among the resolved inputs`);
      return found;
    });
    const { tree, weight, crossSectionNb, generated: events, weightColumn } = sample;
    // 1 nb = 1e6 fb, and the luminosity is in fb^-1.
    const factor = crossSectionNb !== undefined ? (crossSectionNb * 1e6 * luminosityFb) / events! : weight;
    return {
      files,
      ...(tree !== undefined && { tree }),
      ...(factor !== undefined && { weight: factor }),
      ...(weightColumn !== undefined && { weightColumn }),
      ...(events !== undefined && { generated: events }),
    };
  };
  const background = spec.samples.background.map((b): SampleParams => ({
    name: b.name,
    kind: 'background',
    process: b.process,
    source: b.generate ? generated(b.name, b.generate.events) : fromFiles(b.name, b),
    luminosityFb,
  }));
  const { signal: s } = spec.samples;
  const signal = expandSignals(s).map((point): SampleParams => ({
    name: point.name,
    kind: 'signal',
    process: s.process,
    mChi1: point.mChi1,
    mHprime: point.mHprime,
    source: s.generate ? generated(point.name, s.generate.events) : fromFiles(point.name, s),
    luminosityFb,
  }));
  return { background, signal };
}

export function compile(spec: Spec, options: CompileOptions): Dag {
  const nodes: DagNode[] = [];
  const keys = new Map<string, string>();
  function add<K extends NodeKind>(kind: K, id: string, dependsOn: string[], params: NodeParamsByKind[K], summary: string) {
    const dependencyKeys = dependsOn.map((d) => keys.get(d)!).sort();
    const codeVersion = options.codeVersions[kind];
    const cacheKey = sha256(canonicalJson({ scheme: KEY_SCHEME, kind, params, dependencies: dependencyKeys, code: codeVersion }));
    const queue: TaskQueue = kind === 'train' ? 'gpu' : 'cpu';
    keys.set(id, cacheKey);
    nodes.push({ id, kind, queue, dependsOn, params, cacheKey, codeVersion, summary } as DagNode);
  }

  const { background, signal } = samples(spec, options.inputs ?? new Map());
  const preselectId = (sample: string) => `preselect/${sample}`;
  const cuts = spec.preselection.cuts.map(expandCut);
  for (const sample of [...background, ...signal]) {
    // File samples have no generate node: their preselection reads the user's ntuple.
    const inputs: string[] = [];
    if ('generate' in sample.source) {
      inputs.push(`generate/${sample.name}`);
      add('generate', inputs[0], [], { sample }, `generate ${sample.source.generate.events} events of ${sample.name}`);
    }
    add(
      'preselect',
      preselectId(sample.name),
      inputs,
      {
        sample,
        cuts,
        bestCandidate: spec.preselection.bestCandidate,
        features: spec.features,
        columns: spec.columns,
        testFraction: spec.preselection.testFraction,
        seed: deriveSeed(spec.seed, preselectId(sample.name)),
      },
      `preselect ${sample.name}: ${cuts.length} cuts, best candidate by lowest ${spec.preselection.bestCandidate.minimise}`,
    );
  }

  const expansion = expandModels(spec.models);
  const models = expansion.models;
  const supervised = resolveSupervised(spec, expandSignals(spec.samples.signal)).models;
  const severalSets = hasSeveralSets(models);
  const setSamples = (set: string) => (set === ALL_BACKGROUND ? background.map((b) => b.name) : spec.trainingSets[set]);
  // The supervised models learn all the background, scaled like it.
  const sets = new Set([...models.map((m) => m.background), ...(supervised.length > 0 ? [ALL_BACKGROUND] : [])]);
  for (const set of sets) {
    const members = setSamples(set);
    add(
      'fitScaler',
      `fitScaler/${set}`,
      members.map(preselectId),
      { background: set, samples: members, features: spec.features },
      `fit the feature scaler on ${set} (${members.length} samples)`,
    );
  }

  const allPreselects = [...background, ...signal].map((s) => preselectId(s.name));
  const signalPreselects = signal.map((s) => preselectId(s.name));
  const modelNames: string[] = [];
  const lastStage: string[] = [];
  const scanOf = (
    labels: ModelLabels,
    scoreNode: string,
    settings: ModelAxes,
    extra: { ensembleOf?: string[]; trainedOn?: string[]; score?: string } = {},
  ) => {
    const { ensembleOf, trainedOn, score = spec.scan.score } = extra;
    // The scan is named after what it scans: score/all/AE-l2 -> scan/all/AE-l2, ensemble/all/AE-l2-ens -> scan/all/AE-l2-ens.
    const suffix = scoreNode.slice(scoreNode.indexOf('/') + 1);
    // The signal preselections give the scan each signal's mass point and generated count.
    add(
      'scan',
      `scan/${suffix}`,
      [scoreNode, ...signalPreselects],
      {
        ...labels,
        settings,
        ...(ensembleOf && { ensembleOf }),
        ...(trainedOn && { trainedOn }),
        score,
        punziA: spec.scan.punziA,
        quantiles: spec.scan.quantiles,
        steps: spec.scan.steps,
      },
      `scan ${score} of ${labels.model} for ${signal.length} signals`,
    );
    lastStage.push(`scan/${suffix}`);
  };
  for (const combo of models) {
    const { background: set, architecture, latentDim, axes } = combo;
    const model = modelName(combo, severalSets);
    const suffix = `${set}/${modelId(combo)}`;
    const members = setSamples(set);
    const labels: ModelLabels = { model, architecture, latentDim, background: set, axes };
    const training = {
      ...trainingSettings(spec, deriveSeed(spec.seed, `train/${suffix}`)),
      ...(combo.settings as Partial<TrainingSettings>),
    };
    modelNames.push(model);
    add(
      'train',
      `train/${suffix}`,
      [`fitScaler/${set}`, ...members.map(preselectId)],
      { ...labels, samples: members, features: spec.features, training },
      `train ${model} on ${set}`,
    );
    add(
      'score',
      `score/${suffix}`,
      [`train/${suffix}`, `fitScaler/${set}`, ...allPreselects],
      labels,
      `score ${allPreselects.length} samples with ${model}`,
    );
    scanOf(labels, `score/${suffix}`, settingsOf(training));
    lastStage.push(`train/${suffix}`);
  }
  if (spec.models.ensemble === 'seed') {
    for (const group of seedGroups(models)) {
      const first = group[0]!;
      const { id: name, name: model, axes } = ensembleName(group, severalSets);
      const labels: ModelLabels = {
        model,
        architecture: first.architecture,
        latentDim: first.latentDim,
        background: first.background,
        axes,
      };
      const memberNames = group.map((m) => modelName(m, severalSets));
      const memberScores = group.map((m) => `score/${m.background}/${modelId(m)}`);
      const id = `${first.background}/${name}`;
      add('ensemble', `ensemble/${id}`, memberScores, { ...labels, members: memberNames }, `mean score of ${memberNames.join(', ')}`);
      const training = { ...trainingSettings(spec, 0), ...(first.settings as Partial<TrainingSettings>) };
      const { seed: _seed, ...settings } = settingsOf(training);
      scanOf(labels, `ensemble/${id}`, settings, { ensembleOf: memberNames });
      modelNames.push(labels.model);
    }
  }

  for (const { name: model, architecture, classes } of supervised) {
    const suffix = `${ALL_BACKGROUND}/${model}`;
    const members = setSamples(ALL_BACKGROUND);
    const signals = classes.flatMap((c) => c.samples);
    const labels: ModelLabels = { model, architecture, latentDim: 0, background: ALL_BACKGROUND, axes: {} };
    const { hiddenLayers, learningRate, epochs } = spec.supervised.dnn;
    const settings = trainingSettings(spec, deriveSeed(spec.seed, `train/${suffix}`));
    // The DNN runs the training loop with its own layers, learning rate and epochs; the BDT takes the seed alone.
    const training = architecture === 'DNN' ? { ...settings, hiddenLayers, learningRate, epochs } : settings;
    modelNames.push(model);
    add(
      'train',
      `train/${suffix}`,
      [`fitScaler/${ALL_BACKGROUND}`, ...[...members, ...signals].map(preselectId)],
      {
        ...labels,
        samples: [...members, ...signals],
        features: spec.features,
        training,
        supervised: { classes, ...(architecture === 'BDT' && { bdt: spec.supervised.bdt }) },
      },
      `train ${architecture} on ${classes.map((c) => c.samples.length).join(' + ')} signal point(s) against ${ALL_BACKGROUND}`,
    );
    add(
      'score',
      `score/${suffix}`,
      [`train/${suffix}`, `fitScaler/${ALL_BACKGROUND}`, ...allPreselects],
      labels,
      `score ${allPreselects.length} samples with ${model}`,
    );
    scanOf(labels, `score/${suffix}`, {}, { trainedOn: signals, score: SUPERVISED_SCORE });
    lastStage.push(`train/${suffix}`);
  }

  add(
    'report',
    'report',
    lastStage,
    {
      sweep: spec.name,
      luminosityFb: spec.luminosity,
      examples: Object.entries(spec.samples.signal.examples).map(([name, p]) => ({ name, mChi1: p.m_chi1, mHprime: p.m_hprime })),
      heatmapModel: spec.report.heatmapModel ?? modelNames[0],
    },
    `report of ${spec.name}: ${models.length + supervised.length} models, ${signal.length} signals`,
  );

  // Grouped by kind in pipeline order, which is also a topological order.
  const rank = (n: DagNode) => NODE_KINDS.indexOf(n.kind);
  const until = NODE_KINDS.indexOf(options.until ?? 'report');
  return {
    sweep: spec.name,
    nodes: nodes.filter((n) => rank(n) <= until).sort((a, b) => rank(a) - rank(b)),
    limits: { maxParallel: { ...spec.execution.maxParallel } },
    retry: retrySettings(spec),
  };
}
