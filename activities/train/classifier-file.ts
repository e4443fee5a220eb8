// A trained supervised model on disk, and its loader for scoring.
//
//   model/model.json            descriptor: architecture (DNN or BDT), classes, features, scaler, ...
//   model/network/model.json    DNN: a tfjs Layers model (Sequential of Dense layers) + weights.bin
//   model/xgboost.json          BDT: XGBoost's own JSON model (xgboost.Booster(model_file=...))
//
// Both read in scaled feature space. The score of an event is the classifier's log-odds of
// signal against background (tfjs-network.ts classifierScore): a monotonic function of its
// output probability that keeps its resolution where the probability rounds to 1 in float32.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackendSetting } from '../../core/dag.js';
import type { SupervisedArchitecture } from '../../core/models.js';
import type { Scaler } from '../fit-scaler/format.js';
import { useBackend } from './backend.js';
import { predictBdt } from './bdt.js';
import { readLayerWeights } from './model-file.js';
import { networkShape } from './network.js';

export const CLASSIFIER_FORMAT = 'anomaly-sweep/classifier@1';
export const NETWORK_FILE = 'network/model.json';
export const XGBOOST_FILE = 'xgboost.json';

export interface ClassifierDescriptor {
  format: typeof CLASSIFIER_FORMAT;
  model: string;
  architecture: SupervisedArchitecture;
  features: string[];
  /** The signal classes in output order (the background is class 0); one class: a binary classifier. */
  classes: { name: string; samples: string[] }[];
  /** 1 (sigmoid) for one signal class, else background + classes (softmax). */
  outputs: number;
  /** NETWORK_FILE or XGBOOST_FILE. */
  file: string;
  /** DNN only. */
  hiddenLayers?: number[];
  scaler: Scaler & { artifact: string };
  trainedWith: Record<string, unknown>;
}

export interface ClassifierModel {
  descriptor: ClassifierDescriptor;
  /** Who scores: a tfjs backend name for the DNN, `xgboost <version>` for the BDT. */
  backend: string;
  /** Log-odds of signal per row of x (row-major, scaled features). */
  score(x: Float32Array): Promise<Float32Array>;
  dispose(): void;
}

export async function readClassifierDescriptor(modelDir: string): Promise<ClassifierDescriptor> {
  const path = join(modelDir, 'model.json');
  const descriptor = JSON.parse(await readFile(path, 'utf8')) as ClassifierDescriptor;
  if (descriptor.format !== CLASSIFIER_FORMAT) throw new Error(`${path} has format ${descriptor.format}, expected ${CLASSIFIER_FORMAT}`);
  return descriptor;
}

/** log((1 - p_0) / p_0) from per-class margins (rows x outputs); one output is the log-odds already. */
export function signalLogOdds(margins: Float32Array, outputs: number): Float32Array {
  if (outputs === 1) return margins;
  const rows = margins.length / outputs;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let k = 1; k < outputs; k++) max = Math.max(max, margins[r * outputs + k]!);
    let sum = 0;
    for (let k = 1; k < outputs; k++) sum += Math.exp(margins[r * outputs + k]! - max);
    out[r] = max + Math.log(sum) - margins[r * outputs]!;
  }
  return out;
}

/**
 * Loads the classifier in `modelDir` for scoring. The DNN scores on a tfjs backend (the
 * worker's --backend if it names one); the BDT through XGBoost, with its arrays in `workDir`.
 */
export async function readClassifier(
  modelDir: string,
  backend: BackendSetting | undefined,
  workDir: string,
  signal: AbortSignal,
): Promise<ClassifierModel> {
  const descriptor = await readClassifierDescriptor(modelDir);
  const { features, outputs } = descriptor;
  if (descriptor.architecture === 'BDT') {
    const modelPath = join(modelDir, descriptor.file);
    return {
      descriptor,
      backend: `xgboost ${String(descriptor.trainedWith.xgboost ?? '')}`.trim(),
      score: async (x) => signalLogOdds(await predictBdt(modelPath, x, features, workDir, signal), outputs),
      dispose: () => {},
    };
  }
  const shape = networkShape('DNN', features.length, outputs, descriptor.hiddenLayers ?? []);
  const params = await readLayerWeights(join(modelDir, descriptor.file), shape.encoder);
  const numerics = await useBackend('auto', backend, 'classifier');
  const { tfjsClassifierScorer } = await import('./tfjs-engine.js');
  const scorer = tfjsClassifierScorer(shape, params);
  return { descriptor, backend: numerics.name, score: async (x) => scorer.score(x), dispose: () => scorer.dispose() };
}
