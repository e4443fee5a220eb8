// Which TensorFlow.js backend does the numerics. At run time the best one present wins:
// tfjs-node-gpu (CUDA), tfjs-node (TensorFlow C library), wasm (XNNPACK, single-threaded in
// Node), then the plain JavaScript cpu backend. The worker's --backend flag (environment
// SWEEP_BACKEND, a property of the host) overrides the definition's training.backend,
// which overrides the automatic choice. tfjs-node(-gpu) are optional dependencies: they are
// imported by name at run time, so a checkout without them works.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { TrainingSettings } from '../../definitions/dag.js';
import { UserError } from '../errors.js';
import { BACKEND_SETTINGS } from './settings.js';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
type BackendSetting = TrainingSettings['backend'];

const CANDIDATES: Record<BackendSetting, BackendName[]> = {
  auto: ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'],
  tensorflow: ['tensorflow-gpu', 'tensorflow'],
  wasm: ['wasm'],
  cpu: ['cpu'],
};

const NODE_PACKAGES: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

/** The requested backend and who asked for it (for messages). */
export function requestedBackend(setting: BackendSetting = 'auto'): { setting: BackendSetting; source: string } {
  const fromEnv = process.env.SWEEP_BACKEND;
  if (fromEnv) {
    if (!(BACKEND_SETTINGS as readonly string[]).includes(fromEnv)) {
      throw new UserError(`SWEEP_BACKEND (the worker's --backend) is "${fromEnv}"; use one of ${BACKEND_SETTINGS.join(', ')}.`);
    }
    return { setting: fromEnv as BackendSetting, source: "the worker's --backend flag (SWEEP_BACKEND)" };
  }
  return { setting, source: 'training.backend in the definition' };
}

let selected: BackendName | undefined;

/** The backend this process already selected, or else the automatic (or --backend) choice. */
export async function ensureBackend(): Promise<BackendName> {
  return selected ?? useBackend();
}

/** Makes one backend current; the reason it cannot be used, or undefined on success. */
async function tryBackend(name: BackendName): Promise<string | undefined> {
  try {
    const pkg = NODE_PACKAGES[name];
    if (pkg) await import(pkg);
    if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    const tfName = pkg ? 'tensorflow' : name;
    if (!(await tf.setBackend(tfName))) return `tf.setBackend('${tfName}') failed`;
    await tf.ready();
    return tf.getBackend() === tfName ? undefined : `tfjs runs on ${tf.getBackend()} instead`;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

/**
 * Selects and initialises a backend in this process; returns its name. A backend asked for
 * explicitly but not usable here is a UserError naming who asked and the fix.
 */
export async function useBackend(setting: BackendSetting = 'auto'): Promise<BackendName> {
  const request = requestedBackend(setting);
  const reasons: string[] = [];
  for (const name of CANDIDATES[request.setting]) {
    const problem = await tryBackend(name);
    if (problem === undefined) {
      selected = name;
      return name;
    }
    reasons.push(`${name}: ${problem}`);
  }
  throw new UserError(
    `backend "${request.setting}", requested by ${request.source}, is not available on this host (${reasons.join('; ')}). ` +
      `Install it (${request.setting === 'tensorflow' ? 'npm run setup:native' : 'npm install @tensorflow/tfjs-backend-wasm'}) ` +
      `or set the backend to auto.`,
  );
}

/**
 * Whether this host can train on a GPU, i.e. @tensorflow/tfjs-node-gpu loads. Probed in a
 * short-lived process so the caller (the worker) never loads TensorFlow itself.
 */
export function hasGpuBackend(): Promise<boolean> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(NODE_PACKAGES['tensorflow-gpu']!);
  } catch {
    return Promise.resolve(false);
  }
  const probe = `import(${JSON.stringify(pathToFileURL(entry).href)}).then(() => process.exit(0), () => process.exit(1))`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', probe], { timeout: 120_000 }, (err) => resolve(err === null));
  });
}
