// One backend's scoring rate, in its own process (tfjs picks its backend once per process):
// a thesis-size model (20 features, 3 x 100 hidden, latentDim 5) scores synthetic events.
// Prints one JSON line {backend, events, seconds}. Run by bench/score.ts with SWEEP_BACKEND set.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../activities/train/format.js';
import { writeModel } from '../activities/train/model-file.js';
import { networkShape } from '../activities/train/network.js';
import { standardise } from '../activities/fit-scaler/format.js';

const FEATURES = Array.from({ length: 20 }, (_, i) => `f${i}`);
const EVENTS = Number(process.env.BENCH_SCORE_EVENTS ?? 200_000);

const dir = await mkdtemp(join(tmpdir(), 'bench-score-'));
try {
  const shape = networkShape('VAE', FEATURES.length, 5, [100, 100, 100]);
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const scaler = { features: FEATURES, mean: FEATURES.map(() => 0), std: FEATURES.map(() => 1) };
  await writeModel(
    dir,
    shape,
    Float32Array.from({ length: shape.size }, () => 0.1 * random()),
    {
      model: 'VAE-l5',
      features: FEATURES,
      hiddenLayers: [100, 100, 100],
      scaler: { ...scaler, artifact: 'bench' },
      trainedWith: { backend: 'bench', bestEpoch: 0, valLoss: 0, seed: 1 },
    },
  );
  const model = await loadModel(dir);
  const columns = FEATURES.map(() => Float64Array.from({ length: EVENTS }, random));
  model.score(standardise(columns, 1000, scaler)); // warm-up: kernels compiled, memory allocated
  const t0 = performance.now();
  const x = standardise(columns, EVENTS, scaler);
  const { mse } = model.score(x);
  const seconds = (performance.now() - t0) / 1000;
  if (mse.length !== EVENTS) throw new Error(`scored ${mse.length} of ${EVENTS} events`);
  const tf = await import('@tensorflow/tfjs');
  console.log(JSON.stringify({ backend: tf.getBackend(), events: EVENTS, seconds }));
  model.dispose();
} finally {
  await rm(dir, { recursive: true, force: true });
}
