// Scoring throughput (events per second) per tfjs backend: a thesis-size VAE through
// activities/train's loader, each backend in its own process (bench/score-child.ts).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Row } from './row.js';

const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
/** The plain-JS cpu backend is slow; fewer events keep its run short and its rate as meaningful. */
const EVENTS: Record<(typeof BACKENDS)[number], number> = { tensorflow: 200_000, wasm: 200_000, cpu: 20_000 };

export async function bench(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const backend of BACKENDS) {
    const child = fileURLToPath(new URL('./score-child.ts', import.meta.url));
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child], {
        env: { ...process.env, SWEEP_BACKEND: backend, BENCH_SCORE_EVENTS: String(EVENTS[backend]), TF_CPP_MIN_LOG_LEVEL: '2' },
        maxBuffer: 1 << 20,
      });
      const result = JSON.parse(stdout.trim().split('\n').pop()!) as { backend: string; events: number; seconds: number };
      rows.push({
        name: `score: events per second, ${backend} backend`,
        value: result.events / result.seconds,
        unit: 'events/s',
        note: `${result.events} events, VAE 20-100-100-100-5, tfjs backend ${result.backend}`,
      });
    } catch (err) {
      rows.push({
        name: `score: events per second, ${backend} backend`,
        value: NaN,
        unit: 'events/s',
        note: `not available here: ${(err as Error).message.split('\n')[0]}`,
      });
    }
  }
  return rows;
}
