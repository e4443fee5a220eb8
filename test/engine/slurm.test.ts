// `sweep worker --print-slurm`: the batch script's header (resources, the early SIGTERM that
// gives running nodes their grace period), the environment that finds the same sweeps, the
// worker's command line, valid bash whatever the paths hold, and one message per bad option.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { slurmScript } from '../../client/slurm.js';
import { REPO_ROOT } from '../../activities/engine/code-version.js';
import { sweepCli } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

afterAll(removeTempDirs);

const JOB = { env: { TEMPORAL_ADDRESS: 'temporal.lab:7233' }, cwd: '/srv/sweeps', command: ['/usr/bin/node', 'bin.js', 'worker'] };

const sbatch = (script: string) => script.split('\n').filter((line) => line.startsWith('#SBATCH '));

describe('slurmScript', () => {
  it('asks for the resources given and signals the worker grace + 30 s before the time limit', () => {
    const script = slurmScript({ partition: 'gpu', account: 'belle2', time: '2-00:00:00', mem: '32G', gpus: 2, cpus: 8, grace: 120 }, JOB);
    expect(sbatch(script)).toEqual([
      '#SBATCH --job-name=sweep-worker',
      '#SBATCH --output=sweep-worker-%j.log',
      '#SBATCH --partition=gpu',
      '#SBATCH --account=belle2',
      '#SBATCH --time=2-00:00:00',
      '#SBATCH --mem=32G',
      '#SBATCH --nodes=1',
      '#SBATCH --ntasks=1',
      '#SBATCH --cpus-per-task=8',
      '#SBATCH --gres=gpu:2',
      '#SBATCH --signal=B:TERM@150',
    ]);
    // exec: the worker replaces the batch shell, so the signal SLURM sends the shell (B:) reaches it.
    expect(script.trimEnd().split('\n').slice(-3)).toEqual([
      'export TEMPORAL_ADDRESS=temporal.lab:7233',
      'cd /srv/sweeps',
      'exec /usr/bin/node bin.js worker',
    ]);
  });

  it('leaves out what is not given, and quotes what bash would split', () => {
    const script = slurmScript(
      { grace: 30 },
      { env: { SWEEP_HOME: "/data/it's here" }, cwd: '/a b', command: ['node', '--data-roots', '/x y:/z'] },
    );
    expect(sbatch(script).map((line) => line.split('=')[0])).toEqual([
      '#SBATCH --job-name',
      '#SBATCH --output',
      '#SBATCH --nodes',
      '#SBATCH --ntasks',
      '#SBATCH --signal',
    ]);
    expect(script).toContain(`export SWEEP_HOME='/data/it'\\''s here'\ncd '/a b'\nexec node --data-roots '/x y:/z'\n`);
  });

  it('rejects sbatch values that are not what SLURM takes', () => {
    expect(() => slurmScript({ time: '2 days', grace: 30 }, JOB)).toThrow('--time 2 days: expected minutes, HH:MM:SS or D-HH:MM:SS');
    expect(() => slurmScript({ mem: '32 GB', grace: 30 }, JOB)).toThrow('--mem 32 GB: expected a size such as 16G');
    expect(() => slurmScript({ partition: 'gpu;rm', grace: 30 }, JOB)).toThrow('--partition gpu;rm: expected a partition name');
  });
});

describe('sweep worker --print-slurm', () => {
  it("prints a script with this shell's server, store, project and the worker's options, valid for bash", async () => {
    const home = await tempDir('slurm-home');
    const env = { TEMPORAL_ADDRESS: 'temporal.lab:7233', SWEEP_HOME: home, SWEEP_PROJECT: 'belle2-dm', SWEEP_DATA_ROOT: '/data' };
    const { code, stdout, stderr } = await sweepCli(['worker', '--print-slurm', '--gpus', '1', '--cpu-slots', '4', '--grace', '90'], {
      env,
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('#SBATCH --gres=gpu:1\n');
    expect(stdout).toContain('#SBATCH --cpus-per-task=4\n');
    expect(stdout).toContain('#SBATCH --signal=B:TERM@120\n');
    expect(stdout).toContain(
      `export TEMPORAL_ADDRESS=temporal.lab:7233\nexport SWEEP_HOME=${home}\nexport SWEEP_PROJECT=belle2-dm\nexport SWEEP_DATA_ROOT=/data\n`,
    );
    expect(stdout).toContain(
      `exec ${process.execPath} ${join(REPO_ROOT, 'client/bin.js')} worker --queues cpu,gpu --cpu-slots 4 --grace 90\n`,
    );
    const file = join(home, 'job.sh');
    writeFileSync(file, stdout);
    execFileSync('bash', ['-n', file]);
  });

  it('says what is missing or misplaced, once', async () => {
    const noServer = await sweepCli(['worker', '--print-slurm'], { env: { TEMPORAL_ADDRESS: '' } });
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toMatch(/^sweep: --print-slurm needs TEMPORAL_ADDRESS: a batch job must reach a Temporal server/);
    const misplaced = await sweepCli(['worker', '--partition', 'gpu']);
    expect(misplaced).toEqual({ code: 2, stdout: '', stderr: 'sweep: --partition is an option of the batch script: add --print-slurm\n' });
  });
});
