#!/usr/bin/env node
// Builds the WebAssembly (SIMD128) version of the fused training kernel from the same
// source as the native addon: activities/train/fused/kernel.wasm, committed to the repo so
// hosts without a C compiler have it, with kernel.wasm.json recording the hash of the
// sources it was built from (a test checks that it is current).
//
// Needs clang and wasm-ld with the wasm32 target (Debian: apt-get install clang lld).
//   node scripts/build-fused-wasm.js
// Environment: CLANG (default clang), WASM_LD directory is found by clang itself.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'activities', 'train', 'fused');
const SOURCES = ['kernel.h', 'kernel.c'];
const output = join(dir, 'kernel.wasm');
const EXPORTS = [
  'fs_workspace_bytes',
  'fs_init',
  'fs_param_count',
  'fs_dims',
  'fs_vector_width',
  'fs_last_grad_norm',
  'fs_gradient',
  'fs_train_step',
  'fs_evaluate',
  'fs_score',
  'fs_expf',
  '__heap_base',
];

const clang = process.env.CLANG ?? 'clang';
const flags = [
  '--target=wasm32',
  '-O3',
  '-msimd128',
  '-ffp-contract=off',
  '-fno-math-errno',
  '-nostdlib',
  '-Wall',
  '-Wl,--no-entry',
  '-Wl,-z,stack-size=262144',
  ...EXPORTS.map((name) => `-Wl,--export=${name}`),
];
const temporary = `${output}.${process.pid}.tmp`;
const result = spawnSync(clang, [...flags, join(dir, 'kernel.c'), '-o', temporary], {
  encoding: 'utf8',
  stdio: ['ignore', 'inherit', 'pipe'],
});
if (result.status !== 0) {
  rmSync(temporary, { force: true });
  process.stderr.write(result.stderr ?? '');
  process.stderr.write(
    `[build-fused-wasm] ${clang} failed${result.error ? ` (${result.error.message})` : ''}; install clang and lld (apt-get install clang lld)\n`,
  );
  process.exit(1);
}
if (result.stderr) process.stderr.write(result.stderr);
renameSync(temporary, output);
const hash = createHash('sha256');
for (const name of SOURCES) hash.update(readFileSync(join(dir, name)));
const version = spawnSync(clang, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0].trim();
const info = { sources: hash.digest('hex'), compiler: version, flags: flags.filter((f) => !f.startsWith('-Wl,--export=')) };
writeFileSync(join(dir, 'kernel.wasm.json'), `${JSON.stringify(info, null, 2)}\n`);
process.stderr.write(`[build-fused-wasm] built ${output} (${readFileSync(output).length} bytes) with ${version}\n`);
