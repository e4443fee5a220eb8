#!/usr/bin/env node
// Builds the fused training kernel (activities/train/fused/kernel.c) as an N-API addon for
// this machine: .sweep/native/fused.node, vectorised for the host CPU (-march=native), with
// fused.json beside it recording the compiler, the flags, the CPU it was built for and a
// hash of the sources (the loader ignores a build whose sources changed since, or one made
// for another CPU model, e.g. on a checkout shared between hosts). No node-gyp: one
// compiler call with Node's own headers. Runs as the first step of `npm install`'s
// postinstall and never fails it: without a compiler or Node headers it says so in one line
// and the committed WebAssembly build of the same kernel is used instead.
//
//   node scripts/build-fused.js            build (skipped when up to date)
//   node scripts/build-fused.js --force    rebuild (npm run build:fused)
// Environment: CC (compiler), FUSED_CFLAGS (extra flags), FUSED_PORTABLE=1 (no
// -march=native), SWEEP_SKIP_FUSED=1 (do nothing), npm_config_nodedir (Node headers).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'activities', 'train', 'fused');
const SOURCES = ['kernel.h', 'kernel.c', 'addon.c'];
const outDir = join(root, '.sweep', 'native');
const output = join(outDir, 'fused.node');
const manifest = join(outDir, 'fused.json');
const FALLBACK = 'the fused trainer will use its WebAssembly build';

function say(message) {
  process.stderr.write(`[build-fused] ${message}\n`);
}

/** sha256 over the kernel's sources (the loader computes the same). */
function sourceHash() {
  const hash = createHash('sha256');
  for (const name of SOURCES) hash.update(readFileSync(join(sourceDir, name)));
  return hash.digest('hex');
}

/** The CPU a -march=native build is for (activities/train/fused/index.ts compares the same string). */
function cpuModel() {
  return `${process.arch} ${cpus()[0]?.model ?? 'unknown'}`;
}

function nodeHeaders() {
  const candidates = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
    join(dirname(process.execPath), '..', 'include', 'node'),
  ].filter(Boolean);
  return candidates.find((dir) => existsSync(join(dir, 'node_api.h')));
}

function compilers() {
  return process.env.CC ? [process.env.CC] : ['cc', 'gcc', 'clang'];
}

function version(cc) {
  const result = spawnSync(cc, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split('\n')[0].trim() : undefined;
}

function main() {
  if (process.env.SWEEP_SKIP_FUSED) return say('SWEEP_SKIP_FUSED set; skipping');
  const force = process.argv.includes('--force');
  const hash = sourceHash();
  if (!force && existsSync(output) && existsSync(manifest)) {
    try {
      const built = JSON.parse(readFileSync(manifest, 'utf8'));
      if (built.sources === hash && (built.cpu === undefined || built.cpu === cpuModel())) return say(`up to date: ${output}`);
    } catch {
      // rebuild
    }
  }
  const headers = nodeHeaders();
  if (!headers) return say(`Node headers (node_api.h) not found next to ${process.execPath} (set npm_config_nodedir); ${FALLBACK}`);
  const cc = compilers().find((name) => version(name) !== undefined);
  if (!cc) return say(`no C compiler found (tried ${compilers().join(', ')}; set CC); ${FALLBACK}`);
  mkdirSync(outDir, { recursive: true });
  const base = ['-O3', '-std=gnu11', '-ffp-contract=off', '-fno-math-errno', '-fPIC', '-shared', '-Wall'];
  const extra = (process.env.FUSED_CFLAGS ?? '').split(/\s+/).filter(Boolean);
  const arch = process.env.FUSED_PORTABLE ? [] : ['-march=native'];
  const temporary = join(outDir, `fused.${process.pid}.tmp.node`);
  const sources = ['kernel.c', 'addon.c'].map((name) => join(sourceDir, name));
  let flags;
  let result;
  for (const attempt of arch.length ? [arch, []] : [[]]) {
    flags = [...base, ...attempt, ...extra];
    result = spawnSync(cc, [...flags, `-I${headers}`, ...sources, '-o', temporary], { encoding: 'utf8' });
    if (result.status === 0) break;
  }
  if (result.status !== 0) {
    rmSync(temporary, { force: true });
    const first = (result.stderr || result.error?.message || '').split('\n').find((line) => line.trim()) ?? 'unknown error';
    return say(`${cc} could not build the addon (${first.trim()}); ${FALLBACK}`);
  }
  // Load it once in a fresh process before trusting it.
  const probe = spawnSync(
    process.execPath,
    ['-e', `const m = require(${JSON.stringify(temporary)}); process.stdout.write(String(m.vectorWidth()))`],
    {
      encoding: 'utf8',
    },
  );
  if (probe.status !== 0) {
    rmSync(temporary, { force: true });
    return say(`the built addon does not load (${probe.stderr.split('\n')[0]}); ${FALLBACK}`);
  }
  renameSync(temporary, output);
  const info = {
    sources: hash,
    compiler: version(cc),
    cc,
    flags,
    // Only a build for the host's own instruction set is tied to the CPU.
    ...(flags.includes('-march=native') && { cpu: cpuModel() }),
    vectorWidth: Number(probe.stdout),
    node: process.version,
    built: new Date().toISOString(),
  };
  writeFileSync(manifest, `${JSON.stringify(info, null, 2)}\n`);
  say(`built ${output} with ${info.compiler} (${flags.join(' ')}; ${info.vectorWidth} floats per vector)`);
}

try {
  main();
} catch (err) {
  say(`failed (${err.message.split('\n')[0]}); ${FALLBACK}`);
}
