// Scoring throughput per backend, every row from the same run: a thesis-size VAE scored
// through loadModel as the score node does (bench/score-child.ts, one process per backend
// and repeat, taking turns), events per second of wall time and per CPU-second, medians.
// The fused kernel scores with one call per chunk of rows; the tfjs backends run the
// network's layers as tensors on whole chunks. The baseline is how loadModel scored before
// (tfjs Layers models and predict(), on tfjs-node and tfjs wasm). Goal (issue 10): the
// fused scoring at least 3x the best of those, per CPU-second.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BackendSetting } from '../core/dag.js';
import type { Row } from './row.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./score-child.ts', import.meta.url));
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** The plain-JS cpu backend is slow; fewer events keep its run short and its rate as meaningful. */
const BACKENDS: { key: string; setting: BackendSetting; events: number; layers?: boolean }[] = [
  { key: 'fused-native', setting: 'fused-native', events: 200_000 },
  { key: 'fused-wasm', setting: 'fused-wasm', events: 200_000 },
  { key: 'tensorflow', setting: 'tensorflow', events: 200_000 },
  { key: 'wasm', setting: 'wasm', events: 200_000 },
  { key: 'cpu', setting: 'cpu', events: 20_000 },
  { key: 'tensorflow, Layers predict (before)', setting: 'tensorflow', events: 200_000, layers: true },
  { key: 'wasm, Layers predict (before)', setting: 'wasm', events: 200_000, layers: true },
];
const BEFORE = BACKENDS.filter((b) => b.layers).map((b) => b.key);

interface Result {
  name?: string;
  wall: number[];
  cpu: number[];
  missing?: string;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export async function bench(): Promise<Row[]> {
  const results = new Map<string, Result>(BACKENDS.map((b) => [b.key, { wall: [], cpu: [] }]));
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    for (const { key, setting, events, layers } of BACKENDS) {
      const r = results.get(key)!;
      if (r.missing) continue;
      try {
        const args = ['--import', 'tsx', CHILD, '--backend', setting, '--events', String(events), ...(layers ? ['--layers'] : [])];
        const { stdout } = await run(process.execPath, args, { maxBuffer: 1 << 20 });
        const out = JSON.parse(stdout.trim().split('\n').pop()!) as {
          backend: string;
          events: number;
          seconds: number;
          cpuSeconds: number;
        };
        r.name = out.backend;
        r.wall.push(out.events / out.seconds);
        r.cpu.push(out.events / out.cpuSeconds);
      } catch (err) {
        const stderr = (err as { stderr?: string }).stderr ?? '';
        r.missing =
          stderr
            .split('\n')
            .find((line) => /Error: /.test(line))
            ?.replace(/^.*Error: /, '') ?? (err as Error).message.split('\n')[0];
      }
    }
  }
  const rows: Row[] = [];
  for (const { key, events } of BACKENDS) {
    const r = results.get(key)!;
    const name = `score: VAE l5, ${key}`;
    if (r.missing) rows.push({ name, value: NaN, unit: 'events/s', note: `not available here: ${r.missing}` });
    else
      rows.push({
        name,
        value: median(r.wall),
        unit: 'events/s',
        note: `${Math.round(median(r.cpu)).toLocaleString('en-US')} per CPU-second; ${events.toLocaleString('en-US')} events on ${r.name}`,
      });
  }
  const fastest = (keys: string[]) =>
    keys.filter((k) => !results.get(k)!.missing).sort((a, b) => median(results.get(b)!.cpu) - median(results.get(a)!.cpu))[0];
  const fused = fastest(['fused-native', 'fused-wasm']);
  const before = fastest(BEFORE);
  const tfjs = fastest(['tensorflow', 'wasm', 'cpu']);
  const ratio = (key: string) => median(results.get(fused!)!.cpu) / median(results.get(key)!.cpu);
  if (fused && before) {
    const r = ratio(before);
    rows.push({
      name: `score: ${fused} / scoring before (${before})`,
      value: r,
      unit: 'x',
      note: `events per CPU-second; goal >= 3: ${r >= 3 ? 'met' : 'not met'}`,
    });
  }
  if (fused && tfjs) {
    rows.push({ name: `score: ${fused} / tfjs on whole chunks (${tfjs})`, value: ratio(tfjs), unit: 'x', note: 'events per CPU-second' });
  }
  return rows;
}
