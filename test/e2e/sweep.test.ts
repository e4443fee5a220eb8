// End to end: a tiny but complete sweep (tiny.yaml) run as a user runs it, `sweep run FILE
// --out DIR` with the product runners in its in-process workers, through the real dev server
// of the global setup, its output going to pipes as in a CI log. The science is checked on
// what a user would open: the preselection table and the scaler, the scan and model tables,
// the trainings of all three architectures, and the report in DIR/report/, opened in a real
// headless browser where the host has Chromium. One sweep run is shared by every test below.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { NODE_KINDS, type Dag } from '../../core/dag.js';
import type { NodeOutcome, SweepResult } from '../../core/node-io.js';
import { loadDag } from '../../client/definition.js';
import { sweepWorkflowId } from '../../workflows/api.js';
import { sweepCli, type CliOutcome } from '../helpers/cli.js';
import { tempHomeWithBundle, testClient, testProject } from '../helpers/engine.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

const DEFINITION = join(import.meta.dirname, 'tiny.yaml');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The progress view's interval without a terminal (client/progress.ts). */
const PROGRESS_INTERVAL_S = 30;
/** Debian's Chromium, which CI installs (.ci/run). */
const CHROMIUM = '/usr/bin/chromium';
const noBrowser = existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (Debian: apt-get install chromium)`;

let client: Client | undefined;
let cli: CliOutcome;
let seconds: number;
let dag: Dag;
let result: SweepResult;
let history: { activityId: string; completed: boolean }[];
let out: string;
let loadedFeatures: string[];

type Row = Record<string, string>;

/** The tables hold numbers and plain names only, so a comma split reads them exactly. */
async function readCsv(file: string): Promise<{ columns: string[]; rows: Row[] }> {
  const text = await readFile(join(out, file), 'utf8');
  expect(text, `${file} has quoted cells this reader cannot split`).not.toContain('"');
  const [columns, ...lines] = text
    .trimEnd()
    .split('\n')
    .map((line) => line.split(','));
  return { columns: columns!, rows: lines.map((cells) => Object.fromEntries(columns!.map((c, i) => [c, cells[i] ?? '']))) };
}

function node(id: string): NodeOutcome {
  const found = result.nodes.find((n) => n.id === id);
  if (!found) throw new Error(`no node ${id} in the sweep result`);
  return found;
}

function artifactDir(id: string): string {
  const { artifact } = node(id);
  if (!artifact) throw new Error(`node ${id} has no artifact`);
  return fileURLToPath(artifact.uri);
}

const idsOf = (kind: string) => dag.nodes.filter((n) => n.kind === kind).map((n) => n.id);

function expectFiniteCells(row: Row, columns: string[], where: string): void {
  for (const column of columns) {
    expect(row[column], `${where}: ${column} is empty`).not.toBe('');
    expect(Number.isFinite(Number(row[column])), `${where}: ${column} = ${row[column]} is not a finite number`).toBe(true);
  }
}

beforeAll(async () => {
  const home = await tempHomeWithBundle();
  out = await tempDir('sweep-e2e-out');
  const loaded = await loadDag(DEFINITION);
  dag = loaded.dag;
  loadedFeatures = loaded.spec.features;
  const started = Date.now();
  // Private task queues: other test files share this dev server.
  const project = testProject();
  cli = await sweepCli(['run', DEFINITION, '--out', out], { env: { SWEEP_HOME: home, SWEEP_PROJECT: project } });
  seconds = (Date.now() - started) / 1000;
  if (cli.code !== 0) throw new Error(`sweep run exited with ${cli.code}:\n${cli.stdout}\n${cli.stderr}`);
  const { runId } = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as { runId: string };
  client = await testClient();
  const handle = client.workflow.getHandle(sweepWorkflowId(project, dag.sweep), runId);
  result = await handle.result();
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map<string, string>();
  const completed = new Set<string>();
  for (const event of events) {
    const attrs = event.activityTaskScheduledEventAttributes;
    if (attrs?.activityId) scheduled.set(String(event.eventId), attrs.activityId);
    const done = event.activityTaskCompletedEventAttributes;
    if (done) completed.add(String(done.scheduledEventId));
  }
  history = [...scheduled].map(([eventId, activityId]) => ({ activityId, completed: completed.has(eventId) }));
}, 600_000);

afterAll(async () => {
  await client?.connection.close();
  await removeTempDirs();
});

/** The images index.html shows, as paths relative to it, in page order (a figure may show twice). */
async function reportImages(dir: string): Promise<string[]> {
  const html = await readFile(join(dir, 'index.html'), 'utf8');
  return [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => decodeURIComponent(m[1]!));
}

describe('sweep run, as its output reads in a log', () => {
  it('prints a progress line per finished node kind or per interval at most, then the summary and a file:// link to DIR/report', () => {
    expect(cli.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/); // no stack frames
    // Nothing for a terminal in a log: no colour codes, no cursor movement (the SDK core's own lines had both).
    expect(cli.stderr + cli.stdout).not.toContain('\x1b[');
    const progress = cli.stderr.split('\n').filter((line) => line.startsWith('progress: '));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.length, progress.join('\n')).toBeLessThanOrEqual(NODE_KINDS.length + Math.floor(seconds / PROGRESS_INTERVAL_S) + 1);
    const total = (kind: string) => dag.nodes.filter((n) => n.kind === kind).length;
    // Kinds the sweep has no node of (ensemble, here) are left out of the line.
    const kinds = NODE_KINDS.filter((kind) => total(kind) > 0);
    expect(progress.at(-1)).toBe(`progress: ${kinds.map((kind) => `${kind} ${total(kind)}/${total(kind)}`).join(', ')}`);
    expect(cli.stdout).toMatch(/kind +nodes +ran +cached +failed +skipped/);
    expect(cli.stdout).toContain(`report: ${pathToFileURL(join(out, 'report', 'index.html')).href}`);
    expect(cli.stdout).toMatch(/best model per example signal:\n {2}light +\(m_chi1 0\.5, m_hprime 0\.5\): /);
  });
});

describe('a tiny sweep end to end, with the product runners', () => {
  it('finishes every node of the definition, none from a cache, and writes the --out tables', async () => {
    expect(result.failures, 'failed nodes').toEqual([]);
    expect(result.nodes.map((n) => n.id).sort()).toEqual(dag.nodes.map((n) => n.id).sort());
    for (const n of result.nodes) {
      expect(n.status, `${n.id}: ${n.error ?? ''}`).toBe('done');
      expect(n.cacheHit, `${n.id} came from a cache in a fresh home`).toBe(false);
    }
    for (const file of ['summary.json', 'preselection.csv', 'scan.csv', 'models.csv']) {
      expect(existsSync(join(out, file)), `${file} in --out`).toBe(true);
    }
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as { nodes: { id: string; status: string }[] };
    expect(summary.nodes.filter((n) => n.status === 'done')).toHaveLength(dag.nodes.length);
  });

  it('generates, preselects and fits the scaler as activities of the sweep workflow', () => {
    for (const id of [...idsOf('generate'), ...idsOf('preselect'), ...idsOf('fitScaler')]) {
      expect(
        history.find((a) => a.activityId === id),
        `${id} was not scheduled as an activity on the server`,
      ).toBeDefined();
      expect(
        history.some((a) => a.activityId === id && a.completed),
        `${id} never completed on the server`,
      ).toBe(true);
    }
  });

  it('preselection.csv has a row per sample, signal efficiencies between 0.25 and 0.75', async () => {
    const { columns, rows } = await readCsv('preselection.csv');
    expect(columns).toEqual([
      'sample',
      'process',
      'kind',
      'm_chi1',
      'm_hprime',
      'generated',
      'generated_weighted',
      'selected',
      'selected_weighted',
      'efficiency',
    ]);
    const samples = dag.nodes.filter((n) => n.kind === 'preselect').map((n) => n.id.slice('preselect/'.length));
    expect(rows.map((r) => r.sample).sort()).toEqual(samples.sort());
    const signals = rows.filter((r) => r.kind === 'signal');
    expect(signals, 'signal rows').toHaveLength(2);
    for (const row of rows) {
      expectFiniteCells(
        row,
        ['generated', 'generated_weighted', 'selected', 'selected_weighted', 'efficiency'],
        `preselection.csv ${row.sample}`,
      );
      expect(Number(row.selected), `${row.sample}: nothing selected`).toBeGreaterThan(0);
    }
    for (const row of signals) {
      expectFiniteCells(row, ['m_chi1', 'm_hprime'], `preselection.csv ${row.sample}`);
      expect(Number(row.efficiency), `${row.sample} efficiency`).toBeGreaterThan(0.25);
      expect(Number(row.efficiency), `${row.sample} efficiency`).toBeLessThan(0.75);
    }
    const selectedBackground = rows.filter((r) => r.kind === 'background').reduce((sum, r) => sum + Number(r.selected), 0);
    expect(selectedBackground, 'background events after the preselection (the training set)').toBeGreaterThan(2000);
  });

  it('the scaler has a finite mean and a positive std for each of the 20 features', async () => {
    const [fitScaler] = idsOf('fitScaler');
    const scaler = JSON.parse(await readFile(join(artifactDir(fitScaler!), 'scaler.json'), 'utf8')) as {
      features: string[];
      mean: number[];
      std: number[];
    };
    expect(scaler.features, 'the features of the definition, in order').toEqual(loadedFeatures);
    expect(scaler.features).toHaveLength(20);
    expect(scaler.mean).toHaveLength(20);
    expect(scaler.std).toHaveLength(20);
    scaler.features.forEach((feature, i) => {
      expect(Number.isFinite(scaler.mean[i]), `mean of ${feature}`).toBe(true);
      expect(scaler.std[i], `std of ${feature}`).toBeGreaterThan(0);
      expect(Number.isFinite(scaler.std[i]), `std of ${feature}`).toBe(true);
    });
  });

  it('scan.csv has a finite maximum with positive PFOM for every model and signal', async () => {
    const { columns, rows } = await readCsv('scan.csv');
    expect(columns).toEqual([
      'model',
      'architecture',
      'latentDim',
      'background',
      'learning_rate',
      'batch_size',
      'hidden_layers',
      'beta',
      'dvae_beta',
      'seed',
      'ensemble_of',
      'signal',
      'trained_on_signal',
      'm_chi1',
      'm_hprime',
      'max_pfom',
      'eff_selected',
      'eff_generated',
      'threshold',
      'n_background_above',
    ]);
    const models = idsOf('train').map((id) => id.split('/').at(-1)!);
    const signals = (await readCsv('preselection.csv')).rows.filter((r) => r.kind === 'signal').map((r) => r.sample);
    const pairs = rows.map((r) => `${r.model} ${r.signal}`).sort();
    expect(pairs).toEqual(models.flatMap((m) => signals.map((s) => `${m} ${s}`)).sort());
    for (const row of rows) {
      const where = `scan.csv ${row.model} ${row.signal}`;
      expectFiniteCells(
        row,
        ['latentDim', 'm_chi1', 'm_hprime', 'max_pfom', 'eff_selected', 'eff_generated', 'threshold', 'n_background_above'],
        where,
      );
      expect(Number(row.max_pfom), `${where}: max_pfom`).toBeGreaterThan(0);
      expect(Number(row.learning_rate), `${where}: the training's learning rate`).toBeGreaterThan(0);
    }
  });

  it('models.csv has one row per model with its training summary', async () => {
    const { columns, rows } = await readCsv('models.csv');
    expect(columns).toEqual([
      'model',
      'architecture',
      'latentDim',
      'background',
      'learning_rate',
      'batch_size',
      'hidden_layers',
      'beta',
      'dvae_beta',
      'seed',
      'best_epoch',
      'val_loss',
      'val_mse',
      'val_kl',
      'epochs',
      'seconds',
      'backend',
      'attempts',
      'trained_on',
      'signal_events',
    ]);
    expect(rows.map((r) => r.model).sort()).toEqual(['AE-l1', 'AE-l10', 'DVAE-l2', 'VAE-l2']);
    for (const row of rows) {
      const where = `models.csv ${row.model}`;
      expectFiniteCells(row, ['latentDim', 'best_epoch', 'val_loss', 'val_mse', 'epochs', 'seconds', 'attempts'], where);
      expect(row.backend, `${where}: backend`).not.toBe('');
      if (row.architecture === 'AE') expect(row.val_kl, `${where}: an AE has no KL term`).toBe('');
      else expectFiniteCells(row, ['val_kl'], where);
    }
  });

  it('DIR/report/index.html shows only PNG images that exist beside it', async () => {
    const dir = join(out, 'report');
    const images = [...new Set(await reportImages(dir))];
    expect(images.length, 'images in index.html').toBeGreaterThan(3);
    for (const image of images) {
      const path = join(dir, image);
      expect(existsSync(path), `${image} referenced by index.html is missing`).toBe(true);
      const bytes = await readFile(path);
      expect(bytes.length, `${image} is empty`).toBeGreaterThan(PNG_SIGNATURE.length);
      expect(bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE), `${image} is not a PNG file`).toBe(true);
    }
    expect(existsSync(join(dir, 'manifest.json')), "the store's manifest stays in the store").toBe(false);
  });

  it.skipIf(noBrowser)(
    `DIR/report/index.html loads every image in headless Chromium, with no console error${noBrowser ? ` (skipped: ${noBrowser})` : ''}`,
    async () => {
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--no-first-run',
          '--disable-sync',
        ],
      });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
        });
        page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
        page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
        await page.goto(pathToFileURL(join(out, 'report', 'index.html')).href, { waitUntil: 'load' });
        // As a reader does: open every model's section and scroll to each figure (they load lazily).
        await page.locator('details').evaluateAll((sections) => sections.forEach((d) => ((d as HTMLDetailsElement).open = true)));
        const images = page.locator('img');
        const count = await images.count();
        expect(count).toBe((await reportImages(join(out, 'report'))).length);
        for (let i = 0; i < count; i++) await images.nth(i).scrollIntoViewIfNeeded();
        await page.waitForFunction(() => Array.from(document.images).every((img) => img.complete), undefined, { timeout: 60_000 });
        const broken = await images.evaluateAll((all) =>
          all.filter((img) => (img as HTMLImageElement).naturalWidth === 0).map((img) => img.getAttribute('src')),
        );
        expect(broken, 'images that did not load').toEqual([]);
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );

  it('trains AE, VAE and DVAE, and the AE reconstructs clearly better with 10 latent dimensions than with 1', async () => {
    const { rows } = await readCsv('models.csv');
    expect(new Set(rows.map((r) => r.architecture))).toEqual(new Set(['AE', 'VAE', 'DVAE']));
    for (const id of idsOf('train')) {
      const dir = artifactDir(id);
      for (const file of ['model/model.json', 'history.json']) expect(existsSync(join(dir, file)), `${id}: ${file}`).toBe(true);
    }
    const loss = (model: string) => Number(rows.find((r) => r.model === model)!.val_loss);
    expect(loss('AE-l10'), `AE validation loss: latentDim 10 ${loss('AE-l10')} vs latentDim 1 ${loss('AE-l1')}`).toBeLessThan(
      0.8 * loss('AE-l1'),
    );
  });
});
