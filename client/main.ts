// The `sweep` command. Heavy modules (Temporal, workers) load only for the commands that
// need them, so `validate`, `plan` and `--help` answer at once and without a server.
import type { ParseArgsConfig } from 'node:util';
import { NODE_KINDS, type Dag } from '../core/dag.js';
import { NotFoundError, UsageError, UserError } from '../core/errors.js';
import type { SweepResult } from '../core/node-io.js';
import { didYouMean } from '../core/suggest.js';
import { describeTrainingProgress } from '../core/training-progress.js';
import { parseOverride } from '../definitions/load.js';
import { allowedDataRoots, loadDag, parseKind } from './definition.js';
import { exitWith } from './exit.js';
import { parseCommandLine, WORKER_FLAGS, workerFlags } from './flags.js';
import type { Session, SessionOptions } from './session.js';
import type { SweepHandle } from './sweeps.js';

const HELP = `sweep - declarative autoencoder sweeps on Temporal

Usage:
  sweep validate FILE                     check a definition (and that its input files exist);
                                          every problem with file:line:col
  sweep plan FILE [--json|--dot|--mermaid] [--until KIND]
                                          print the nodes and the DAG (no server needed)
  sweep run FILE --out DIR [--until KIND] run the sweep with in-process workers, progress bars,
                                          and write DIR/summary.json plus the result tables
  sweep submit FILE [--until KIND]        start the sweep (or attach to it) and print its ids
  sweep status ID [--json]                progress of a sweep (ID: sweep/<name> or <name>)
  sweep report ID                         where the report is, and the best model per example signal
  sweep resume ID [--out DIR] [--detach]  re-run failed nodes: live sweep -> update; closed ->
                                          new run in which finished nodes are cache hits
  sweep cancel ID                         cancel a sweep (running nodes are cancelled)
  sweep verify [--repair]                 hash every artifact against its manifest; --repair sets
                                          damaged ones aside, so the next run computes them again
  sweep gc [--apply]                      list (or, with --apply, remove) what no sweep needs: dead
                                          writers' staging, finished or abandoned work directories,
                                          artifacts and Dags no sweep on the server references
  sweep inspect FILE [--tree NAME] [--definition YAML]
                                          columns, types and rows of a ROOT or Parquet file; with
                                          a definition, the columns it reads that the file lacks
  sweep server                            run the Temporal dev server (UI on http://localhost:8233)
  sweep worker [--queues cpu,gpu] ...     run workers only (see \`sweep worker --help\`)

Worker flags of run and resume: --cpu-slots N, --gpu-slots N, --backend NAME (see sweep worker --help).
--until KIND keeps the nodes up to that kind: ${NODE_KINDS.join(', ')}.
--set PATH=VALUE (validate, plan, run, submit; repeatable) changes one value of the definition
for this command, VALUE in YAML: --set training.preset=fast --set name=thesis-fast.

Without TEMPORAL_ADDRESS, the embedded dev server on localhost:7233 is used (started if it is
not running, data in .sweep/temporal.db). With it: TEMPORAL_NAMESPACE, TEMPORAL_TLS_CERT,
TEMPORAL_TLS_KEY, TEMPORAL_TLS_CA, TEMPORAL_TLS=1, TEMPORAL_API_KEY. SWEEP_HOME moves the
artifact store and engine state (default ./.sweep).`;

/** A command's flags and its one argument (FILE or ID). */
function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, usage: string) {
  const parsed = parseCommandLine(args, options, usage);
  const [target, extra] = parsed.positionals;
  if (target === undefined) throw new UsageError(`${usage.split(' ')[1]} missing (usage: sweep ${usage})`);
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}" (usage: sweep ${usage})`);
  return { values: parsed.values, target };
}

/** `--set PATH=VALUE`, repeatable: changes the definition for this command without editing the file. */
const SET_FLAG = { set: { type: 'string', multiple: true } } as const;
const overridesOf = (values: { set?: string[] }) => (values.set ?? []).map(parseOverride);

async function validate(args: string[]): Promise<number> {
  const { values, target } = parse(args, SET_FLAG, 'validate FILE [--set PATH=VALUE]');
  const { dag } = await loadDag(target, undefined, overridesOf(values));
  const counts = NODE_KINDS.map((kind) => `${dag.nodes.filter((n) => n.kind === kind).length} ${kind}`).filter((c) => !c.startsWith('0 '));
  console.log(`${target}: valid, ${dag.nodes.length} nodes (${counts.join(', ')})`);
  return 0;
}

async function plan(args: string[]): Promise<number> {
  const { values, target } = parse(
    args,
    { json: { type: 'boolean' }, dot: { type: 'boolean' }, mermaid: { type: 'boolean' }, until: { type: 'string' }, ...SET_FLAG },
    'plan FILE [--json|--dot|--mermaid] [--until KIND] [--set PATH=VALUE]',
  );
  const { dag } = await loadDag(target, parseKind(values.until), overridesOf(values));
  const render = await import('./plan.js');
  if (values.json) console.log(render.renderJson(dag));
  else if (values.dot) console.log(render.renderDot(dag));
  else if (values.mermaid) console.log(render.renderMermaid(dag));
  else console.log(`${render.renderTable(dag)}\n\n${render.renderMermaid(dag)}`);
  return 0;
}

/** Opens a session (server connection, optional in-process workers), uses it, always closes it. */
async function withSession<T>(options: SessionOptions, use: (session: Session) => Promise<T>): Promise<T> {
  const { openSession } = await import('./session.js');
  const session = await openSession(options);
  try {
    return await use(session);
  } finally {
    await session.close();
  }
}

async function run(args: string[]): Promise<number> {
  const { values, target } = parse(
    args,
    { out: { type: 'string' }, until: { type: 'string' }, ...SET_FLAG, ...WORKER_FLAGS },
    'run FILE --out DIR [--until KIND] [--set PATH=VALUE]',
  );
  if (!values.out) throw new UsageError('sweep run needs --out DIR: where summary.json, the result tables and the report go');
  const { spec, dag } = await loadDag(target, parseKind(values.until), overridesOf(values));
  const flags = workerFlags(values);
  // In-process workers can run as many trainings at once as the definition allows.
  flags.gpuSlots ??= dag.limits.maxParallel.train ?? dag.limits.maxParallel.gpu;
  return withSession({ workers: { ...flags, dataRoot: spec.dataRoot, allowedRoots: allowedDataRoots(target) } }, async (session) => {
    const { startSweep } = await import('./sweeps.js');
    const { handle, runId, attached } = await startSweep(session.client, dag);
    console.error(
      attached
        ? `attached to ${handle.workflowId}, already running (run ${runId}); it keeps the definition it was started with`
        : `started ${handle.workflowId} (run ${runId}): ${dag.nodes.length} nodes`,
    );
    return watch(session, handle, runId, values.out, attached ? undefined : dag);
  });
}

async function submit(args: string[]): Promise<number> {
  const { values, target } = parse(args, { until: { type: 'string' }, ...SET_FLAG }, 'submit FILE [--until KIND] [--set PATH=VALUE]');
  const { dag } = await loadDag(target, parseKind(values.until), overridesOf(values));
  return withSession({}, async (session) => {
    const { startSweep } = await import('./sweeps.js');
    const { handle, runId, attached } = await startSweep(session.client, dag);
    console.log(`workflow id: ${handle.workflowId}`);
    console.log(`run id:      ${runId}`);
    if (attached) console.log('(a sweep of this name is already running: attached to it instead of starting another)');
    if (session.uiUrl)
      console.log(
        `ui:          ${session.uiUrl}/namespaces/${session.settings.namespace}/workflows/${encodeURIComponent(handle.workflowId)}`,
      );
    console.log('workers execute it: `sweep worker` on this or other hosts');
    return 0;
  });
}

async function status(args: string[]): Promise<number> {
  const { values, target } = parse(args, { json: { type: 'boolean' } }, 'status ID [--json]');
  const { describeSweep } = await import('./sweeps.js');
  return withSession({}, async (session) => {
    const report = await describeSweep(session.client, target);
    if (values.json) {
      console.log(JSON.stringify(report, null, 2));
      return 0;
    }
    const { summaryTable } = await import('./progress.js');
    console.log(`${report.workflowId}  ${report.status}  run ${report.runId}  started ${report.startTime}`);
    const running = report.progress?.filter((p) => p.status === 'running') ?? [];
    const pad = Math.max(0, ...running.map((node) => node.id.length));
    for (const [i, node] of running.entries()) {
      const training = report.trainings?.[node.id];
      // A training reports as soon as its runner starts, so no report means it waits for a slot.
      const detail = training
        ? describeTrainingProgress(training, Date.now())
        : node.kind === 'train'
          ? 'no epoch report yet: waiting for a worker on the gpu queue, or loading its data'
          : '';
      console.log(`${i === 0 ? 'running: ' : '         '}${detail ? `${node.id.padEnd(pad)}  ${detail}` : node.id}`);
    }
    if (report.result) console.log(`\n${summaryTable(report.result)}`);
    else if (report.progress) console.log(`\n${summaryTable({ sweep: '', nodes: report.progress, failures: [] })}`);
    else if (report.status === 'RUNNING') console.log('no worker answered: start one with `sweep worker` (or `sweep run FILE`)');
    const unfinished = report.status !== 'RUNNING' && (report.status !== 'COMPLETED' || report.result!.failures.length > 0);
    if (unfinished) console.log(`\nre-run what failed with \`sweep resume ${report.workflowId}\``);
    return 0;
  });
}

async function report(args: string[]): Promise<number> {
  const { target } = parse(args, {}, 'report ID');
  const { describeSweep } = await import('./sweeps.js');
  const { reportAnswer } = await import('./export.js');
  return withSession({}, async (session) => {
    const described = await describeSweep(session.client, target);
    const answer = described.result && reportAnswer(described.result);
    if (!answer)
      throw new NotFoundError(
        `${described.workflowId} has no finished report yet (${described.status}); \`sweep status ${described.workflowId}\` shows how far it is`,
      );
    console.log(answer);
    return 0;
  });
}

async function resume(args: string[]): Promise<number> {
  const { values, target } = parse(
    args,
    { out: { type: 'string' }, detach: { type: 'boolean' }, ...WORKER_FLAGS },
    'resume ID [--out DIR] [--detach]',
  );
  return withSession({ workers: values.detach ? undefined : workerFlags(values) }, async (session) => {
    const { resumeSweep } = await import('./sweeps.js');
    const outcome = await resumeSweep(session.client, target);
    let runId: string;
    if (outcome.mode === 'update') {
      const description = await outcome.handle.describe();
      runId = description.runId;
      console.error(
        outcome.reset.length > 0
          ? `re-running ${outcome.reset.length} nodes: ${outcome.reset.join(', ')}`
          : 'nothing failed in the running sweep',
      );
    } else {
      runId = outcome.runId;
      console.error(
        `started run ${runId} of ${outcome.handle.workflowId} with the previous run's DAG (${outcome.nodes} nodes; finished ones are cache hits)`,
      );
    }
    if (values.detach) return 0;
    return watch(session, outcome.handle, runId, values.out);
  });
}

async function cancel(args: string[]): Promise<number> {
  const { target } = parse(args, {}, 'cancel ID');
  const { defaultScope, normaliseSweepId } = await import('./sweeps.js');
  return withSession({}, async (session) => {
    const id = normaliseSweepId(target, defaultScope());
    await session.client.workflow.getHandle(id).cancel();
    console.log(`cancellation requested for ${id}`);
    return 0;
  });
}

async function inspect(args: string[]): Promise<number> {
  const { values, target } = parse(
    args,
    { tree: { type: 'string' }, definition: { type: 'string' } },
    'inspect FILE [--tree NAME] [--definition YAML]',
  );
  const { inspectFile } = await import('./inspect.js');
  const { text, problems } = await inspectFile(target, values);
  console.log(text);
  return problems > 0 ? 1 : 0;
}

async function server(args: string[]): Promise<number> {
  const [extra] = parseCommandLine(args, {}, 'server').positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}" (usage: sweep server)`);
  const { serveForeground, DEV_SERVER_PORT, DEV_UI_PORT } = await import('./server.js');
  const { sweepHome } = await import('../activities/engine/store.js');
  console.error(`Temporal dev server on localhost:${DEV_SERVER_PORT}, UI http://localhost:${DEV_UI_PORT}`);
  const { alreadyRunning, exitCode } = await serveForeground(sweepHome());
  if (alreadyRunning) console.error('already running (started by `sweep run` or another `sweep server`); nothing to do');
  return exitCode;
}

/** Follows a sweep to its end with progress bars; prints the summary, writes `out`. */
async function watch(session: Session, handle: SweepHandle, runId: string, out?: string, dag?: Dag): Promise<number> {
  const { ProgressView, summaryTable } = await import('./progress.js');
  const { followSweep, dagOfRun } = await import('./sweeps.js');
  const { describeTarget } = await import('./connection.js');
  if (session.uiUrl) console.error(`watch it in the Temporal UI: ${session.uiUrl}`);
  const view = new ProgressView();
  const stopped = session.workers?.done.then(() => 'stopped' as const);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => console.error(`\n${signal}: stopping the workers (running nodes get a grace period to checkpoint) ...`));
  }
  // The Dag names the trainings whose progress the view shows, and the tables of `out`.
  const fullDag = dag ?? (await dagOfRun(session.client, handle.workflowId, runId));
  let result: SweepResult | 'stopped';
  try {
    const outage = { notice: (line: string) => console.error(line), target: describeTarget(session.settings) };
    result = await Promise.race([
      followSweep(handle, (p, trainings) => view.update(p, trainings), outage, { dag: fullDag }),
      ...(stopped ? [stopped] : []),
    ]);
  } catch (err) {
    const { CancelledFailure, WorkflowFailedError } = await import('@temporalio/client');
    if (err instanceof WorkflowFailedError) {
      const resume = `\`sweep resume ${handle.workflowId}\` starts it again (finished nodes are cache hits)`;
      if (err.cause instanceof CancelledFailure) throw new UserError(`${handle.workflowId} was cancelled; ${resume}`);
      throw new UserError(`${handle.workflowId} ended without a result: ${err.cause?.message ?? err.message}; ${resume}`);
    }
    throw err;
  }
  if (result === 'stopped') {
    console.error(
      `workers stopped; the sweep continues on the server. Attach again with \`sweep resume ${handle.workflowId}\` or \`sweep run\`.`,
    );
    return 130;
  }
  view.update(result.nodes);
  console.log(`\n${summaryTable(result)}`);
  if (out) {
    const { writeOutputs } = await import('./export.js');
    const written = await writeOutputs(out, { dag: fullDag, result, workflowId: handle.workflowId, runId });
    console.log(`\nwrote ${written.join(', ')}`);
  }
  const { reportAnswer } = await import('./export.js');
  const answer = reportAnswer(result, out);
  if (answer) console.log(`\n${answer}`);
  if (result.failures.length > 0) {
    console.error(
      `\n${result.failures.length} node(s) failed. Fix the cause, then \`sweep resume ${handle.workflowId}\` ` +
        '(re-runs them; finished nodes are cache hits), or `sweep run FILE` again if the fix is in the definition.',
    );
    return 1;
  }
  return 0;
}

async function verify(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, { repair: { type: 'boolean' } }, 'verify [--repair]');
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (usage: sweep verify [--repair])`);
  const { verifyStore } = await import('./housekeeping.js');
  const { sweepHome } = await import('../activities/engine/store.js');
  const outcome = await verifyStore(sweepHome(), Boolean(values.repair));
  for (const line of outcome.problems) console.log(line);
  for (const line of outcome.repaired) console.log(line);
  const damaged = outcome.problems.length > 0;
  console.log(`${outcome.artifacts} artifacts checked: ${damaged ? `${outcome.problems.length} problems` : 'all intact'}`);
  if (damaged && !values.repair)
    console.log('run `sweep verify --repair` to set the damaged artifacts aside; the next run computes them again');
  return damaged && !values.repair ? 1 : 0;
}

async function gc(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, { apply: { type: 'boolean' } }, 'gc [--apply]');
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (usage: sweep gc [--apply])`);
  const { collectGarbage } = await import('./housekeeping.js');
  const { sweepHome } = await import('../activities/engine/store.js');
  const apply = Boolean(values.apply);
  const { openSession } = await import('./session.js');
  const { isServerUnreachable } = await import('./outage.js');
  const session = await openSession({}).catch((err: unknown) => {
    if (isServerUnreachable(err)) return undefined;
    throw err;
  });
  try {
    const report = await collectGarbage(sweepHome(), session?.client, apply);
    const groups: [string, string[]][] = [
      ['staging directories of dead writers', report.staging],
      ['work directories of finished or abandoned nodes', report.work],
      ['artifacts no sweep references', report.artifacts],
      ['Dags no sweep references', report.dags],
    ];
    for (const [what, paths] of groups) {
      console.log(`${apply ? 'removed' : 'would remove'} ${paths.length} ${what}`);
      for (const path of paths) console.log(`  ${path}`);
    }
    if (report.note) console.log(`note: ${report.note}`);
    if (!apply) console.log('nothing was removed; `sweep gc --apply` removes the above');
    return 0;
  } finally {
    await session?.close();
  }
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  validate,
  plan,
  run,
  submit,
  status,
  report,
  resume,
  cancel,
  verify,
  gc,
  inspect,
  server,
  worker: async (args) => {
    const { workerMain } = await import('./worker-command.js');
    return workerMain(args);
  },
};

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  // Without a command there is nothing to do: the help, as for any other wrong command line.
  if (!command) {
    console.error(HELP);
    return 2;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP);
    return 0;
  }
  const handler = COMMANDS[command];
  if (!handler) {
    throw new UsageError(`unknown command "${command}"${didYouMean(command, Object.keys(COMMANDS))} (\`sweep --help\` lists the commands)`);
  }
  if (args.includes('--help') || args.includes('-h')) {
    if (command === 'worker') return handler(args);
    console.log(HELP);
    return 0;
  }
  return handler(args);
}

exitWith(main(process.argv.slice(2)), 'sweep');
