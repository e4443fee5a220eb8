// runTrain as the engine calls it: in the node's child process (the engine's child-process
// runner), with real Parquet inputs, checkpoints in the work directory, heartbeats,
// cancellation, and a kill in the middle of a training; on the default backend (auto: the
// fused kernel, native where it is built, else its WebAssembly build), where a resumed
// training ends with exactly the bits of an uninterrupted one.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { InputArtifact } from '../../activities/engine/context.js';
import { useBackend } from '../../activities/train/backend.js';
import { CHECKPOINT_FILE, loadModel } from '../../activities/train/format.js';
import type { TrainingProgress } from '../../core/training-progress.js';
import { runTrain } from '../../activities/train/index.js';
import { productRunners } from '../../activities/registry.js';
import { trainContext, writeInputs, type RecordingContext } from './fixtures.js';

// Enough events that an epoch outlasts the round trip of a cancellation or a kill, even on
// the native fused kernel (18,000 training events: about 0.2 s per epoch of 3 folds).
let inputs: InputArtifact[];
/** A small set for the tfjs cpu backend, which is ~100x slower. */
let small: InputArtifact[];
/** What auto resolves to on this host, as models.csv names it. */
let defaultBackend: string;
beforeAll(async () => {
  inputs = await writeInputs(12_000, 3);
  small = await writeInputs(1200, 3);
  defaultBackend = (await useBackend('auto')).name;
});

/** The saved model's weights, encoder then decoder. */
async function savedWeights(outDir: string): Promise<Float32Array> {
  const parts = await Promise.all(['encoder', 'decoder'].map((p) => readFile(join(outDir, 'model', p, 'weights.bin'))));
  const bytes = Buffer.concat(parts);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** Node child processes of this test process (the test kills one like a crash would). */
function nodeChildren(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes('activities/child.ts'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

/** The train runner as the worker runs it: in a child process of its own. */
const inChild = productRunners().train;

const RESUMABLE = { epochs: 4, folds: 3, batchSize: 64, earlyStopping: { enabled: false, patience: 1 } };

let uninterrupted: Promise<{ ctx: RecordingContext; summary: Record<string, unknown> }> | undefined;
function uninterruptedRun() {
  uninterrupted ??= trainContext(inputs, { training: RESUMABLE }).then(async (ctx) => ({ ctx, summary: await inChild(ctx) }));
  return uninterrupted;
}

describe('runTrain', () => {
  it('trains AE, VAE and DVAE in a child process and writes model, history and summary', async () => {
    const { ctx, summary } = await uninterruptedRun();
    const runs = [{ ctx, summary }];
    for (const architecture of ['VAE', 'DVAE'] as const) {
      const c = await trainContext(inputs, { architecture, latentDim: 2, training: { epochs: 2 } });
      runs.push({ ctx: c, summary: await inChild(c) });
    }
    for (const { ctx: c, summary: s } of runs) {
      const { architecture, latentDim } = c.node.params;
      expect(s).toMatchObject({
        model: c.node.params.model,
        architecture,
        latentDim,
        background: 'all',
        backend: defaultBackend,
        attempts: 1,
        events: 18_000,
      });
      for (const key of ['bestEpoch', 'valLoss', 'valMse', 'valKl', 'epochs', 'seconds']) expect(Number.isFinite(s[key])).toBe(true);
      expect(JSON.parse(await readFile(join(c.outDir, 'summary.json'), 'utf8'))).toEqual(s);
      const history = JSON.parse(await readFile(join(c.outDir, 'history.json'), 'utf8')) as Record<string, number>[];
      expect(history).toHaveLength(s.epochs as number);
      expect(Object.keys(history[0]!).sort()).toEqual(
        ['backend', 'epoch', 'lr', 'seconds', 'trainKl', 'trainLoss', 'trainMse', 'valKl', 'valLoss', 'valMse'].sort(),
      );
      if (architecture !== 'AE') expect(history.every((row) => row.valKl! > 0 && row.trainKl! > 0)).toBe(true);
      expect(c.heartbeats.at(-1)).toEqual({ epoch: s.epochs, bestLoss: s.valLoss, checkpoint: join(c.workDir, CHECKPOINT_FILE) });
      const model = await loadModel(c.outDir);
      expect(defaultBackend).toMatch(/^fused-(native \(\w+\)|wasm \(simd128\))$/);
      expect(model.descriptor).toMatchObject({ architecture, latentDim, trainedWith: { backend: defaultBackend, bestEpoch: s.bestEpoch } });
      expect(history.every((row) => row.backend === (defaultBackend as unknown))).toBe(true);
      expect(model.descriptor.scaler.artifact).toBe('fitScaler/all');
      model.dispose();
    }
  });

  it('reports its progress once at the start and once per epoch, across the process boundary', async () => {
    const { ctx, summary } = await uninterruptedRun();
    const reports = ctx.reports as TrainingProgress[];
    expect(reports.map((r) => r.epoch)).toEqual([0, 1, 2, 3, 4]);
    expect(reports[0]).toMatchObject({ maxEpochs: 4, bestLoss: null, eventsPerSecond: null, etaSeconds: null, backend: defaultBackend });
    const history = JSON.parse(await readFile(join(ctx.outDir, 'history.json'), 'utf8')) as { valLoss: number; seconds: number }[];
    for (const report of reports.slice(1)) {
      const seen = history.slice(0, report.epoch);
      const best = Math.min(...seen.map((row) => row.valLoss));
      expect(report).toMatchObject({ maxEpochs: 4, bestLoss: best, bestEpoch: seen.findIndex((row) => row.valLoss === best) + 1 });
      // 3 folds: every event goes through an optimiser step in two folds per epoch.
      expect(report.eventsPerSecond).toBeCloseTo((2 * (summary.events as number)) / history[report.epoch - 1]!.seconds, 6);
      expect(report.lr).toBeGreaterThan(0);
      expect(Date.parse(report.at)).not.toBeNaN();
    }
    const meanSeconds = (history[0]!.seconds + history[1]!.seconds) / 2;
    expect(reports[2]!.etaSeconds).toBeCloseTo(2 * meanSeconds, 6);
    expect(reports.at(-1)).toMatchObject({ epoch: summary.epochs, bestLoss: summary.valLoss, etaSeconds: 0 });
  });

  it('rejects bad hyperparameters before any epoch, with every problem in one message', async () => {
    const ctx = await trainContext(inputs, { architecture: 'DVAE', latentDim: 1, training: { learningRate: 0, folds: 1 } });
    await expect(runTrain(ctx)).rejects.toMatchObject({
      name: 'UserError',
      message: expect.stringMatching(/DVAE needs latentDim >= 2.*training\.learningRate must be > 0.*training\.folds must be >= 2/),
    });
    expect(ctx.heartbeats).toEqual([]);
    expect(await readdir(ctx.workDir)).toEqual([]);
  });

  it('fails non-retryably, naming model, epoch and remedy, when the loss is not finite', async () => {
    const ctx = await trainContext(small, { training: { learningRate: 1e30, clipNorm: 0 } });
    // Through the child process: the error keeps its user-error code across the boundary.
    await expect(inChild(ctx)).rejects.toMatchObject({
      code: 'input',
      message: expect.stringMatching(/^model AE-l3: the training loss is (NaN|Infinity) in epoch 1 .*lower training\.learningRate/),
    });
  });

  it("trains on the worker's --backend, which wins over training.backend", async () => {
    const ctx = await trainContext(small, { training: { epochs: 1, backend: 'fused' } });
    ctx.backend = 'cpu';
    expect(await inChild(ctx)).toMatchObject({ backend: 'cpu', epochs: 1 });
  });

  it('continues after its child is killed in epoch k > 1 and ends with the bits of an uninterrupted run', async () => {
    const reference = await uninterruptedRun();
    const ctx = await trainContext(inputs, { training: RESUMABLE });
    let killed = false;
    const heartbeat = ctx.heartbeat;
    ctx.heartbeat = (details) => {
      heartbeat(details);
      if (!killed && (details as { epoch: number }).epoch >= 2) {
        killed = true;
        for (const pid of nodeChildren()) process.kill(pid, 'SIGKILL');
      }
    };
    await expect(inChild(ctx)).rejects.toThrow(
      /ended \(SIGKILL\) before finishing; a retry starts it again \(a training resumes from its last checkpoint\)/,
    );
    expect(existsSync(join(ctx.workDir, CHECKPOINT_FILE))).toBe(true);

    // The retry runs elsewhere (a fresh work directory): the checkpoint named in the last
    // heartbeat is taken over.
    const retry = await trainContext(inputs, { training: RESUMABLE, attempt: 2 });
    retry.heartbeatDetails = ctx.heartbeats.at(-1);
    expect(retry.heartbeatDetails).toMatchObject({ checkpoint: join(ctx.workDir, CHECKPOINT_FILE) });
    const summary = await inChild(retry);
    expect(retry.logs.join('\n')).toMatch(/resuming after epoch [23]/);
    expect(retry.logs.join('\n')).not.toMatch(/epoch 1\/4/);
    expect(summary).toMatchObject({ attempts: 2, epochs: 4, bestEpoch: reference.summary.bestEpoch, valLoss: reference.summary.valLoss });
    expect(await savedWeights(retry.outDir)).toEqual(await savedWeights(reference.ctx.outDir));
  });

  it('on cancellation checkpoints mid-epoch, stops with the abort reason, and a retry finishes with the same bits', async () => {
    const reference = await uninterruptedRun();
    const ctx = await trainContext(inputs, { training: RESUMABLE });
    const reason = new Error('cancelled by the test');
    const heartbeat = ctx.heartbeat;
    ctx.heartbeat = (details) => {
      heartbeat(details);
      if ((details as { epoch: number }).epoch >= 1) ctx.abort.abort(reason);
    };
    await expect(inChild(ctx)).rejects.toBe(reason);
    expect(ctx.logs.join('\n')).toMatch(/stopped in epoch 2 before step \d+ of fold \d; the checkpoint holds everything up to there/);
    expect(nodeChildren()).toEqual([]);

    const retry = await trainContext(inputs, { training: RESUMABLE, workDir: ctx.workDir, attempt: 2 });
    expect(await inChild(retry)).toMatchObject({ valLoss: reference.summary.valLoss });
    expect(await savedWeights(retry.outDir)).toEqual(await savedWeights(reference.ctx.outDir));
  });
});
