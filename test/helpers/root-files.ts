// ROOT files written by uproot (root_files.py, in .sweep/venv) for the tests, the example
// ntuples and the bench: real files as ROOT's own Python reader-writer makes them.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PYTHON = fileURLToPath(new URL('../../.sweep/venv/bin/python', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./root_files.py', import.meta.url));

export interface RootTreeJob {
  name: string;
  /** Branches from this Parquet file (rows[0] to rows[1]), but `drop`, renamed by `rename`, cast by `types`. */
  parquet?: string;
  rows?: [number, number];
  drop?: string[];
  rename?: Record<string, string>;
  /** numpy dtypes by branch name, e.g. uint32, float32, bool. */
  types?: Record<string, string>;
  /** Branches with explicit values; type `var * float64` makes a jagged branch. */
  branches?: Record<string, { type: string; values: unknown[] }>;
}

export interface RootFileJob {
  path: string;
  compression?: 'zlib' | 'lzma' | 'none';
  /** Rows per basket (each fill of the tree makes one). */
  basket?: number;
  trees: RootTreeJob[];
}

export function writeRootFiles(files: RootFileJob[]): Promise<void> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} missing: run "npm run setup" to install uproot`);
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [SCRIPT], { maxBuffer: 1 << 24 }, (err, _stdout, stderr) =>
      err ? reject(new Error(`root_files.py failed: ${stderr || err.message}`)) : resolve(),
    );
    child.stdin!.end(JSON.stringify({ files }));
  });
}
