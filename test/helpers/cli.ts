// The `sweep` command as a user runs it: `client/bin.js` in a process of its own, talking to
// the dev server of the global setup (never to the embedded one), output and exit code kept.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { REPO_ROOT } from '../../activities/engine/code-version.js';

const run = promisify(execFile);

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export async function sweepCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliOutcome> {
  const env = { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), ...options.env };
  try {
    const { stdout, stderr } = await run(process.execPath, [join(REPO_ROOT, 'client/bin.js'), ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const { code, stdout, stderr } = err as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}
