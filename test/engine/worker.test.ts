// `sweep worker` as a user starts it: the task queues it takes by default follow what the host
// has (said in one line), an explicit gpu queue on a host without a GPU backend is warned
// about loudly, and SIGTERM to the npx wrapper stops the real worker with one line instead of
// leaving it polling as an orphan.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { REPO_ROOT } from '../../activities/engine/code-version.js';
import { hasGpuBackend } from '../../activities/lib/host.js';
import { testProject } from '../helpers/engine.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

let gpu: boolean;
const started: ChildProcess[] = [];
/** Processes below a wrapper, which a failing test must not leave behind. */
const below: number[] = [];

beforeAll(async () => {
  gpu = await hasGpuBackend();
});

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of below.filter(alive)) process.kill(pid, 'SIGKILL');
  await removeTempDirs();
});

interface RunningWorker {
  child: ChildProcess;
  stderr: () => string;
  /** Resolves once stderr says the worker serves its queues; rejects if it exits first. */
  serving: Promise<void>;
}

/** `command` (argv) with a private home and task queues on the dev server of the global setup. */
async function startWorker(command: string[]): Promise<RunningWorker> {
  const child = spawn(command[0]!, command.slice(1), {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      SWEEP_HOME: await tempDir('worker'),
      SWEEP_PROJECT: testProject(),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  started.push(child);
  let stderr = '';
  const serving = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('worker: serving')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited with code ${code} before serving:\n${stderr}`)));
  });
  return { child, stderr: () => stderr, serving };
}

/** The worker prints its GPU warning after the `serving` line; give it a moment to do so. */
const settle = () => new Promise((r) => setTimeout(r, 1000));

const worker = (...args: string[]) => [process.execPath, join(REPO_ROOT, 'client/bin.js'), 'worker', '--no-workflows', ...args];

describe('sweep worker', () => {
  it('takes the queues the host can serve by default, says so in one line, and raises no alarm', async () => {
    const w = await startWorker(worker());
    await w.serving;
    await settle();
    w.child.kill('SIGTERM');
    const lines = w.stderr().split('\n').filter(Boolean);
    if (gpu) {
      expect(lines).toContain('worker: a GPU backend loads here, so this worker takes the cpu and gpu (training) queues');
      expect(w.stderr()).toMatch(/worker: serving cpu, gpu on /);
    } else {
      expect(lines).toContain(
        'worker: no GPU backend loads here, so this worker takes the cpu queue only; trainings wait for a worker on the gpu queue (`--queues cpu,gpu` trains here, on the CPU)',
      );
      expect(w.stderr()).toMatch(/worker: serving cpu on /);
    }
    expect(w.stderr()).not.toContain('!!!');
  });

  it('warns loudly at start-up when --queues gpu has no GPU backend behind it, and still serves', async () => {
    const w = await startWorker(worker('--queues', 'gpu'));
    await w.serving;
    await settle();
    w.child.kill('SIGTERM');
    expect(w.stderr()).toContain('worker: serving gpu on');
    if (gpu) expect(w.stderr()).not.toContain('no GPU backend loads');
    else {
      expect(w.stderr()).toContain('!!! worker: serving the gpu queue, but no GPU backend loads on this host !!!');
      expect(w.stderr()).toContain('npm run setup:native -- --gpu');
    }
  });

  it('stops with one line, leaving no orphan, when SIGTERM goes to the npx wrapper', async () => {
    const w = await startWorker(['npx', 'sweep', 'worker', '--no-workflows', '--queues', 'cpu']);
    await w.serving;
    const family = descendants(w.child.pid!);
    below.push(...family);
    // npx, the shell it starts, and the node process that runs the worker.
    expect(family.length).toBeGreaterThanOrEqual(2);
    w.child.kill('SIGTERM');
    const deadline = Date.now() + 30_000;
    // The worker's last line may reach this process's pipe after the processes are gone.
    const said = () => /^worker: SIGTERM: stopping/m.test(w.stderr());
    while ((family.some(alive) || !said()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(family.filter(alive), `still running 30 s after SIGTERM to npx: ${processList(family.filter(alive))}`).toEqual([]);
    const stopping = w.stderr().match(/^worker: SIGTERM: stopping.*$/gm) ?? [];
    expect(stopping).toEqual(['worker: SIGTERM: stopping; running nodes get up to 30 s to finish or checkpoint']);
    expect(w.stderr()).not.toContain('Worker state changed');
  });
});

/** Every process below `pid` (Linux `ps`). */
function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, ppid] of table) {
      if (ppid === parent) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function processList(pids: number[]): string {
  return pids.length ? execFileSync('ps', ['-o', 'pid=,args=', '-p', pids.join(',')], { encoding: 'utf8' }).trim() : '';
}
