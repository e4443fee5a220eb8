// Which TensorFlow.js backend does the numerics. At run time the best one present wins:
// tfjs-node-gpu (CUDA), tfjs-node (TensorFlow C library), wasm (XNNPACK, single-threaded in
// Node), then the plain JavaScript cpu backend. The worker's --backend flag (a property of
// the host) overrides the definition's training.backend, which overrides the automatic
// choice. tfjs-node(-gpu) are optional dependencies: they are imported by name at run time,
// so a checkout without them works.
import * as tf from '@tensorflow/tfjs';
import type { BackendSetting } from '../../core/dag.js';
import { UserError } from '../../core/errors.js';
import { TFJS_NODE, TFJS_NODE_GPU } from '../lib/host.js';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

const CANDIDATES: Record<BackendSetting, BackendName[]> = {
  auto: ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'],
  tensorflow: ['tensorflow-gpu', 'tensorflow'],
  wasm: ['wasm'],
  cpu: ['cpu'],
};

const NODE_PACKAGES: Partial<Record<BackendName, string>> = { 'tensorflow-gpu': TFJS_NODE_GPU, tensorflow: TFJS_NODE };

// TensorFlow reads these when its library loads. Its info lines would crowd the real error
// out of the output tail the engine keeps; and one intra-op thread is fastest for this small
// network (tfjs issues many small kernels) and lets a host run one training per core.
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
process.env.TF_NUM_INTRAOP_THREADS ??= '1';

let selected: BackendName | undefined;

/** The backend this process already selected, or else the automatic choice. */
export async function ensureBackend(): Promise<BackendName> {
  return selected ?? useBackend('auto');
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
 * Selects and initialises a backend in this process; returns its name. `hostSetting` is
 * the worker's --backend, which wins over the definition's `setting`. A backend asked for
 * explicitly but not usable here is a UserError naming who asked and the fix.
 */
export async function useBackend(setting: BackendSetting, hostSetting?: BackendSetting): Promise<BackendName> {
  const request = hostSetting ?? setting;
  const source = hostSetting ? "the worker's --backend flag" : 'training.backend in the definition';
  const reasons: string[] = [];
  for (const name of CANDIDATES[request]) {
    const problem = await tryBackend(name);
    if (problem === undefined) {
      selected = name;
      return name;
    }
    reasons.push(`${name}: ${problem}`);
  }
  throw new UserError(
    `backend "${request}", requested by ${source}, is not available on this host (${reasons.join('; ')}). ` +
      `Install it (${request === 'tensorflow' ? 'npm run setup:native' : 'npm install @tensorflow/tfjs-backend-wasm'}) ` +
      `or set the backend to auto.`,
  );
}
