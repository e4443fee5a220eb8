// `npm run chaos [-- --kills N] [--definition FILE] [--reference DIR]`: runs a definition
// (default: the quick study) while worker processes and the Temporal server are SIGKILLed
// and restarted at random, then checks that its scan.csv and models.csv equal those of a
// clean run (same seed and backend; the columns seconds and attempts aside), and prints the
// kills survived, duplicate commits, torn artifacts, completed epochs trained twice and
// trainings resumed (each loses at most the epoch in progress).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { REPO_ROOT } from '../activities/engine/code-version.js';
import { loadDag } from '../client/definition.js';
import { writeOutputs } from '../client/export.js';
import { auditStore } from '../client/housekeeping.js';
import { startTestServer, type TestServer } from '../client/server.js';
import { projectName } from '../client/project.js';
import { followSweep, startSweep } from '../client/sweeps.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '6' },
    definition: { type: 'string', default: 'definitions/quick.yaml' },
    reference: { type: 'string' },
  },
});
const KILLS = Number(values.kills);
const DEFINITION = resolve(values.definition!);
const BIN = join(REPO_ROOT, 'client', 'bin.js');
/** Columns that legitimately differ between a clean and a chaotic run. */
const VOLATILE = new Set(['seconds', 'attempts']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

function run(args: string[], env: Record<string, string>, log: string): Promise<number> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(log);
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  return new Promise((done) => child.once('exit', (code) => done(code ?? 1)));
}

/** A clean run of the definition with its own server, for the tables to compare with. */
async function cleanRun(root: string): Promise<string> {
  const server = await startTestServer();
  try {
    const out = join(root, 'clean-out');
    console.error(`chaos: clean reference run -> ${out}`);
    const code = await run(
      ['run', DEFINITION, '--out', out],
      { TEMPORAL_ADDRESS: server.address, SWEEP_HOME: join(root, 'clean-home') },
      join(root, 'clean.log'),
    );
    if (code !== 0) throw new Error(`the clean run failed (exit ${code}); see ${join(root, 'clean.log')}`);
    return out;
  } finally {
    await server.stop();
  }
}

class Workers {
  readonly children: (ChildProcess | undefined)[] = [undefined, undefined];
  constructor(
    private readonly env: Record<string, string>,
    private readonly root: string,
  ) {}

  start(i: number): void {
    const child = spawn(process.execPath, [BIN, 'worker', '--queues', 'cpu,gpu', '--cpu-slots', '2', '--gpu-slots', '2'], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.pipe(createWriteStream(join(this.root, `worker-${i}.log`), { flags: 'a' }));
    this.children[i] = child;
  }

  kill(i: number): void {
    this.children[i]?.kill('SIGKILL');
  }

  stopAll(): void {
    for (const child of this.children) child?.kill('SIGTERM');
  }
}

function table(path: string): string[] {
  const [header, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
  const columns = header!.split(',');
  const keep = columns.map((c) => !VOLATILE.has(c));
  return [header!, ...rows].map((row) =>
    row
      .split(',')
      .filter((_, i) => keep[i])
      .join(','),
  );
}

/** Completed epochs logged more than once per model (a lost checkpoint), and resumed trainings. */
function epochAccounting(logs: string[]): { repeated: number; resumes: number } {
  const seen = new Set<string>();
  let repeated = 0;
  let resumes = 0;
  for (const text of logs) {
    for (const match of text.matchAll(/(\S+): epoch (\d+)\/\d+ val loss/g)) {
      const key = `${match[1]}#${match[2]}`;
      if (seen.has(key)) repeated += 1;
      seen.add(key);
    }
    resumes += [...text.matchAll(/resuming after epoch \d+/g)].length;
  }
  return { repeated, resumes };
}

async function main(): Promise<number> {
  const root = await mkdtemp(join(tmpdir(), 'sweep-chaos-'));
  const reference = values.reference ? resolve(values.reference) : await cleanRun(root);
  const home = join(root, 'home');
  let server: TestServer = await startTestServer({ dbFile: join(root, 'temporal.db') });
  const env = { TEMPORAL_ADDRESS: server.address, SWEEP_HOME: home, SWEEP_DATA_ROOT: dirname(DEFINITION), SWEEP_SERVER_WAIT: '900' };
  const workers = new Workers(env, root);
  workers.start(0);
  workers.start(1);
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  const { dag } = await loadDag(DEFINITION);
  const { handle, runId } = await startSweep(client, dag, { home, project: projectName(home) });
  console.error(`chaos: ${dag.nodes.length} nodes, ${KILLS} kills planned; logs in ${root}`);
  let finished = false;
  const following = followSweep(handle, () => {}, {
    notice: (line) => console.error(`chaos: ${line}`),
    target: server.address,
    waitMs: 900_000,
  }).finally(() => {
    finished = true;
  });

  let kills = 0;
  while (!finished && kills < KILLS) {
    await Promise.race([following.catch(() => undefined), sleep(between(15_000, 45_000))]);
    if (finished) break;
    const victim = Math.floor(Math.random() * 3);
    kills += 1;
    if (victim < 2) {
      console.error(`chaos: kill ${kills}: SIGKILL worker ${victim}`);
      workers.kill(victim);
      await sleep(between(1_000, 5_000));
      workers.start(victim);
    } else {
      console.error(`chaos: kill ${kills}: SIGKILL the Temporal server`);
      await server.stop();
      await sleep(between(5_000, 20_000));
      server = await startTestServer({ dbFile: join(root, 'temporal.db'), port: server.port });
    }
  }
  const result = await following;
  const out = join(root, 'chaos-out');
  await writeOutputs(out, { dag, result, workflowId: handle.workflowId, runId });
  workers.stopAll();
  await client.connection.close();
  await server.stop();

  const audit = await auditStore(home);
  const logs = [0, 1]
    .map((i) => join(root, `worker-${i}.log`))
    .filter(existsSync)
    .map((p) => readFileSync(p, 'utf8'));
  const epochs = epochAccounting(logs);
  const same = (file: string) => JSON.stringify(table(join(out, file))) === JSON.stringify(table(join(reference, file)));
  const verdict = { scan: same('scan.csv'), models: same('models.csv') };
  console.log(
    [
      `kills survived:                 ${kills}`,
      `failed nodes:                   ${result.failures.length}`,
      `artifacts committed:            ${audit.committed}`,
      `duplicate commits:              ${audit.duplicates.length}`,
      `torn artifacts:                 ${audit.torn.length}`,
      `completed epochs trained twice: ${epochs.repeated}`,
      `trainings resumed:              ${epochs.resumes} (each loses at most the epoch in progress)`,
      `scan.csv equals the clean run:  ${verdict.scan}`,
      `models.csv equals the clean run: ${verdict.models}`,
    ].join('\n'),
  );
  const ok =
    result.failures.length === 0 &&
    audit.duplicates.length === 0 &&
    audit.torn.length === 0 &&
    epochs.repeated === 0 &&
    verdict.scan &&
    verdict.models;
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
