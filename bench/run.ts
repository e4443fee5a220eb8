// `npm run bench [-- NAME ...] [-- torch]`: runs the benchmark modules (all but the opt-in
// ones, or the named ones) and prints one table. A module exports `bench(): Promise<Row[]>`;
// add yours to BENCHES. `torch` first installs PyTorch into .sweep/venv (large: the PyPI wheel
// brings its CUDA libraries), the baseline of the train bench; without it those rows say so.
import { spawnSync } from 'node:child_process';
import { formatTable } from '../client/text-table.js';
import type { Row } from './row.js';
import { PYTHON, torchAvailable } from './train.js';

const BENCHES: Record<string, () => Promise<{ bench(): Promise<Row[]> }>> = {
  engine: () => import('./engine.js'),
  data: () => import('./data.js'),
  scan: () => import('./scan.js'),
  score: () => import('./score.js'),
  train: () => import('./train.js'),
  scale: () => import('./scale.js'),
};

/** Run only when named: they take many minutes. */
const OPT_IN = new Set(['scale']);

/** PyTorch for the train bench's baseline, pinned so runs compare. */
const TORCH = 'torch==2.5.1';

function installTorch(): void {
  if (torchAvailable()) return;
  console.error(`bench: installing ${TORCH} into .sweep/venv (about 3 GB with its CUDA libraries) ...`);
  const pip = spawnSync(PYTHON, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', TORCH], { stdio: 'inherit' });
  if (pip.status !== 0) throw new Error(`pip could not install ${TORCH} into .sweep/venv (npm install creates the venv)`);
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return abs >= 1000 || Number.isInteger(value) ? Math.round(value).toLocaleString('en-US') : value.toPrecision(3);
}

async function main(args: string[]): Promise<void> {
  if (args.includes('torch')) installTorch();
  const selected = args.filter((name) => name !== 'torch');
  const unknown = selected.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; available: ${Object.keys(BENCHES).join(', ')}`);
  const names = selected.length > 0 ? selected : Object.keys(BENCHES).filter((name) => !OPT_IN.has(name));
  const rows: string[][] = [];
  for (const name of names) {
    console.error(`bench ${name} ...`);
    const { bench } = await BENCHES[name]!();
    for (const row of await bench()) rows.push([name, row.name, formatValue(row.value), row.unit, row.note ?? '']);
  }
  console.log(formatTable(['bench', 'measure', 'value', 'unit', 'note'], rows, ['left', 'left', 'right', 'left', 'left']));
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
