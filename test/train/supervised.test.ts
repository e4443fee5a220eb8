// The supervised baselines as the engine runs them, on synthetic preselect artifacts (two
// backgrounds and two signals shifted in a few features): the BDT is XGBoost (its node's
// predictions equal those of XGBoost's Python API given the same data, weights and split),
// the DNN's gradient is right (against finite differences in float64), no held-out event
// is ever trained on (by event ids), and a host without XGBoost gets one clear message.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DagNode, NodeKind, TrainParams } from '../../core/dag.js';
import type { InputArtifact, NodeContext } from '../../activities/engine/context.js';
import { numericColumn, readTable, writeTable } from '../../activities/lib/parquet.js';
import { Rng } from '../../activities/lib/rng.js';
import { runScore } from '../../activities/score/index.js';
import { bdtPython, xgboostParams } from '../../activities/train/bdt.js';
import { TRAINING_EVENTS_FILE } from '../../activities/train/format.js';
import { runTrain } from '../../activities/train/index.js';
import { initialWeights, networkShape } from '../../activities/train/network.js';
import { lossTerms, unpack } from '../../activities/train/tfjs-network.js';
import { preselectSummary } from '../helpers/artifacts.js';
import { correlatedEvents, FEATURES, settings, trainContext, writeInputs } from './fixtures.js';

const SIGNALS = ['sigA', 'sigB'];
const BDT = { trees: 20, maxDepth: 4, learningRate: 0.3, subsample: 0.8 };

let inputs: InputArtifact[];
beforeAll(async () => {
  inputs = [...(await writeInputs(1500, 3)), ...(await writeSignals(600))];
});

/** Signal samples: the background's kind of events, shifted in the first features; a quarter held out. */
async function writeSignals(rows: number): Promise<InputArtifact[]> {
  const root = await mkdtemp(join(tmpdir(), 'signal-inputs-'));
  return Promise.all(
    SIGNALS.map(async (name, s) => {
      const { columns, weights } = correlatedEvents(rows, 3, 100 + s);
      for (let j = 0; j < 4; j++) for (let r = 0; r < rows; r++) columns[j + 4 * s]![r] += 1.5;
      const dir = join(root, name);
      await mkdir(dir);
      await writeTable(join(dir, 'events.parquet'), {
        numRows: rows,
        columns: {
          event: Int32Array.from({ length: rows }, (_, r) => 1000 + r),
          ...Object.fromEntries(FEATURES.map((f, j) => [f, columns[j]!])),
          weight: weights,
          split: Uint8Array.from({ length: rows }, (_, r) => (r % 3 === 0 ? 1 : 0)),
        },
      });
      return { nodeId: `preselect/${name}`, kind: 'preselect' as NodeKind, dir, summary: preselectSummary(name, { kind: 'signal' }) };
    }),
  );
}

/** A train context for a supervised model on background and `signals`. */
async function supervisedContext(
  architecture: 'DNN' | 'BDT',
  classes: TrainParams['supervised'] = { classes: [{ name: 'signal', samples: ['sigA'] }] },
) {
  const ctx = await trainContext(inputs, {
    training: { epochs: 3, folds: 2, batchSize: 64, backend: 'cpu', hiddenLayers: [16, 16], learningRate: 1e-3 },
  });
  const params = ctx.node.params;
  Object.assign(params, {
    model: `${architecture}-test`,
    architecture,
    latentDim: 0,
    samples: [...params.samples, ...classes!.classes.flatMap((c) => c.samples)],
    supervised: architecture === 'BDT' ? { ...classes, bdt: BDT } : classes,
  });
  // Only the inputs a compiled node would get: the background, its signals, the scaler.
  const wanted = new Set(params.samples);
  ctx.inputs = inputs.filter((i) => i.kind === 'fitScaler' || wanted.has(i.nodeId.slice('preselect/'.length)));
  return ctx;
}

/** (sample, event) of every row of a sample's events.parquet with this split. */
async function eventsWithSplit(input: InputArtifact, split: number): Promise<string[]> {
  const table = await readTable(join(input.dir, 'events.parquet'), ['event', 'split']);
  const events = numericColumn(table, 'event', 'fixture');
  const splits = numericColumn(table, 'split', 'fixture');
  const name = input.nodeId.slice('preselect/'.length);
  return Array.from(events, (e, r) => [e, r] as const)
    .filter(([, r]) => splits[r] === split)
    .map(([e]) => `${name}/${e}`);
}

function scoreContext(train: NodeContext<'train'>, architecture: 'DNN' | 'BDT'): NodeContext<'score'> {
  const params = { model: train.node.params.model, architecture, latentDim: 0, background: 'all', axes: {} };
  const node: DagNode<'score'> = {
    id: 'score/all/test',
    kind: 'score',
    queue: 'cpu',
    dependsOn: [],
    cacheKey: 'k',
    codeVersion: 'test',
    summary: '',
    params,
  };
  const preselects = inputs.filter((i) => i.kind === 'preselect').sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  return {
    ...train,
    node,
    inputs: [
      { nodeId: 'train/all/test', kind: 'train', dir: train.outDir, summary: {} },
      ...inputs.filter((i) => i.kind === 'fitScaler'),
      ...preselects,
    ],
    outDir: train.outDir + '-score',
  };
}

describe('a supervised model never sees held-out events', () => {
  for (const architecture of ['DNN', 'BDT'] as const) {
    it(`${architecture}: its training events are exactly the train split of the background and of its signal, by event id`, async () => {
      const ctx = await supervisedContext(architecture);
      await runTrain(ctx);
      const table = await readTable(join(ctx.outDir, TRAINING_EVENTS_FILE));
      const trained = (table.columns.sample as string[]).map((s, i) => `${s}/${(table.columns.event as Float64Array)[i]}`);
      const used = inputs.filter((i) => i.kind === 'preselect' && i.nodeId !== 'preselect/sigB');
      const trainSplit = (await Promise.all(used.map((i) => eventsWithSplit(i, 0)))).flat();
      const heldOut = (await Promise.all(used.map((i) => eventsWithSplit(i, 1)))).flat();
      expect(new Set(trained)).toEqual(new Set(trainSplit));
      expect(trained).toHaveLength(trainSplit.length);
      expect(heldOut.filter((id) => trained.includes(id))).toEqual([]);
      // The other signal is no class of this model: none of its events.
      expect(trained.some((id) => id.startsWith('sigB/'))).toBe(false);
      // Signal (class 1) is exactly the signal's events.
      expect(Array.from(table.columns.label as Int32Array)).toEqual(trained.map((id) => (id.startsWith('sigA/') ? 1 : 0)));
    });
  }
});

describe('the BDT is XGBoost', () => {
  it("its node's scores equal the margins of XGBoost's Python API trained on the same data, weights and split", async () => {
    const ctx = await supervisedContext('BDT');
    await runTrain(ctx);
    const scoring = scoreContext(ctx, 'BDT');
    await mkdir(scoring.outDir);
    await runScore(scoring);
    const scores = await readTable(join(scoring.outDir, 'scores.parquet'), ['sample', 'output', 'split']);
    expect(Array.from(numericColumn(scores, 'split', 'scores'))).not.toContain(0);
    const job = {
      samples: ctx.inputs
        .filter((i) => i.kind === 'preselect')
        .map((i) => ({ name: i.nodeId.slice('preselect/'.length), kind: i.summary.kind, path: join(i.dir, 'events.parquet') })),
      scaler: join(inputs.find((i) => i.kind === 'fitScaler')!.dir, 'scaler.json'),
      params: xgboostParams(BDT, 1, ctx.node.params.training.seed),
      rounds: BDT.trees,
    };
    const jobPath = join(ctx.workDir, 'reference.json');
    await writeFile(jobPath, JSON.stringify(job));
    const reference = JSON.parse(
      execFileSync(bdtPython(), [join(import.meta.dirname, 'xgboost_reference.py'), jobPath], { encoding: 'utf8' }),
    ) as number[];
    // The reference scored the held-out events of the samples it trained on, in name order.
    const names = scores.columns.sample as string[];
    const ours = Array.from(numericColumn(scores, 'output', 'scores')).filter((_, i) => names[i] !== 'sigB');
    expect(ours).toHaveLength(reference.length);
    expect(ours).toEqual(reference);
    // And it learnt something: the signal's held-out events score above the background's on average.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const signal = ours.filter((_, i) => names.filter((n) => n !== 'sigB')[i] === 'sigA');
    const background = ours.filter((_, i) => names.filter((n) => n !== 'sigB')[i]!.startsWith('bkg'));
    expect(mean(signal)).toBeGreaterThan(mean(background) + 1);
  });

  it('on a host whose Python environment lacks XGBoost: one message that says how to get it', async () => {
    const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    const hasXgboost = (() => {
      try {
        execFileSync(python, ['-c', 'import xgboost'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    })();
    // The point of the test is a Python without xgboost; the machine's own python3 is one.
    expect(hasXgboost).toBe(false);
    const ctx = await supervisedContext('BDT');
    const saved = process.env.SWEEP_PYTHON;
    process.env.SWEEP_PYTHON = python;
    try {
      await expect(runTrain(ctx)).rejects.toMatchObject({
        name: 'UserError',
        message: expect.stringMatching(
          new RegExp(
            `^the BDT needs XGBoost, but the Python environment ${python.replaceAll('.', '\\.')} does not have it .*run \`npm run setup\``,
          ),
        ),
      });
    } finally {
      if (saved === undefined) delete process.env.SWEEP_PYTHON;
      else process.env.SWEEP_PYTHON = saved;
    }
  });
});

describe('the DNN classifier', () => {
  /** The batch objective sum_i w_i ce_i / rows in float64, from the flat weights, by hand. */
  function objective64(
    params: Float64Array,
    layers: { inputs: number; units: number }[],
    x: Float32Array,
    w: Float32Array,
    targets: Float32Array,
  ): number {
    const rows = w.length;
    let total = 0;
    for (let r = 0; r < rows; r++) {
      let h = Array.from(x.subarray(r * layers[0]!.inputs, (r + 1) * layers[0]!.inputs), Number);
      let offset = 0;
      layers.forEach((layer, l) => {
        const out = new Array<number>(layer.units).fill(0);
        for (let o = 0; o < layer.units; o++) {
          let z = params[offset + layer.inputs * layer.units + o]!;
          for (let i = 0; i < layer.inputs; i++) z += h[i]! * params[offset + i * layer.units + o]!;
          out[o] = l < layers.length - 1 ? Math.max(z, 0) : z;
        }
        offset += (layer.inputs + 1) * layer.units;
        h = out;
      });
      const k = h.length;
      const y = Array.from(targets.subarray(r * k, (r + 1) * k), Number);
      const ce =
        k === 1
          ? Math.max(h[0]!, 0) - h[0]! * y[0]! + Math.log1p(Math.exp(-Math.abs(h[0]!)))
          : Math.log(h.reduce((s, z) => s + Math.exp(z), 0)) - h.reduce((s, z, c) => s + z * y[c]!, 0);
      total += w[r]! * ce;
    }
    return total / rows;
  }

  for (const outputs of [1, 3]) {
    it(`${outputs === 1 ? 'binary (sigmoid)' : 'multiclass (softmax)'}: the gradient of the hand-written dense layers matches central differences in float64`, async () => {
      await tf.setBackend('cpu');
      const rng = Rng.fromSeed(5);
      const shape = networkShape('DNN', 20, outputs, [9, 7]);
      const params = initialWeights(shape, rng);
      for (let i = 0; i < params.length; i++) params[i]! *= 2;
      const rows = 40;
      const x = rng.fillNormal(new Float32Array(rows * 20));
      const w = Float32Array.from({ length: rows }, () => rng.range(0.2, 3));
      const targets = new Float32Array(rows * outputs);
      for (let r = 0; r < rows; r++) {
        if (outputs === 1) targets[r] = r % 2;
        else targets[r * outputs + (r % outputs)] = 1;
      }
      const gradient = tf.tidy(() => {
        const batch = { x: tf.tensor2d(x, [rows, 20]), noise: null, targets: tf.tensor2d(targets, [rows, outputs]) };
        const f = (theta: tf.Tensor) =>
          tf.div(tf.sum(tf.mul(lossTerms(shape, unpack(shape, theta), batch, null).mse, tf.tensor1d(w))), rows) as tf.Scalar;
        return tf.grad(f)(tf.tensor1d(params));
      });
      const grad = Float64Array.from(gradient.dataSync());
      gradient.dispose();
      const theta = Float64Array.from(params);
      const layers = shape.encoder;
      const eps = 1e-6;
      let diff = 0;
      let norm = 0;
      for (let i = 0; i < theta.length; i++) {
        const saved = theta[i]!;
        theta[i] = saved + eps;
        const up = objective64(theta, layers, x, w, targets);
        theta[i] = saved - eps;
        const down = objective64(theta, layers, x, w, targets);
        theta[i] = saved;
        const numeric = (up - down) / (2 * eps);
        diff += (grad[i]! - numeric) ** 2;
        norm += numeric ** 2;
      }
      expect(norm).toBeGreaterThan(0);
      expect(Math.sqrt(diff / norm)).toBeLessThan(1e-4);
    });
  }

  it('learns: a multiclass DNN on the cpu backend ends with a lower validation cross-entropy than it started', async () => {
    const ctx = await supervisedContext('DNN', {
      classes: [
        { name: 'a', samples: ['sigA'] },
        { name: 'b', samples: ['sigB'] },
      ],
    });
    ctx.node.params.training = settings({ epochs: 4, folds: 2, batchSize: 64, backend: 'cpu', hiddenLayers: [16, 16], learningRate: 3e-3 });
    const summary = await runTrain(ctx);
    expect(summary).toMatchObject({ architecture: 'DNN', backend: 'cpu', epochs: 4 });
    const history = JSON.parse(await readFile(join(ctx.outDir, 'history.json'), 'utf8')) as { valLoss: number }[];
    // Three balanced classes start near log(3) = 1.10.
    expect(history[0]!.valLoss).toBeLessThan(1.3);
    expect(history.at(-1)!.valLoss).toBeLessThan(history[0]!.valLoss);
  });
});
