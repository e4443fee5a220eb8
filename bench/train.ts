// Training throughput, every row from the same run: the product's Trainer (thesis preset:
// 5 folds, batch 256, clipping, Adam, SWA, validation of each fold) on an AE, VAE and DVAE
// with latentDim 8, on each backend present, each measurement in a process of its own
// (bench/train-child.ts), against PyTorch CPU with the same model and loop
// (bench/torch_models.py, one thread) when .sweep/venv has torch (`npm run bench -- torch`
// installs it). The configurations take turns repeat by repeat, so the machine's background
// load spreads over all of them; per process the first epoch warms up and the later ones
// are the samples; rows give medians. Events per second = events through an optimiser step
// per second of epoch wall time; per CPU-second = per second of the process's CPU time,
// which on a shared machine says more than wall time.
//
// Goals (issue 10): fused native >= 1.2x PyTorch CPU per core; fused wasm >= 2x the tfjs
// wasm loop; the thesis preset's 29 models in < 8 h on this machine.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BackendSetting } from '../core/dag.js';
import { PRESETS } from '../definitions/presets.js';
import type { Row } from './row.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./train-child.ts', import.meta.url));
const TORCH = fileURLToPath(new URL('./torch_models.py', import.meta.url));
export const PYTHON = fileURLToPath(new URL('../.sweep/venv/bin/python', import.meta.url));

const ARCHITECTURES = ['AE', 'VAE', 'DVAE'] as const;
type Arch = (typeof ARCHITECTURES)[number];
const ROWS = 16_000;
const EPOCHS = 3;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** The train split of definitions/thesis.yaml on the embedded generator (README, "Embedded data"). */
const THESIS_EVENTS = 89_882;
/** The thesis study: 10 AE, 10 VAE, 9 DVAE (latentDim 1-10, DVAE from 2). */
const THESIS_MODELS: Record<Arch, number> = { AE: 10, VAE: 10, DVAE: 9 };

interface Samples {
  wall: number[];
  cpu: number[];
  /** The backend's recorded name, from the child. */
  name?: string;
  /** Why it could not run here. */
  missing?: string;
}

interface Config {
  key: string;
  label: string;
  run(arch: Arch): Promise<Omit<Samples, 'missing'>>;
  architectures: readonly Arch[];
}

async function child(setting: BackendSetting, arch: Arch, rows: number): Promise<Omit<Samples, 'missing'>> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', CHILD, '--backend', setting, '--arch', arch, '--rows', String(rows), '--epochs', String(EPOCHS)],
    { maxBuffer: 1 << 20 },
  );
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as { backend: string; wall: number[]; cpu: number[] };
  return { name: r.backend, wall: r.wall.slice(1), cpu: r.cpu.slice(1) };
}

/** Two trainings started at once: per epoch the sum of their rates. */
async function pair(setting: BackendSetting, arch: Arch): Promise<Omit<Samples, 'missing'>> {
  const [a, b] = await Promise.all([child(setting, arch, ROWS), child(setting, arch, ROWS)]);
  return { name: a.name, wall: a.wall.map((v, i) => v + b.wall[i]!), cpu: a.cpu.map((v, i) => v + b.cpu[i]!) };
}

async function torch(arch: Arch): Promise<Omit<Samples, 'missing'>> {
  const { stdout } = await run(PYTHON, [TORCH, '--arch', arch, '--rows', String(ROWS), '--epochs', String(EPOCHS), '--threads', '1'], {
    maxBuffer: 1 << 20,
    env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
  });
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as { torch: string; eventsPerSecond: number[]; eventsPerCpuSecond: number[] };
  return { name: `PyTorch ${r.torch}`, wall: r.eventsPerSecond.slice(1), cpu: r.eventsPerCpuSecond.slice(1) };
}

export function torchAvailable(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** The message of a child that could not run (a UserError's first line, e.g. a backend that is not installed). */
function reason(err: unknown): string {
  const stderr = (err as { stderr?: string }).stderr ?? '';
  return (
    stderr
      .split('\n')
      .find((line) => /Error: /.test(line))
      ?.replace(/^.*Error: /, '') ?? (err as Error).message.split('\n')[0]!
  );
}

const CONFIGS: Config[] = [
  { key: 'fused-native', label: 'fused native', architectures: ARCHITECTURES, run: (a) => child('fused-native', a, ROWS) },
  { key: 'fused-wasm', label: 'fused wasm', architectures: ARCHITECTURES, run: (a) => child('fused-wasm', a, ROWS) },
  { key: 'tensorflow', label: 'tfjs-node (TensorFlow, 1 thread)', architectures: ARCHITECTURES, run: (a) => child('tensorflow', a, ROWS) },
  { key: 'wasm', label: 'tfjs wasm', architectures: ARCHITECTURES, run: (a) => child('wasm', a, ROWS) },
  // The plain-JS backend is ~100x slower: a few events and the AE only.
  { key: 'cpu', label: 'tfjs cpu (2,000 events)', architectures: ['AE'], run: (a) => child('cpu', a, 2000) },
  { key: 'torch', label: 'PyTorch CPU, 1 thread', architectures: ARCHITECTURES, run: torch },
  {
    key: 'fused-native x2',
    label: 'fused native, two trainings at once (sum)',
    architectures: ['AE'],
    run: (a) => pair('fused-native', a),
  },
  { key: 'fused-wasm x2', label: 'fused wasm, two trainings at once (sum)', architectures: ['AE'], run: (a) => pair('fused-wasm', a) },
];

export async function bench(): Promise<Row[]> {
  const results = new Map<string, Samples>();
  const loads: number[] = [loadavg()[0]!];
  const haveTorch = torchAvailable();
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    for (const config of CONFIGS) {
      if (config.key === 'torch' && !haveTorch) continue;
      for (const arch of config.architectures) {
        const key = `${config.key}/${arch}`;
        const into = results.get(key) ?? { wall: [], cpu: [] };
        results.set(key, into);
        if (into.missing) continue;
        try {
          const s = await config.run(arch);
          into.wall.push(...s.wall);
          into.cpu.push(...s.cpu);
          into.name = s.name;
        } catch (err) {
          into.missing = reason(err);
        }
        loads.push(loadavg()[0]!);
        console.error(
          `bench train: repeat ${repeat + 1}/${REPEATS} ${key}: ${into.missing ?? `${Math.round(median(into.cpu))} events/CPU-s`}`,
        );
      }
    }
  }
  const rows: Row[] = [];
  const conditions = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} during the bench`;
  rows.push({ name: 'train: machine and load', value: median(loads), unit: 'load avg', note: conditions });
  for (const config of CONFIGS) {
    for (const arch of config.architectures) {
      const name = `train: ${arch} l8 b256, ${config.label}`;
      if (config.key === 'torch' && !haveTorch) {
        rows.push({
          name,
          value: NaN,
          unit: 'events/s',
          note: 'not measured: .sweep/venv has no torch (npm run bench -- torch installs it)',
        });
        continue;
      }
      const s = results.get(`${config.key}/${arch}`)!;
      if (s.missing) {
        rows.push({ name, value: NaN, unit: 'events/s', note: `not available here: ${s.missing}` });
        continue;
      }
      rows.push({
        name,
        value: median(s.wall),
        unit: 'events/s',
        note: `${Math.round(median(s.cpu)).toLocaleString('en-US')} per CPU-second; ${s.name}`,
      });
    }
  }
  const cpuRate = (key: string, arch: Arch) => median(results.get(`${key}/${arch}`)?.cpu ?? []);
  for (const arch of ARCHITECTURES) {
    const vsTorch = cpuRate('fused-native', arch) / cpuRate('torch', arch);
    if (Number.isFinite(vsTorch)) {
      rows.push({
        name: `train: ${arch} fused native / PyTorch CPU, per core`,
        value: vsTorch,
        unit: 'x',
        note: `events per CPU-second; goal >= 1.2: ${vsTorch >= 1.2 ? 'met' : 'not met'}`,
      });
    }
    const vsWasm = cpuRate('fused-wasm', arch) / cpuRate('wasm', arch);
    if (Number.isFinite(vsWasm)) {
      rows.push({
        name: `train: ${arch} fused wasm / tfjs wasm loop`,
        value: vsWasm,
        unit: 'x',
        note: `events per CPU-second; goal >= 2: ${vsWasm >= 2 ? 'met' : 'not met'}`,
      });
    }
  }
  rows.push(...projection(results));
  return rows;
}

/**
 * The thesis preset (29 models, 5 folds, batch 256) on this machine: an epoch trains
 * 4 x 89,882 events; every model is counted at the preset's maximum of 500 epochs, an
 * upper bound (early stopping ends most trainings sooner; the thesis DVAE-l10 came close to
 * 500). With the per-core rate of the fastest fused build and both cores training at once
 * (the worker's two training slots), and, for comparison, with the two-at-once rate this
 * run measured under its load.
 */
function projection(results: Map<string, Samples>): Row[] {
  const build = ['fused-native', 'fused-wasm'].find((key) => ARCHITECTURES.every((arch) => results.get(`${key}/${arch}`)?.cpu.length));
  if (!build) return [];
  const { epochs, folds } = PRESETS.thesis;
  const perEpoch = (folds - 1) * THESIS_EVENTS;
  const cores = Math.min(2, cpus().length);
  const cpuSeconds = ARCHITECTURES.reduce(
    (sum, arch) => sum + (THESIS_MODELS[arch] * epochs * perEpoch) / median(results.get(`${build}/${arch}`)!.cpu),
    0,
  );
  const hours = cpuSeconds / cores / 3600;
  const rows: Row[] = [
    {
      name: `train: thesis preset, 29 models x ${epochs} epochs (upper bound), ${build}, projected`,
      value: hours,
      unit: 'h',
      note: `${cores} trainings at once, one per core, at the measured events per CPU-second; goal < 8 h: ${hours < 8 ? 'met' : 'not met'}`,
    },
  ];
  const pairRate = median(results.get(`${build} x2/AE`)?.wall ?? []);
  if (Number.isFinite(pairRate)) {
    const models = Object.values(THESIS_MODELS).reduce((a, b) => a + b, 0);
    rows.push({
      name: `train: the same at this run's load (two-at-once AE rate, wall time)`,
      value: (models * epochs * perEpoch) / pairRate / 3600,
      unit: 'h',
      note: `${Math.round(pairRate).toLocaleString('en-US')} events/s for two trainings together`,
    });
  }
  return rows;
}
