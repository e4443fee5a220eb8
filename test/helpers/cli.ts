// The `sweep` command as a user runs it: `client/bin.js` in a process of its own, talking to
// the dev server of the global setup (never to the embedded one), output and exit code kept.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';
import { REPO_ROOT } from '../../activities/engine/code-version.js';

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  /** Resolves with the outcome once the command has exited. */
  done: Promise<CliOutcome>;
  /** Resolves once stderr contains `text`; rejects if the command exits first. */
  stderrContains(text: string): Promise<void>;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string>;
}

/** Starts `sweep ARGS` with its output going to pipes (no terminal, as in a CI log). */
export function startSweepCli(args: string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'client/bin.js'), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiting: { text: string; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const w of waiting.filter((w) => stderr.includes(w.text))) w.resolve();
  });
  const done = new Promise<CliOutcome>((resolve) => child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
  return {
    done,
    stderrContains: (text) =>
      new Promise((resolve, reject) => {
        if (stderr.includes(text)) return resolve();
        waiting.push({ text, resolve });
        void done.then((outcome) =>
          reject(new Error(`sweep ${args.join(' ')} exited (${outcome.code}) before printing "${text}":\n${outcome.stderr}`)),
        );
      }),
  };
}

/** Runs `sweep ARGS` to its end. */
export function sweepCli(args: string[], options: CliOptions = {}): Promise<CliOutcome> {
  return startSweepCli(args, options).done;
}
