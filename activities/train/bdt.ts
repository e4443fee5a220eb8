// The BDT of the supervised baselines is XGBoost itself (seeds/002), run by bdt.py in a
// child process of the train (or score) node. The node already runs in a child process of
// the worker (engine/child-process.ts), so retries, heartbeats, cancellation, the cache
// key and the store stay the engine's: this file only hands XGBoost its arrays as raw
// float32 files in the node's scratch directory and turns bdt.py's progress lines into
// heartbeats. bdt.py is part of the train and score kinds' code version (the `new URL`
// below), so editing it re-runs them.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../core/errors.js';

const SCRIPT = fileURLToPath(new URL('./bdt.py', import.meta.url));

/**
 * The project's Python (npm run setup installs XGBoost there); SWEEP_PYTHON names another.
 * The path is joined, not a module specifier, so the code version never hashes the venv.
 */
export function bdtPython(): string {
  return process.env.SWEEP_PYTHON ?? join(dirname(SCRIPT), '..', '..', '.sweep', 'venv', 'bin', 'python');
}

/** The settings of seeds/002 by their YAML names: trees, maxDepth, learningRate, subsample. */
export interface BdtSettings {
  trees: number;
  maxDepth: number;
  learningRate: number;
  subsample: number;
}

/**
 * XGBoost's parameters for these settings: binary:logistic with one signal class,
 * multi:softprob over background and the classes otherwise. One thread and the hist method:
 * the same data and seed give the same trees on every host.
 */
export function xgboostParams(settings: BdtSettings, outputs: number, seed: number): Record<string, unknown> {
  return {
    objective: outputs === 1 ? 'binary:logistic' : 'multi:softprob',
    ...(outputs > 1 && { num_class: outputs }),
    eta: settings.learningRate,
    max_depth: settings.maxDepth,
    subsample: settings.subsample,
    tree_method: 'hist',
    nthread: 1,
    seed,
  };
}

async function writeFloats(path: string, values: Float32Array): Promise<string> {
  await writeFile(path, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return path;
}

/** Runs bdt.py COMMAND on a job; resolves on success, passes every progress line to `onLine`. */
function runScript(command: 'train' | 'predict', jobPath: string, signal: AbortSignal, onLine: (line: unknown) => void): Promise<void> {
  const python = bdtPython();
  if (!existsSync(python)) {
    return Promise.reject(
      new UserError(
        `the BDT needs XGBoost in the project's Python environment, but ${python} does not exist; run \`npm run setup\` ` +
          `(it creates .sweep/venv and installs XGBoost), or point SWEEP_PYTHON at a Python that has xgboost.`,
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const child = spawn(python, [SCRIPT, command, jobPath], { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let stderr = '';
    let pending = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) if (line.trim()) onLine(JSON.parse(line));
    });
    child.on('error', (err) => reject(signal.aborted ? (signal.reason ?? err) : err));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      if (signal.aborted) return reject(signal.reason ?? new Error('cancelled'));
      if (code === 3) {
        return reject(
          new UserError(
            `the BDT needs XGBoost, but the Python environment ${python} does not have it (${stderr.trim()}); ` +
              `run \`npm run setup\` to install it there, or point SWEEP_PYTHON at a Python that has xgboost.`,
          ),
        );
      }
      reject(new Error(`XGBoost (${SCRIPT} ${command}) failed with exit code ${code}: ${stderr.trim()}`));
    });
  });
}

export interface BdtTraining {
  x: Float32Array;
  /** The class of each row: 0 background, 1.. the signal classes. */
  labels: Int32Array;
  weights: Float32Array;
  features: string[];
  outputs: number;
  settings: BdtSettings;
  seed: number;
}

/** Trains the BDT and writes XGBoost's JSON model to `modelPath`; returns the XGBoost version. */
export async function trainBdt(
  training: BdtTraining,
  modelPath: string,
  workDir: string,
  signal: AbortSignal,
  onTree: (tree: number) => void,
): Promise<string> {
  const rows = training.weights.length;
  const job = {
    x: await writeFloats(join(workDir, 'bdt-x.f32'), training.x),
    y: await writeFloats(join(workDir, 'bdt-y.f32'), Float32Array.from(training.labels)),
    w: await writeFloats(join(workDir, 'bdt-w.f32'), training.weights),
    rows,
    features: training.features,
    params: xgboostParams(training.settings, training.outputs, training.seed),
    rounds: training.settings.trees,
    model: modelPath,
  };
  const jobPath = join(workDir, 'bdt-train.json');
  await writeFile(jobPath, JSON.stringify(job));
  let version = '';
  await runScript('train', jobPath, signal, (line) => {
    const message = line as { tree?: number; version?: string };
    if (message.tree !== undefined) onTree(message.tree);
    if (message.version !== undefined) version = message.version;
  });
  return version;
}

/** XGBoost's margin (log-odds; per class with several outputs) of every row of `x`, rows x outputs. */
export async function predictBdt(
  modelPath: string,
  x: Float32Array,
  features: string[],
  workDir: string,
  signal: AbortSignal,
): Promise<Float32Array> {
  const rows = x.length / features.length;
  const out = join(workDir, 'bdt-margin.f32');
  const job = { x: await writeFloats(join(workDir, 'bdt-score-x.f32'), x), rows, features, model: modelPath, out };
  const jobPath = join(workDir, 'bdt-predict.json');
  await writeFile(jobPath, JSON.stringify(job));
  await runScript('predict', jobPath, signal, () => {});
  const bytes = await readFile(out);
  return new Float32Array(new Uint8Array(bytes).buffer);
}
