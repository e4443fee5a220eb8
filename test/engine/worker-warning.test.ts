// A worker serving the gpu queue on a host without a GPU backend must say so at start-up,
// loudly, and still serve; with a GPU backend it must not cry wolf.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, expect, it, inject } from 'vitest';
import { REPO_ROOT } from '../../activities/engine/code-version.js';
import { hasGpuBackend } from '../../activities/lib/host.js';
import { testProject } from '../helpers/engine.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

afterAll(removeTempDirs);

it('warns at start-up when --queues gpu has no GPU backend behind it', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'worker.ts'), '--queues', 'gpu', '--no-workflows'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      SWEEP_HOME: await tempDir('worker-warning'),
      SWEEP_PROJECT: testProject(),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`worker exited with code ${code}:\n${stderr}`))),
  );
  // After the test kills it, the exit is expected: only an early exit may fail the test.
  exited.catch(() => undefined);
  const gpu = await hasGpuBackend();
  // The warning follows the `serving` line once the backend probe has answered.
  const settled = async () => {
    for (let waited = 0; waited < 60_000; waited += 200) {
      if (stderr.includes('worker: serving') && (gpu ? waited > 5_000 : stderr.includes('GPU backend loads'))) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  try {
    await Promise.race([settled(), exited]);
  } finally {
    child.kill('SIGTERM');
  }
  expect(stderr).toContain('worker: serving');
  if (gpu) expect(stderr).not.toContain('no GPU backend loads');
  else {
    expect(stderr).toContain('serving the gpu queue, but no GPU backend loads on this host');
    expect(stderr).toContain('npm run setup:native -- --gpu');
  }
});
