// One backend's scoring rate, in a process of its own (a tfjs backend is fixed per process):
// a thesis-size VAE (20 features, 3 x 100 hidden, latentDim 5) written as a model artifact
// and scored through loadModel (activities/train/format.ts) on --backend, as the score node
// does. With --layers, the baseline instead: the artifact's tfjs Layers models loaded by
// tf.loadLayersModel and run with predict() chunk by chunk, which is how loadModel scored
// before the fused kernel (on a tfjs --backend). Prints one JSON line {backend, events,
// seconds, cpuSeconds}.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BackendSetting } from '../core/dag.js';
import { useBackend } from '../activities/train/backend.js';
import { loadModel } from '../activities/train/format.js';
import { writeModel } from '../activities/train/model-writer.js';
import { networkShape } from '../activities/train/network.js';
import { standardise } from '../activities/fit-scaler/format.js';
import { Rng } from '../activities/lib/rng.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    events: { type: 'string', default: '200000' },
    layers: { type: 'boolean', default: false },
  },
});
const FEATURES = Array.from({ length: 20 }, (_, i) => `f${i}`);
const EVENTS = Number(values.events);

const dir = await mkdtemp(join(tmpdir(), 'bench-score-'));
try {
  const shape = networkShape('VAE', FEATURES.length, 5, [100, 100, 100]);
  const rng = Rng.fromSeed(1);
  const scaler = { features: FEATURES, mean: FEATURES.map(() => 0), std: FEATURES.map(() => 1) };
  await writeModel(
    dir,
    shape,
    Float32Array.from({ length: shape.size }, () => 0.1 * rng.range(-1, 1)),
    {
      model: 'VAE-l5',
      features: FEATURES,
      hiddenLayers: [100, 100, 100],
      scaler: { ...scaler, artifact: 'bench' },
      trainedWith: { backend: 'bench', bestEpoch: 0, valLoss: 0, seed: 1 },
    },
  );
  const model = values.layers
    ? await layersModel(dir, values.backend as BackendSetting)
    : await loadModel(dir, values.backend as BackendSetting);
  const columns = FEATURES.map(() => Float64Array.from({ length: EVENTS }, () => rng.range(-1, 1)));
  model.score(standardise(columns, 1000, scaler)); // warm-up: kernels compiled, memory allocated
  const x = standardise(columns, EVENTS, scaler);
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const { mse } = model.score(x);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  if (mse.length !== EVENTS) throw new Error(`scored ${mse.length} of ${EVENTS} events`);
  console.log(JSON.stringify({ backend: model.backend, events: EVENTS, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
  model.dispose();
} finally {
  await rm(dir, { recursive: true, force: true });
}

/** The model through tfjs Layers predict(), as loadModel scored before (16,384 rows per chunk). */
async function layersModel(dir: string, setting: BackendSetting) {
  const backend = await useBackend(setting);
  const tf = await import('@tensorflow/tfjs');
  const load = async (name: string) => {
    const json = JSON.parse(await readFile(join(dir, name, 'model.json'), 'utf8')) as {
      modelTopology: object;
      weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: 'float32' }[] }[];
    };
    const bytes = await readFile(join(dir, name, json.weightsManifest[0]!.paths[0]!));
    return tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0]!.weights,
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      }),
    );
  };
  const [encoder, decoder] = [await load('encoder'), await load('decoder')];
  const width = FEATURES.length;
  return {
    backend: `${backend.name}, Layers predict`,
    score(x: Float32Array) {
      const rows = x.length / width;
      const mse = new Float32Array(rows);
      for (let start = 0; start < rows; start += 16384) {
        const end = Math.min(rows, start + 16384);
        tf.tidy(() => {
          const input = tf.tensor2d(x.subarray(start * width, end * width), [end - start, width]);
          const mean = (encoder.predict(input) as import('@tensorflow/tfjs').Tensor2D).slice([0, 0], [-1, 5]);
          mse.set(tf.mean(tf.squaredDifference(decoder.predict(mean) as import('@tensorflow/tfjs').Tensor2D, input), 1).dataSync(), start);
        });
      }
      return { mse };
    },
    dispose() {
      encoder.dispose();
      decoder.dispose();
    },
  };
}
