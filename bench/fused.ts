// Training throughput of the fused kernel (activities/train/fused) against today's tfjs
// wasm Trainer and PyTorch CPU, same model (20-100-100-100-l8 and mirrored), same loop
// (5 folds, batch 256, clipping, Adam, SWA, validation of each fold), one thread each:
//   fused native   bench/fused-child.ts --kernel native (.sweep/native/fused.node)
//   fused wasm     bench/fused-child.ts --kernel wasm   (activities/train/fused/kernel.wasm)
//   tfjs wasm      bench/fused-child.ts --kernel tfjs-wasm (activities/train/trainer.ts)
//   PyTorch        bench/torch_models.py (AE/VAE/DVAE) and bench/torch_ae.py (AE), 1 thread
// Every measurement runs in its own process; the configurations take turns, repeat by
// repeat, so background load spreads over all of them. Per process the first epoch warms
// up; the later epochs are samples. Reported: min and median of events per second of wall
// time and per CPU-second, and the ratios of the medians.
//
// With --score: also scoring (200,000 events, VAE l5, as bench/score.ts) by the fused
// kernel against loadModel().score on tfjs wasm.
//
//   npx tsx bench/fused.ts [--repeats 3] [--rows 16000] [--arch AE,VAE,DVAE] [--only native,wasm,tfjs-wasm,torch] [--score]
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { nativeStatus } from '../activities/train/fused/index.js';
import type { Row } from './row.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./fused-child.ts', import.meta.url));
const TORCH_MODELS = fileURLToPath(new URL('./torch_models.py', import.meta.url));
const TORCH_AE = fileURLToPath(new URL('./torch_ae.py', import.meta.url));
const PYTHON = fileURLToPath(new URL('../.sweep/venv/bin/python', import.meta.url));

type Kernel = 'native' | 'wasm' | 'tfjs-wasm' | 'torch' | 'torch_ae';

interface Samples {
  wall: number[];
  cpu: number[];
}

interface Options {
  repeats: number;
  rows: number;
  architectures: string[];
  kernels: Kernel[];
}

const EPOCHS: Record<Kernel, number> = { native: 4, wasm: 3, 'tfjs-wasm': 3, torch: 3, torch_ae: 3 };

async function measure(kernel: Kernel, architecture: string, rows: number): Promise<Samples> {
  const epochs = String(EPOCHS[kernel]);
  if (kernel === 'torch' || kernel === 'torch_ae') {
    const args =
      kernel === 'torch'
        ? [TORCH_MODELS, '--arch', architecture, '--rows', String(rows), '--epochs', epochs, '--threads', '1']
        : [TORCH_AE, '--rows', String(rows), '--epochs', epochs, '--threads', '1'];
    const { stdout } = await run(PYTHON, args, { maxBuffer: 1 << 20, env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { eventsPerSecond: number[]; eventsPerCpuSecond?: number[] };
    return { wall: result.eventsPerSecond.slice(1), cpu: result.eventsPerCpuSecond?.slice(1) ?? [] };
  }
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', CHILD, '--kernel', kernel, '--arch', architecture, '--rows', String(rows), '--epochs', epochs],
    {
      maxBuffer: 1 << 20,
    },
  );
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as { wall: number[]; cpu: number[] };
  return { wall: result.wall.slice(1), cpu: result.cpu.slice(1) };
}

function torchAvailable(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const min = (v: number[]) => Math.min(...v);

const LABEL: Record<Kernel, string> = {
  native: 'fused native',
  wasm: 'fused wasm',
  'tfjs-wasm': 'tfjs wasm Trainer (today)',
  torch: 'PyTorch CPU, 1 thread (torch_models.py)',
  torch_ae: 'PyTorch CPU, 1 thread (torch_ae.py)',
};

export async function measureAll(options: Options, log: (line: string) => void = () => {}): Promise<Map<string, Samples>> {
  const results = new Map<string, Samples>();
  const jobs: [Kernel, string][] = [];
  for (const architecture of options.architectures) {
    for (const kernel of options.kernels) {
      if (kernel === 'torch_ae' && architecture !== 'AE') continue;
      jobs.push([kernel, architecture]);
    }
  }
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    for (const [kernel, architecture] of jobs) {
      const key = `${architecture}/${kernel}`;
      const samples = await measure(kernel, architecture, options.rows);
      const into = results.get(key) ?? { wall: [], cpu: [] };
      into.wall.push(...samples.wall);
      into.cpu.push(...samples.cpu);
      results.set(key, into);
      log(
        `repeat ${repeat + 1}/${options.repeats} ${key}: ${samples.wall.map((v) => Math.round(v)).join(', ')} events/s; load ${loadavg()[0]!.toFixed(2)}`,
      );
    }
  }
  return results;
}

function defaultKernels(): Kernel[] {
  const kernels: Kernel[] = [];
  if (nativeStatus().available) kernels.push('native');
  kernels.push('wasm', 'tfjs-wasm');
  if (torchAvailable()) kernels.push('torch', 'torch_ae');
  return kernels;
}

/** Rows for `npm run bench` (bench/run.ts): medians and the ratios. */
export async function bench(): Promise<Row[]> {
  const options: Options = { repeats: 1, rows: 16000, architectures: ['AE', 'VAE', 'DVAE'], kernels: defaultKernels() };
  const results = await measureAll(options);
  const rows: Row[] = [];
  for (const [key, s] of results) {
    const [architecture, kernel] = key.split('/') as [string, Kernel];
    rows.push({
      name: `fused: ${architecture} l8 b256, ${LABEL[kernel]}`,
      value: median(s.wall),
      unit: 'events/s',
      note: s.cpu.length ? `${Math.round(median(s.cpu))} per CPU-second` : undefined,
    });
  }
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      repeats: { type: 'string', default: '3' },
      rows: { type: 'string', default: '16000' },
      arch: { type: 'string', default: 'AE,VAE,DVAE' },
      only: { type: 'string' },
      score: { type: 'boolean', default: false },
    },
  });
  const kernels = values.only ? (values.only.split(',') as Kernel[]) : defaultKernels();
  if (!kernels.includes('native')) console.error(`fused native: not measured (${nativeStatus().reason ?? 'not asked for'})`);
  if (!kernels.includes('torch')) console.error('PyTorch: not measured (.sweep/venv has no torch: .sweep/venv/bin/pip install torch)');
  const options: Options = { repeats: Number(values.repeats), rows: Number(values.rows), architectures: values.arch.split(','), kernels };
  const started = loadavg()[0]!;
  const results = await measureAll(options, (line) => console.error(line));
  console.log(
    `\n${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores; load average ${started.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end; ${options.repeats} processes per row, ${options.rows} events x 4 folds per epoch, samples = epochs after the first\n`,
  );
  console.log('| model | backend | events/s min | events/s median | events/CPU-s min | events/CPU-s median | samples |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  const fmt = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-');
  for (const [key, s] of results) {
    const [architecture, kernel] = key.split('/') as [string, Kernel];
    console.log(
      `| ${architecture} l8 | ${LABEL[kernel]} | ${fmt(min(s.wall))} | ${fmt(median(s.wall))} | ${s.cpu.length ? fmt(min(s.cpu)) : '-'} | ${s.cpu.length ? fmt(median(s.cpu)) : '-'} | ${s.wall.length} |`,
    );
  }
  console.log('\n| model | ratio (medians) | wall | CPU |');
  console.log('|---|---|---:|---:|');
  const ratio = (a: Samples | undefined, b: Samples | undefined, pick: 'wall' | 'cpu') =>
    a && b && a[pick].length && b[pick].length ? (median(a[pick]) / median(b[pick])).toFixed(2) : '-';
  for (const architecture of options.architectures) {
    const get = (k: Kernel) => results.get(`${architecture}/${k}`);
    const pairs: [string, Kernel, Kernel][] = [
      ['fused native / PyTorch (goal >= 1.2)', 'native', 'torch'],
      ['fused wasm / tfjs wasm Trainer (goal >= 2)', 'wasm', 'tfjs-wasm'],
      ['fused native / tfjs wasm Trainer', 'native', 'tfjs-wasm'],
      ['fused wasm / PyTorch', 'wasm', 'torch'],
    ];
    for (const [name, a, b] of pairs) {
      if (!get(a) || !get(b)) continue;
      console.log(`| ${architecture} l8 | ${name} | ${ratio(get(a), get(b), 'wall')} | ${ratio(get(a), get(b), 'cpu')} |`);
    }
  }
  if (values.score)
    await scoreTable(
      kernels.filter((k): k is 'native' | 'wasm' | 'tfjs-wasm' => k === 'native' || k === 'wasm' || k === 'tfjs-wasm'),
      Number(values.repeats),
    );
}

/** Scoring rates (events per second, wall and CPU), min and median over `repeats` processes. */
async function scoreTable(kernels: ('native' | 'wasm' | 'tfjs-wasm')[], repeats: number): Promise<void> {
  const EVENTS = 200_000;
  const samples = new Map<string, Samples>(kernels.map((k) => [k, { wall: [], cpu: [] }]));
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const kernel of kernels) {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, '--kernel', kernel, '--score', String(EVENTS)], {
        maxBuffer: 1 << 20,
      });
      const r = JSON.parse(stdout.trim().split('\n').pop()!) as { events: number; seconds: number; cpuSeconds: number };
      samples.get(kernel)!.wall.push(r.events / r.seconds);
      samples.get(kernel)!.cpu.push(r.events / r.cpuSeconds);
    }
  }
  const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
  const label = { native: 'fused native score', wasm: 'fused wasm score', 'tfjs-wasm': 'loadModel().score, tfjs wasm (today)' };
  console.log(`\n| scoring, VAE l5, ${EVENTS} events | events/s min | events/s median | events/CPU-s median |`);
  console.log('|---|---:|---:|---:|');
  for (const [kernel, s] of samples)
    console.log(`| ${label[kernel as keyof typeof label]} | ${fmt(min(s.wall))} | ${fmt(median(s.wall))} | ${fmt(median(s.cpu))} |`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
