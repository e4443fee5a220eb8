// Training throughput of the native TensorFlow backend (`npm run setup:native`) against wasm
// and the plain cpu backend in the same run, and against PyTorch on the same CPU when
// .sweep/venv has torch: AE, latentDim 8, batch 256, the thesis loop (bench/native-child.ts,
// bench/torch_ae.py). Events per second = events through an optimiser step per second of
// epoch wall time (validation included), from the last of two epochs (the first warms up).
// Goal: >= 20,000 events/s on this 2-core machine and within 2x of PyTorch.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Row } from './row.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./native-child.ts', import.meta.url));
const TORCH = fileURLToPath(new URL('./torch_ae.py', import.meta.url));
const PYTHON = fileURLToPath(new URL('../.sweep/venv/bin/python', import.meta.url));
const GOAL = 20_000;

interface Measurement {
  backend: string;
  libtensorflow?: string;
  eventsPerSecond: number[];
}

interface Setup {
  label: string;
  backend: 'tensorflow' | 'wasm' | 'cpu';
  /** The plain cpu backend is slow: fewer events keep its run short. */
  rows: number;
  /** TensorFlow's intra-op pool; unset = one thread per core. */
  threads?: number;
  /** Trainings started at once (the worker runs two per 2-core host). */
  parallel: number;
}

const SETUPS: Setup[] = [
  { label: 'tensorflow', backend: 'tensorflow', rows: 16_000, parallel: 1 },
  { label: 'tensorflow, 1 intra-op thread', backend: 'tensorflow', rows: 16_000, threads: 1, parallel: 1 },
  { label: 'tensorflow, 2 trainings at once, 1 thread each (sum)', backend: 'tensorflow', rows: 16_000, threads: 1, parallel: 2 },
  { label: 'wasm', backend: 'wasm', rows: 8_000, parallel: 1 },
  { label: 'wasm, 2 trainings at once (sum)', backend: 'wasm', rows: 8_000, parallel: 2 },
  { label: 'cpu', backend: 'cpu', rows: 2_000, parallel: 1 },
];

async function measure(setup: Setup): Promise<Measurement> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SWEEP_BACKEND: setup.backend,
    BENCH_TRAIN_ROWS: String(setup.rows),
    TF_CPP_MIN_LOG_LEVEL: '2',
  };
  if (setup.threads) env.TF_NUM_INTRAOP_THREADS = String(setup.threads);
  else delete env.TF_NUM_INTRAOP_THREADS;
  const runs = await Promise.all(
    Array.from({ length: setup.parallel }, () => run(process.execPath, ['--import', 'tsx', CHILD], { env, maxBuffer: 1 << 20 })),
  );
  const results = runs.map(({ stdout }) => JSON.parse(stdout.trim().split('\n').pop()!) as Measurement);
  const lastEpoch = (m: Measurement) => m.eventsPerSecond[m.eventsPerSecond.length - 1]!;
  return { ...results[0]!, eventsPerSecond: [results.reduce((sum, m) => sum + lastEpoch(m), 0)] };
}

/** PyTorch on the same model and loop; undefined when .sweep/venv has no torch. */
async function measureTorch(threads: number): Promise<number | undefined> {
  if (!existsSync(PYTHON)) return undefined;
  try {
    const { stdout } = await run(PYTHON, [TORCH, '--rows', '16000', '--threads', String(threads)], { maxBuffer: 1 << 20 });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { eventsPerSecond: number[] };
    return result.eventsPerSecond[result.eventsPerSecond.length - 1];
  } catch {
    return undefined;
  }
}

export async function bench(): Promise<Row[]> {
  const rows: Row[] = [];
  const rate: Record<string, number> = {};
  for (const setup of SETUPS) {
    const name = `train: AE l8 b256 events per second, ${setup.label}`;
    try {
      const m = await measure(setup);
      rate[setup.label] = m.eventsPerSecond[0]!;
      const library = m.libtensorflow ? `, libtensorflow ${m.libtensorflow}` : '';
      // The 2 cores are shared: the load average says how much of them this run had.
      const load = `load average ${loadavg()[0]!.toFixed(1)}`;
      rows.push({
        name,
        value: rate[setup.label]!,
        unit: 'events/s',
        note: `${setup.rows} events x 4 folds per epoch on ${m.backend}${library}; ${load}`,
      });
    } catch (err) {
      const reason =
        (err as { stderr?: string }).stderr?.split('\n').find((line) => /^\w*Error: /.test(line)) ?? (err as Error).message.split('\n')[0];
      rows.push({
        name,
        value: NaN,
        unit: 'events/s',
        note: `not available here (${reason}); the native backend needs \`npm run setup:native\``,
      });
    }
  }
  const native = Math.max(rate['tensorflow'] ?? NaN, rate['tensorflow, 1 intra-op thread'] ?? NaN);
  rows.push({
    name: 'train: native (best single training) / plain cpu backend',
    value: native / rate.cpu!,
    unit: 'x',
    note: `goal >= ${GOAL} events/s: ${native >= GOAL ? 'met' : 'not met'}`,
  });
  rows.push({ name: 'train: native / wasm (single training)', value: native / rate.wasm!, unit: 'x' });
  const torch: number[] = [];
  for (const threads of [1, 2]) {
    const name = `train: PyTorch CPU, ${threads} thread${threads > 1 ? 's' : ''}, events per second`;
    const measured = await measureTorch(threads);
    if (measured === undefined) {
      rows.push({
        name,
        value: NaN,
        unit: 'events/s',
        note: 'torch is not installed in .sweep/venv (.sweep/venv/bin/python -m pip install torch)',
      });
      continue;
    }
    torch.push(measured);
    rows.push({ name, value: measured, unit: 'events/s', note: 'same model and loop, bench/torch_ae.py' });
  }
  if (torch.length > 0) {
    rows.push({
      name: 'train: native / PyTorch CPU (best of 1 and 2 threads)',
      value: native / Math.max(...torch),
      unit: 'x',
      note: 'goal: >= 0.5 (within 2x)',
    });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await bench()) console.log(`${row.name}: ${row.value.toPrecision(4)} ${row.unit}${row.note ? ` (${row.note})` : ''}`);
}
