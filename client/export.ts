// What `--out DIR` receives when a sweep ends: summary.json (every node: status, attempts,
// cache hit, artifact paths), the result tables, each written by one table writer, and a
// copy of the report in DIR/report/, so the results and the page about them lie together.
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Dag, TrainParams } from '../core/dag.js';
import { settingsOf } from '../core/models.js';
import type { NodeOutcome, SweepResult } from '../core/node-io.js';
import { toCsv } from '../activities/lib/csv.js';
import { REPORT_FILE, type ReportSummary } from '../activities/report/format.js';
import { readScanFile } from '../activities/scan/format.js';
import { modelsCsv, scanCsv } from './tables.js';

export interface SweepOutputs {
  dag: Dag;
  result: SweepResult;
  workflowId: string;
  runId: string;
}

/** Directory of a finished node's artifact on this host (the store is local or a shared mount). */
function artifactDir(node: NodeOutcome): string | undefined {
  return node.artifact ? fileURLToPath(node.artifact.uri) : undefined;
}

function artifactFiles(dir: string | undefined): string[] | undefined {
  const manifest = dir && join(dir, 'manifest.json');
  if (!manifest || !existsSync(manifest)) return undefined;
  return Object.keys((JSON.parse(readFileSync(manifest, 'utf8')) as { files: Record<string, string> }).files);
}

export function summaryJson({ result, workflowId, runId }: SweepOutputs): string {
  const nodes = result.nodes.map((node) => {
    const dir = artifactDir(node);
    return {
      id: node.id,
      kind: node.kind,
      status: node.status,
      attempts: node.attempts ?? null,
      cacheHit: node.cacheHit,
      startedAt: node.startedAt ?? null,
      finishedAt: node.finishedAt ?? null,
      error: node.error ?? null,
      artifact: node.artifact ? { dir, files: artifactFiles(dir) ?? null, uri: node.artifact.uri, hash: node.artifact.hash } : null,
      summary: node.summary ?? null,
    };
  });
  return JSON.stringify({ sweep: result.sweep, workflowId, runId, nodes, failures: result.failures }, null, 2) + '\n';
}

const done = (result: SweepResult, kind: NodeOutcome['kind']) => result.nodes.filter((n) => n.kind === kind && n.status === 'done');

const PRESELECTION_COLUMNS = [
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
];

/** One row per preselected sample, from the preselect summaries (mass columns empty for background). */
export function preselectionCsv(result: SweepResult): string | undefined {
  const nodes = done(result, 'preselect');
  if (nodes.length === 0) return undefined;
  const rows = nodes.map(({ summary = {} }) => {
    const s = summary as Record<string, string | number | null | undefined>;
    return [
      s.sample,
      s.process,
      s.kind,
      s.mChi1,
      s.mHprime,
      s.generated,
      s.generatedWeighted,
      s.selected,
      s.selectedWeighted,
      s.efficiency,
    ];
  });
  return toCsv(PRESELECTION_COLUMNS, rows);
}

type TableWriter = (outputs: SweepOutputs) => Promise<string | undefined>;

/** File name -> writer; a writer returns undefined when the sweep has nothing for its table. */
const TABLES: Record<string, TableWriter> = {
  'summary.json': async (outputs) => summaryJson(outputs),
  'preselection.csv': async ({ result }) => preselectionCsv(result),
  'scan.csv': async ({ result }) => {
    const dirs = done(result, 'scan')
      .map(artifactDir)
      .filter((d): d is string => Boolean(d));
    return dirs.length > 0 ? scanCsv(await Promise.all(dirs.map(readScanFile))) : undefined;
  },
  'models.csv': async ({ dag, result }) => {
    const outcomes = new Map(result.nodes.map((n) => [n.id, n]));
    const models = dag.nodes
      .filter((n) => n.kind === 'train')
      .map((n) => ({
        params: { ...(n.params as TrainParams), settings: settingsOf((n.params as TrainParams).training) },
        summary: outcomes.get(n.id)?.status === 'done' ? outcomes.get(n.id)?.summary : undefined,
      }));
    return models.length > 0 ? modelsCsv(models) : undefined;
  },
};

/** Where `--out DIR` keeps its copy of the report. */
export const REPORT_DIR = 'report';

/**
 * Writes every table the sweep has data for and copies its report (page and figures, not
 * the store's manifest) to DIR/report/, replacing an older copy so no stale figure stays;
 * returns the paths written.
 */
export async function writeOutputs(outDir: string, outputs: SweepOutputs): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const [file, writer] of Object.entries(TABLES)) {
    const text = await writer(outputs);
    if (text === undefined) continue;
    await writeFile(join(outDir, file), text);
    written.push(join(outDir, file));
  }
  const [report] = done(outputs.result, 'report');
  const reportDir = report && artifactDir(report);
  if (reportDir) {
    const copy = join(outDir, REPORT_DIR);
    await rm(copy, { recursive: true, force: true });
    await cp(reportDir, copy, { recursive: true, filter: (source) => basename(source) !== 'manifest.json' });
    written.push(`${copy}/`);
  }
  return written;
}

/**
 * Where the report is (as a file:// URL a terminal makes clickable: the copy in `outDir`
 * when given, else the artifact) and the sweep's answer (best model per example signal), as
 * lines for the terminal; undefined while the sweep has no finished report.
 */
export function reportAnswer(result: SweepResult, outDir?: string): string | undefined {
  const [report] = done(result, 'report');
  const artifact = report && artifactDir(report);
  if (!artifact) return undefined;
  const dir = outDir ? join(outDir, REPORT_DIR) : artifact;
  const summary = report.summary as Partial<ReportSummary> | undefined;
  const page = summary?.page ?? REPORT_FILE;
  const best = (summary?.best ?? []).map(
    (b) =>
      `  ${b.example.padEnd(10)} (m_chi1 ${b.mChi1}, m_hprime ${b.mHprime}): ${b.model.padEnd(8)} max PFOM ${b.maxPfom.toPrecision(4)} ` +
      `(no cut ${b.noCutPfom.toPrecision(4)}), eff ${b.effGenerated.toFixed(3)}, threshold ${b.threshold.toPrecision(4)}`,
  );
  return [
    `report: ${pathToFileURL(resolve(dir, page)).href}`,
    ...(best.length > 0 ? ['best model per example signal:', ...best] : []),
  ].join('\n');
}
