// Worker processes for tests that SIGKILL a worker mid-sweep: the script (which calls
// serveWorkerProcess of test-workers.ts) runs under tsx against the dev server of the global setup.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';
import { REPO_ROOT } from '../../activities/engine/code-version.js';

export interface WorkerProcess {
  child: ChildProcess;
  /** Every non-empty line the process has printed so far. */
  output: string[];
}

const started: ChildProcess[] = [];

/**
 * Starts `script` (relative to the repository root) and resolves once it prints `ready`;
 * with `netns`, inside that network namespace (a test host).
 */
export function spawnWorkerProcess(script: string, home: string, env: Record<string, string> = {}, netns?: string): Promise<WorkerProcess> {
  const argv = ['--import', 'tsx', join(REPO_ROOT, script)];
  const [command, args] = netns ? ['ip', ['netns', 'exec', netns, process.execPath, ...argv]] : [process.execPath, argv];
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      SWEEP_HOME: home,
      SWEEP_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.push(child);
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output.push(...chunk.toString().split('\n').filter(Boolean));
      if (output.includes('ready')) resolve({ child, output });
    });
    child.once('exit', (code) => reject(new Error(`worker process ${script} exited early with code ${code}`)));
  });
}

/** For afterAll: a test that fails midway must not leave worker processes polling. */
export function killWorkerProcesses(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
