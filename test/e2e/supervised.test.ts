// End to end: definitions/supervised.yaml, the supervised baselines next to the autoencoders,
// run as a user runs it (`sweep run FILE --out DIR`, product runners in its in-process workers)
// through the real dev server of the global setup. Made smaller with --set so it stays about
// a minute: two background processes, fewer signal events, one AE, three supervised models
// (a BDT on one point, a DNN on two, a multiclass DNN) and short DNN trainings. Checked on what a user opens: the tables, the trainings in
// Temporal, the training events of a classifier against the held-out split, and the report.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import type { SweepResult } from '../../core/node-io.js';
import { numericColumn, readTable } from '../../activities/lib/parquet.js';
import type { ReportSummary } from '../../activities/report/format.js';
import { sweepCli, type CliOutcome } from '../helpers/cli.js';
import { tempHomeWithBundle, testClient, testProject } from '../helpers/engine.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

const DEFINITION = join(import.meta.dirname, '../../definitions/supervised.yaml');
const SMALLER = [
  'samples.background=[{name: tautau, process: tautau, generate: {events: 80000}}, {name: uubar, process: uubar, generate: {events: 25000}}]',
  'samples.signal.generate.events=3000',
  'models.matrix.latentDim=[6]',
  'models.supervised=[{architecture: BDT, signal: light}, {name: DNN-light+heavy, architecture: DNN, signal: [light, heavy]}, ' +
    '{architecture: DNN, classes: {light: light, heavy: heavy}}]',
  'supervised.dnn.epochs=5',
].flatMap((set) => ['--set', set]);
const LIGHT = 'idmdh_mchi1-0.5_mhp-0.5';

let client: Client | undefined;
let cli: CliOutcome;
let result: SweepResult;
let out: string;
let sweepId: string;

type Row = Record<string, string>;

async function readCsv(file: string): Promise<Row[]> {
  const [columns, ...lines] = (await readFile(join(out, file), 'utf8'))
    .trimEnd()
    .split('\n')
    .map((line) => line.split(','));
  return lines.map((cells) => Object.fromEntries(columns!.map((c, i) => [c, cells[i] ?? ''])));
}

function artifactDir(id: string): string {
  const artifact = result.nodes.find((n) => n.id === id)?.artifact;
  if (!artifact) throw new Error(`node ${id} has no artifact`);
  return fileURLToPath(artifact.uri);
}

beforeAll(async () => {
  const home = await tempHomeWithBundle();
  out = await tempDir('sweep-e2e-supervised');
  cli = await sweepCli(['run', DEFINITION, '--out', out, ...SMALLER], { env: { SWEEP_HOME: home, SWEEP_PROJECT: testProject() } });
  if (cli.code !== 0) throw new Error(`sweep run exited with ${cli.code}:\n${cli.stdout}\n${cli.stderr}`);
  const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as { workflowId: string; runId: string };
  client = await testClient();
  sweepId = summary.workflowId;
  result = await client.workflow.getHandle(sweepId, summary.runId).result();
}, 600_000);

afterAll(async () => {
  await client?.connection.close();
  await removeTempDirs();
});

describe('definitions/supervised.yaml end to end', () => {
  it('finishes every node; the BDT trains with XGBoost and the DNNs with the training loop, each as a training of its own', async () => {
    expect(result.failures, 'failed nodes').toEqual([]);
    const models = await readCsv('models.csv');
    const byName = new Map(models.map((r) => [r.model, r]));
    expect([...byName.keys()].sort()).toEqual(['AE-l6', 'BDT-light', 'DNN-light+heavy', 'DNN-multiclass']);
    expect(byName.get('BDT-light')!.backend).toMatch(/^xgboost \d+\.\d+/);
    expect(byName.get('BDT-light')!.epochs, 'trees').toBe('100');
    expect(byName.get('BDT-light')!.trained_on).toBe(LIGHT);
    expect(Number(byName.get('BDT-light')!.signal_events)).toBeGreaterThan(100);
    for (const dnn of ['DNN-light+heavy', 'DNN-multiclass']) {
      expect(byName.get(dnn)!.epochs).toBe('5');
      expect(Number(byName.get(dnn)!.val_loss), `${dnn}: validation cross-entropy`).toBeGreaterThan(0);
    }
    // The Temporal UI lists them as trainings like the others.
    for (const model of ['BDT-light', 'DNN-multiclass']) {
      const training = await client!.workflow.getHandle(`${sweepId}/all/${model}`).describe();
      expect(training.status.name, model).toBe('COMPLETED');
      expect(training.searchAttributes.Architecture).toEqual([model.split('-')[0]]);
    }
  });

  it('a classifier trained on the events of one point never saw its held-out events (event ids against the preselection)', async () => {
    const trained = await readTable(join(artifactDir('train/all/BDT-light'), 'training-events.parquet'));
    const names = trained.columns.sample as string[];
    const events = numericColumn(trained, 'event', 'training-events');
    const preselected = await readTable(join(artifactDir(`preselect/${LIGHT}`), 'events.parquet'), ['event', 'split']);
    const splitOf = new Map(
      Array.from(numericColumn(preselected, 'event', 'events'), (e, i) => [e, numericColumn(preselected, 'split', 'events')[i]]),
    );
    const signalEvents = Array.from(events).filter((_, i) => names[i] === LIGHT);
    expect(signalEvents.length).toBeGreaterThan(100);
    expect(signalEvents.filter((e) => splitOf.get(e) !== 0)).toEqual([]);
    expect(names.filter((n) => n.startsWith('idmdh_') && n !== LIGHT)).toEqual([]);
  });

  it('on the point it was trained on, the BDT reaches at least the best autoencoder max PFOM (a physics sanity check)', async () => {
    const scans = await readCsv('scan.csv');
    const at = (model: string) => Number(scans.find((r) => r.model === model && r.signal === LIGHT)!.max_pfom);
    expect(at('BDT-light')).toBeGreaterThanOrEqual(at('AE-l6'));
    // scan.csv says where each classifier trained: the BDT on light only, the autoencoder nowhere.
    expect(scans.filter((r) => r.model === 'BDT-light').map((r) => [r.signal, r.trained_on_signal])).toEqual(
      scans.filter((r) => r.model === 'BDT-light').map((r) => [r.signal, r.signal === LIGHT ? '1' : '0']),
    );
    expect(scans.filter((r) => r.model === 'AE-l6').every((r) => r.trained_on_signal === '')).toBe(true);
  });

  it('the report compares the best autoencoder with the best supervised model per example, with the ratio map and the generalisation figure', async () => {
    const summary = result.nodes.find((n) => n.id === 'report')!.summary as unknown as ReportSummary;
    const light = summary.versusSupervised.find((v) => v.example === 'light')!;
    expect(light.autoencoder.model).toBe('AE-l6');
    expect(['BDT-light', 'DNN-light+heavy', 'DNN-multiclass']).toContain(light.supervised.model);
    expect(light.ratio).toBeCloseTo(light.autoencoder.maxPfom / light.supervised.maxPfom, 12);
    const html = await readFile(join(out, 'report', 'index.html'), 'utf8');
    expect(html).toContain('<h2>Autoencoders against supervised baselines</h2>');
    for (const image of ['pfom-ratio-ae-supervised.png', 'generalisation.png']) {
      expect(html).toContain(`img/${image}`);
      expect(existsSync(join(out, 'report', 'img', image)), image).toBe(true);
    }
  });
});
