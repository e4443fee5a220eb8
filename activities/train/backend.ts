// Who does a training's arithmetic (and a model's scoring). At run time the fastest one
// present wins: the fused kernel built natively for this CPU, the same kernel as
// WebAssembly (committed, so always present), then the TensorFlow.js backends tfjs-node-gpu
// (CUDA), tfjs-node (TensorFlow C library), wasm (XNNPACK) and the plain JavaScript cpu
// backend. The GPU comes after the fused CPU kernel because this network is too small for
// it: a step is ~270 kFLOP per event spread over ~200 small kernels, and a GPU pays a launch
// per kernel too (README "Backends"); `tensorflow-gpu` asks for it explicitly.
// The worker's --backend flag (a property of the host) overrides the definition's
// training.backend, which overrides the automatic choice. The DNN classifier is not the
// fused kernel's (it computes the autoencoders' step): for it the choice skips the kernel's
// builds. tfjs and its native packages are
// imported only when a tfjs backend is chosen, so a fused training or scoring never loads
// TensorFlow.js for its numbers.
import type { BackendSetting } from '../../core/dag.js';
import { UserError } from '../../core/errors.js';
import { TFJS_NODE, TFJS_NODE_GPU } from '../lib/host.js';
import type { EngineSpec, EngineState, Scorer, TrainingEngine } from './engine.js';
import { loadFused, type FusedKind } from './fused/index.js';

/** A concrete backend the chooser can try. */
type Candidate = 'fused-native' | 'fused-wasm' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** What each setting tries, in order (the settings themselves are core/dag.ts's BACKEND_SETTINGS). */
const CANDIDATES: Record<BackendSetting, Candidate[]> = {
  auto: ['fused-native', 'fused-wasm', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'],
  fused: ['fused-native', 'fused-wasm'],
  'fused-native': ['fused-native'],
  'fused-wasm': ['fused-wasm'],
  'tensorflow-gpu': ['tensorflow-gpu'],
  tensorflow: ['tensorflow-gpu', 'tensorflow'],
  wasm: ['wasm'],
  cpu: ['cpu'],
};

/** How to get a backend that is asked for but missing. */
const REMEDY: Record<BackendSetting, string> = {
  auto: 'Reinstall the project (npm install)',
  fused: 'Build the fused kernel (node scripts/build-fused.js, needs a C compiler)',
  'fused-native': 'Build the fused kernel (node scripts/build-fused.js, needs a C compiler and Node headers)',
  'fused-wasm': 'Restore activities/train/fused/kernel.wasm from git or rebuild it (node scripts/build-fused-wasm.js)',
  'tensorflow-gpu': 'Install it (npm run setup:native -- --gpu, on a CUDA host)',
  tensorflow: 'Install it (npm run setup:native)',
  wasm: 'Install it (npm install @tensorflow/tfjs-backend-wasm)',
  cpu: 'Reinstall the project (npm install)',
};

const NODE_PACKAGES: Partial<Record<Candidate, string>> = { 'tensorflow-gpu': TFJS_NODE_GPU, tensorflow: TFJS_NODE };

/** A backend ready to use in this process. */
export interface Backend {
  /**
   * What models.csv, history.json and the model artifact record: `fused-native (avx512)`
   * (the host's vector instructions), `fused-wasm (simd128)`, `tensorflow-gpu`,
   * `tensorflow`, `wasm` or `cpu`.
   */
  name: string;
  /** Longer, for the log: compiler, flags, vector width. */
  description: string;
  /** An engine for one training, starting from `state`. */
  createEngine(spec: EngineSpec, state: EngineState): TrainingEngine;
  /** Scoring with fixed weights (spec.maxRows sizes the chunks). */
  createScorer(spec: EngineSpec, params: Float32Array): Scorer;
}

async function fused(kind: FusedKind): Promise<Backend> {
  const kernel = await loadFused(kind);
  return {
    name: kernel.name,
    description: kernel.description,
    createEngine(spec, state) {
      const engine = kernel.createEngine(spec);
      engine.restore(state);
      return engine;
    },
    createScorer(spec, params) {
      const engine = kernel.createEngine(spec);
      engine.params.set(params);
      return { score: (x) => engine.score(x), dispose: () => engine.dispose() };
    },
  };
}

async function tfjs(name: 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu'): Promise<Backend> {
  const { selectTfjsBackend, TfjsEngine, tfjsScorer } = await import('./tfjs-engine.js');
  const problem = await selectTfjsBackend(name === 'tensorflow-gpu' ? 'tensorflow' : name, NODE_PACKAGES[name]);
  if (problem !== undefined) throw new Error(problem);
  return {
    name,
    description: `TensorFlow.js ${name}`,
    createEngine: (spec, state) => new TfjsEngine(spec, state),
    createScorer: tfjsScorer,
  };
}

function tryCandidate(candidate: Candidate): Promise<Backend> {
  if (candidate === 'fused-native') return fused('native');
  if (candidate === 'fused-wasm') return fused('wasm');
  return tfjs(candidate);
}

const FUSED: readonly Candidate[] = ['fused-native', 'fused-wasm'];

/**
 * The backend for a training or a scoring in this process (tfjs backends become tfjs's
 * current one). `hostSetting` is the worker's --backend, which wins over the definition's
 * `setting`; `network` says whose numbers these are (the DNN skips the fused kernel). A
 * backend asked for explicitly but not usable here is a UserError naming who asked, why it
 * cannot run and the fix.
 */
export async function useBackend(
  setting: BackendSetting,
  hostSetting?: BackendSetting,
  network: 'autoencoder' | 'classifier' = 'autoencoder',
): Promise<Backend> {
  const request = hostSetting ?? setting;
  const source = hostSetting ? "the worker's --backend flag" : 'training.backend in the definition';
  const candidates = network === 'classifier' ? CANDIDATES[request].filter((c) => !FUSED.includes(c)) : CANDIDATES[request];
  if (candidates.length === 0) {
    throw new UserError(
      `backend "${request}", requested by ${source}, is the fused kernel, which computes the autoencoders only; ` +
        `the DNN classifier trains on TensorFlow.js (tensorflow, wasm or cpu). Set the backend to auto or one of those.`,
    );
  }
  const reasons: string[] = [];
  for (const candidate of candidates) {
    try {
      return await tryCandidate(candidate);
    } catch (err) {
      reasons.push(`${candidate}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new UserError(
    `backend "${request}", requested by ${source}, is not available on this host (${reasons.join('; ')}). ` +
      `${REMEDY[request]}, or set the backend to auto.`,
  );
}
