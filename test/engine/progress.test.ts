// What a user watching a sweep sees: a training's epoch reports reach its workflow (current
// details in the Temporal UI, the trainingProgress query, `sweep status`) as a signal per
// report at most, never per heartbeat; and the progress view without a terminal writes a
// line per finished node kind or per interval, not per change.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeProgress } from '../../core/node-io.js';
import type { TrainingProgress } from '../../core/training-progress.js';
import { ProgressView } from '../../client/progress.js';
import { trainingProgressQuery, trainingWorkflowId } from '../../workflows/api.js';
import { sweepCli } from '../helpers/cli.js';
import { startTestEngine, tempHome, testDag, type TestEngine, uniqueName, waitFor } from '../helpers/engine.js';
import { testRunners } from '../helpers/runners.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

let engine: TestEngine;
let home: string;

beforeAll(async () => {
  home = await tempHome();
  engine = await startTestEngine(home, { runners: testRunners });
});

afterAll(async () => {
  await engine?.close();
  await removeTempDirs();
});

function report(epoch: number, bestLoss: number | null): TrainingProgress {
  return {
    epoch,
    maxEpochs: 5,
    bestLoss,
    bestEpoch: bestLoss === null ? null : epoch,
    lr: 1e-3,
    eventsPerSecond: epoch > 0 ? 41_234 : null,
    etaSeconds: epoch > 0 ? 130 : null,
    backend: 'wasm',
    at: new Date().toISOString(),
  };
}

describe('training progress', () => {
  it('reaches the training workflow, its current details and `sweep status`, a signal per report at most', async () => {
    const name = uniqueName('progress');
    const release = join(await tempDir('progress'), 'release');
    const reports = [report(0, null), report(1, 0.5), report(2, 0.03121)];
    const dag = testDag(name, [{ id: 'train/all/AE-l2', kind: 'train', params: { reports, waitForFile: release } }]);
    const { handle } = await engine.start(dag);
    const training = engine.client.workflow.getHandle(
      trainingWorkflowId(handle.workflowId, { background: 'all', architecture: 'AE', latentDim: 2, axes: {} }),
    );

    const latest = await waitFor('the second epoch report', async () => {
      const answer = await training.query(trainingProgressQuery).catch(() => null);
      return answer?.epoch === 2 ? answer : undefined;
    });
    expect(latest).toEqual(reports[2]);
    const metadata = await training.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(
      /^training: epoch 2\/5, best val loss 0\.03121 \(epoch 2\), lr 1\.0e-3, 41\.2k events\/s, ETA ≤ 2 min 10 s \(as of \d\d:\d\d:\d\d UTC\)$/,
    );

    // The command looks in the engine's store and project, as a user's shell would with these set.
    const scope = { env: { SWEEP_HOME: engine.scope.home, SWEEP_PROJECT: engine.scope.project } };
    const status = await sweepCli(['status', name], scope);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^running: train\/all\/AE-l2 {2}epoch 2\/5, best val loss 0\.03121 \(epoch 2\), .*ETA ≤ \d/m);
    const json = JSON.parse((await sweepCli(['status', name, '--json'], scope)).stdout) as { trainings: Record<string, TrainingProgress> };
    expect(json.trainings['train/all/AE-l2']).toEqual(reports[2]);

    await writeFile(release, '');
    expect((await handle.result()).failures).toEqual([]);
    // The runner heartbeated every 50 ms while it waited; only its reports became signals (the
    // three came at once, so the last may have replaced the second while the first was sent).
    const events = (await training.fetchHistory()).events ?? [];
    const signals = events.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
    expect(signals).toBeGreaterThanOrEqual(2);
    expect(signals).toBeLessThanOrEqual(reports.length);
    const done = await training.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(done.currentDetails).toMatch(/^best epoch \? of \?/);
  });
});

/** A non-TTY stream (a pipe, a CI log) whose lines the test reads. */
function capture(): { out: PassThrough; lines: () => string[] } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { out, lines: () => text.split('\n').filter(Boolean) };
}

function nodes(states: Record<string, NodeProgress['status'][]>): NodeProgress[] {
  return Object.entries(states).flatMap(([kind, statuses]) =>
    statuses.map((status, i) => ({ id: `${kind}/${i}`, kind: kind as NodeProgress['kind'], status, cacheHit: false })),
  );
}

describe('progress without a terminal', () => {
  it('writes a line per finished node kind or per interval, at most, and only when something changed', () => {
    const { out, lines } = capture();
    let now = 0;
    const view = new ProgressView({ out, intervalMs: 30_000, now: () => now });
    view.update(nodes({ generate: ['running', 'pending', 'pending'], train: ['pending'] }));
    expect(lines()).toEqual(['progress: generate 0/3, train 0/1']);
    // Two nodes finish within the interval: no line yet.
    now = 5_000;
    view.update(nodes({ generate: ['done', 'running', 'pending'], train: ['pending'] }));
    now = 10_000;
    view.update(nodes({ generate: ['done', 'done', 'running'], train: ['pending'] }));
    expect(lines()).toHaveLength(1);
    // The last generate node finishes: the kind is done, a line at once.
    now = 12_000;
    view.update(nodes({ generate: ['done', 'done', 'done'], train: ['running'] }));
    expect(lines()).toEqual(['progress: generate 0/3, train 0/1', 'progress: generate 3/3, train 0/1']);
    // A training reports epochs: a line per interval, with its report, none while unchanged.
    const running = nodes({ generate: ['done', 'done', 'done'], train: ['running'] });
    for (const [t, epoch] of [
      [20_000, 1],
      [43_000, 2],
      [50_000, 3],
      [80_000, 3],
      [200_000, 3],
    ] as const) {
      now = t;
      view.update(running, new Map([['train/0', report(epoch, 0.5)]]));
    }
    expect(lines().slice(2)).toEqual([
      expect.stringMatching(
        /^progress: generate 3\/3, train 0\/1 \| 0: epoch 2\/5, best val loss 0\.5000 \(epoch 2\), .*ETA ≤ 2 min 10 s$/,
      ),
      expect.stringMatching(/^progress: generate 3\/3, train 0\/1 \| 0: epoch 3\/5, /),
    ]);
    now = 201_000;
    view.update(nodes({ generate: ['done', 'done', 'done'], train: ['done'] }));
    expect(lines().at(-1)).toBe('progress: generate 3/3, train 1/1');
    expect(lines()).toHaveLength(5);
  });

  it('on a terminal draws a bar per kind and a line per running training', () => {
    const { out, lines } = capture();
    Object.assign(out, { isTTY: true, columns: 200 });
    const view = new ProgressView({ out, now: () => Date.parse(report(2, 0.03121).at) });
    view.update(nodes({ train: ['running', 'running', 'done'] }), new Map([['train/0', report(2, 0.03121)]]));
    expect(lines()).toEqual([
      expect.stringMatching(/^train {5}█+░+ 1\/3 {2}2 running$/),
      '  0  epoch 2/5, best val loss 0.03121 (epoch 2), lr 1.0e-3, 41.2k events/s, ETA ≤ 2 min 10 s',
      '  1  starting',
    ]);
  });
});
