// One training-throughput measurement for bench/fused.ts, in its own process:
//   --kernel native | wasm   the thesis loop of activities/train/trainer.ts driven by the
//                            fused kernel (activities/train/fused): fresh 5-fold split per
//                            epoch, batches gathered in JavaScript, noise from the seeded
//                            RNG, one trainStep per batch, validation of each fold in
//                            chunks of 8192, the SWA mean at the end of the epoch
//   --kernel tfjs-wasm       today's Trainer on the tfjs wasm backend
// AE/VAE/DVAE (--arch), latentDim 8, batch 256, the thesis preset. Prints one JSON line:
// per epoch, trained events per second of wall time and per second of this process's CPU
// time (the first epoch warms up).
// With --score N: scoring instead (per-event MSE at the latent mean and the latent output)
// of N events by a thesis-size VAE l5 (as bench/score-child.ts): the fused kernel's score
// against loadModel().score on the tfjs wasm backend (--kernel tfjs-wasm). Prints
// {events, seconds, cpuSeconds}.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Architecture } from '../core/models.js';
import { PRESETS } from '../definitions/presets.js';
import { useBackend } from '../activities/train/backend.js';
import { foldSplit } from '../activities/train/folds.js';
import { loadFused, type FusedKind } from '../activities/train/fused/index.js';
import { initialWeights, networkShape } from '../activities/train/network.js';
import { dirichletAlpha, laplaceDirichlet, standardNormal } from '../activities/train/prior.js';
import { Trainer, type TrainingData } from '../activities/train/trainer.js';
import { Rng } from '../activities/lib/rng.js';
import { trainingData } from '../test/train/fixtures.js';

const { values } = parseArgs({
  options: {
    kernel: { type: 'string', default: 'native' },
    arch: { type: 'string', default: 'AE' },
    latent: { type: 'string', default: '8' },
    rows: { type: 'string', default: '16000' },
    epochs: { type: 'string', default: '3' },
    score: { type: 'string' },
  },
});
const architecture = values.arch as Architecture;
const latentDim = Number(values.latent);
const rows = Number(values.rows);
const epochs = Number(values.epochs);
const settings = { ...PRESETS.thesis, epochs, seed: 1 };
const VALIDATION_CHUNK = 8192;

function cpuSeconds(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1e6;
}

async function fusedLoop(kind: FusedKind, data: TrainingData): Promise<{ description: string; wall: number[]; cpu: number[] }> {
  const kernel = await loadFused(kind);
  const width = data.features.length;
  const prior =
    architecture === 'AE'
      ? null
      : architecture === 'DVAE'
        ? laplaceDirichlet(dirichletAlpha(latentDim, settings.dirichletAlpha))
        : standardNormal(latentDim);
  const klWeight = architecture === 'DVAE' ? settings.dvaeBeta : architecture === 'VAE' ? settings.beta : 0;
  const engine = kernel.createEngine({
    architecture,
    inputDim: width,
    latentDim,
    hiddenLayers: settings.hiddenLayers,
    maxRows: settings.batchSize,
    prior,
    klWeight,
    clipNorm: settings.clipNorm,
    swa: settings.swa,
  });
  const rng = Rng.fromSeed(settings.seed);
  engine.params.set(initialWeights(networkShape(architecture, width, latentDim, settings.hiddenLayers), rng));
  const chunkRows = Math.max(settings.batchSize, VALIDATION_CHUNK);
  const x = new Float32Array(chunkRows * width);
  const w = new Float32Array(chunkRows);
  const noise = new Float32Array(chunkRows * latentDim);
  const gather = (indices: Int32Array) => {
    for (let i = 0; i < indices.length; i++) {
      const row = indices[i]!;
      x.set(data.x.subarray(row * width, (row + 1) * width), i * width);
      w[i] = data.weights[row]!;
    }
    const n = indices.length;
    const noiseView = prior ? rng.fillNormal(noise.subarray(0, n * latentDim)) : null;
    return [x.subarray(0, n * width), w.subarray(0, n), noiseView] as const;
  };
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const started = performance.now();
    const cpuStarted = cpuSeconds();
    const order = rng.permutation(data.rows);
    for (let fold = 0; fold < settings.folds; fold++) {
      const split = foldSplit(order, settings.folds, fold);
      for (let start = 0; start < split.train.length; start += settings.batchSize) {
        const [xb, wb, nb] = gather(split.train.subarray(start, start + settings.batchSize));
        engine.trainStep(xb, wb, nb, settings.learningRate);
      }
      for (let start = 0; start < split.validation.length; start += VALIDATION_CHUNK) {
        const [xb, wb, nb] = gather(split.validation.subarray(start, start + VALIDATION_CHUNK));
        engine.validate(xb, wb, nb);
      }
    }
    const loss = (engine.trainSums[0]! + klWeight * engine.trainSums[1]!) / engine.trainSums[2]!;
    if (!Number.isFinite(loss)) throw new Error(`loss ${loss}`);
    engine.params.set(engine.swaMean());
    engine.resetSwa();
    engine.trainSums.fill(0);
    engine.valSums.fill(0);
    const trained = (settings.folds - 1) * data.rows;
    wall.push(trained / ((performance.now() - started) / 1000));
    cpu.push(trained / (cpuSeconds() - cpuStarted));
  }
  return { description: kernel.description, wall, cpu };
}

async function tfjsTrainer(data: TrainingData): Promise<{ description: string; wall: number[]; cpu: number[] }> {
  const backend = await useBackend('wasm');
  const dir = await mkdtemp(join(tmpdir(), 'bench-fused-'));
  const checkpoint = join(dir, 'checkpoint');
  const trainer = await Trainer.open(
    { model: `bench-${architecture}-l${latentDim}`, architecture, latentDim, settings, backend },
    data,
    checkpoint,
  );
  const cpu: number[] = [];
  let before = cpuSeconds();
  await trainer.run(checkpoint, {
    onEpoch: () => {
      const now = cpuSeconds();
      cpu.push(((settings.folds - 1) * data.rows) / (now - before));
      before = now;
    },
  });
  const wall = trainer.epochHistory().map((row) => ((settings.folds - 1) * data.rows) / row.seconds);
  trainer.dispose();
  await rm(dir, { recursive: true, force: true });
  return { description: `tfjs ${backend} Trainer`, wall, cpu };
}

async function scoring(events: number): Promise<{ description: string; events: number; seconds: number; cpuSeconds: number }> {
  const features = Array.from({ length: 20 }, (_, i) => `f${i}`);
  const shape = networkShape('VAE', 20, 5, [100, 100, 100]);
  const rng = Rng.fromSeed(1);
  const params = Float32Array.from({ length: shape.size }, () => 0.1 * rng.range(-1, 1));
  const x = Float32Array.from({ length: events * 20 }, () => rng.range(-1, 1));
  let score: (x: Float32Array) => Float32Array;
  let description: string;
  let dir: string | undefined;
  if (values.kernel === 'tfjs-wasm') {
    await useBackend('wasm');
    const { writeModel, readModel: loadModel } = await import('../activities/train/model-file.js');
    dir = await mkdtemp(join(tmpdir(), 'bench-fused-score-'));
    const scaler = { features, mean: features.map(() => 0), std: features.map(() => 1), artifact: 'bench' };
    await writeModel(dir, shape, params, {
      model: 'VAE-l5',
      features,
      hiddenLayers: [100, 100, 100],
      scaler,
      trainedWith: { backend: 'bench', bestEpoch: 0, valLoss: 0, seed: 1 },
    });
    const model = await loadModel(dir);
    score = (rows) => model.score(rows).mse;
    description = 'loadModel().score, tfjs wasm';
  } else {
    const kernel = await loadFused(values.kernel as FusedKind);
    const engine = kernel.createEngine({
      architecture: 'VAE',
      inputDim: 20,
      latentDim: 5,
      hiddenLayers: [100, 100, 100],
      maxRows: 1024,
      prior: standardNormal(5),
      klWeight: 0.1,
      clipNorm: 0,
      swa: false,
    });
    score = (rows) => engine.score(rows, params).mse;
    description = kernel.description;
  }
  score(x.subarray(0, 1000 * 20)); // warm-up
  const started = performance.now();
  const cpuStarted = cpuSeconds();
  const mse = score(x);
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds() - cpuStarted;
  if (mse.length !== events) throw new Error(`scored ${mse.length} of ${events}`);
  if (dir) await rm(dir, { recursive: true, force: true });
  return { description, events, seconds, cpuSeconds: cpu };
}

if (values.score) {
  console.log(JSON.stringify({ kernel: values.kernel, ...(await scoring(Number(values.score))) }));
  process.exit(0);
}

const data = trainingData(rows, 8, 3);
const result = values.kernel === 'tfjs-wasm' ? await tfjsTrainer(data) : await fusedLoop(values.kernel as FusedKind, data);
console.log(JSON.stringify({ kernel: values.kernel, architecture, latentDim, rows, ...result }));
