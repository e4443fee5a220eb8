// Thesis-scale calibration of the embedded data (docs/calibration.md), outside CI: generates
// and preselects every sample of definitions/thesis.yaml in-process (no Temporal), sharded over
// child processes, and prints the background yields against thesis Table 4.3, the signal
// efficiencies over the mass grid and the N-1 study of the pi0 veto.
//
//   npx tsx test/data/thesis-scale.ts [--scale 1] [--jobs 2] [--only tautau,mumu] [--json out.json] [--check]
//
// --scale multiplies every sample's generated events (0.1 for a quick look); --only restricts
// the samples (names as in thesis.yaml; "signal" stands for every signal point). --check
// exits non-zero unless the run reproduces the thesis (REQUIREMENTS below): the calibration
// test at thesis scale.
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { NodeContext } from '../../activities/engine/context.js';
import { runGenerate } from '../../activities/generate/index.js';
import { runPreselect } from '../../activities/preselect/index.js';
import { compile } from '../../definitions/compile.js';
import { NODE_KINDS, type DagNode, type NodeKind } from '../../core/dag.js';
import { loadSpec } from '../../definitions/load.js';

/** Thesis Table 4.3: events after the preselection at 100 fb^-1. */
export const TABLE_4_3: Record<string, { events: number; processes: string[] }> = {
  'tau pairs': { events: 590702, processes: ['tautau'] },
  continuum: { events: 79813, processes: ['uubar', 'ddbar', 'ssbar', 'ccbar'] },
  'mu mu': { events: 4243, processes: ['mumu'] },
  'B Bbar': { events: 1811, processes: ['B0B0bar', 'BpBm'] },
  'e e e e': { events: 588, processes: ['eeee'] },
  'e e': { events: 565, processes: ['ee'] },
  'e e pi pi': { events: 284, processes: ['eepipi'] },
  'e e mu mu': { events: 54, processes: ['eemumu'] },
  'mu mu mu mu': { events: 17.3, processes: ['mumumumu'] },
  'K0 K0bar gamma': { events: 0.4, processes: ['K0K0bargamma'] },
};

/** Table 4.3 processes with at least 200 events must come within this factor of it. */
const YIELD_FACTOR = 2;
/** Signal efficiency after the preselection: thesis 0.48-0.58, allowed 0.05 outside. */
const EFFICIENCY_RANGE = [0.43, 0.63] as const;

interface SampleResult {
  name: string;
  kind: string;
  process: string;
  mChi1: number | null;
  mHprime: number | null;
  generated: number;
  generatedWeighted: number;
  selected: number;
  selectedWeighted: number;
  efficiency: number;
  seconds: number;
  cpuSeconds: number;
  flow: { cut: string; events: number; eventsWeighted: number }[];
  nMinusOne: { removed: string; events: number; eventsWeighted: number }[];
}

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    jobs: { type: 'string', default: '2' },
    only: { type: 'string' },
    json: { type: 'string' },
    check: { type: 'boolean', default: false },
    shard: { type: 'string' },
    out: { type: 'string' },
  },
});

const spec = loadSpec(join(import.meta.dirname, '../../definitions/thesis.yaml'));
const dag = compile(spec, {
  codeVersions: Object.fromEntries(NODE_KINDS.map((k) => [k, 'calibration'])) as Record<NodeKind, string>,
  until: 'preselect',
});
const scale = Number(values.scale);
if (!(scale > 0)) throw new Error(`--scale must be a positive number, got ${values.scale}`);
const only = values.only
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const generateNodes = dag.nodes
  .filter((n): n is DagNode<'generate'> => n.kind === 'generate')
  .filter((n) => !only || only.includes(n.params.sample.name) || (only.includes('signal') && n.params.sample.kind === 'signal'));
if (only && generateNodes.length === 0) throw new Error(`--only ${values.only} names no sample of thesis.yaml`);

async function runShard(k: number, n: number, out: string): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'thesis-scale-'));
  const results: SampleResult[] = [];
  try {
    for (const [i, node] of generateNodes.entries()) {
      if (i % n !== k) continue;
      const { sample } = node.params;
      const source = sample.source as { generate: { events: number; seed: number } };
      const events = Math.max(1, Math.round(source.generate.events * scale));
      const params = { sample: { ...sample, source: { generate: { events, seed: source.generate.seed } } } };
      const reduced: DagNode<'generate'> = { ...node, params };
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const genCtx = context(root, reduced, []);
      const generated = await runGenerate(genCtx);
      const pre = dag.nodes.find((x) => x.id === `preselect/${sample.name}`) as DagNode<'preselect'>;
      const preNode = { ...pre, params: { ...pre.params, sample: params.sample } };
      const preCtx = context(root, preNode, [{ nodeId: node.id, kind: 'generate', dir: genCtx.outDir, summary: generated }]);
      const summary = await runPreselect(preCtx);
      const flow = JSON.parse(readFileSync(join(preCtx.outDir, 'cutflow.json'), 'utf8'));
      let nMinusOne: SampleResult['nMinusOne'] = [];
      try {
        nMinusOne = JSON.parse(readFileSync(join(preCtx.outDir, 'nminus1.json'), 'utf8'));
      } catch {
        // preselection without an N-1 table
      }
      results.push({
        name: sample.name,
        kind: sample.kind,
        process: sample.process,
        mChi1: sample.mChi1 ?? null,
        mHprime: sample.mHprime ?? null,
        generated: Number(summary.generated),
        generatedWeighted: Number(summary.generatedWeighted),
        selected: Number(summary.selected),
        selectedWeighted: Number(summary.selectedWeighted),
        efficiency: Number(summary.efficiency),
        seconds: (performance.now() - t0) / 1000,
        cpuSeconds: cpuSeconds(process.cpuUsage(cpu0)),
        flow,
        nMinusOne,
      });
      rmSync(genCtx.outDir, { recursive: true, force: true });
      rmSync(preCtx.outDir, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  writeFileSync(out, JSON.stringify(results));
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

function context<K extends NodeKind>(root: string, node: DagNode<K>, inputs: NodeContext<K>['inputs']): NodeContext<K> {
  const outDir = join(root, node.id.replace('/', '_'));
  mkdirSync(outDir, { recursive: true });
  return {
    node,
    inputs,
    outDir,
    workDir: outDir,
    dataRoot: root,
    allowedRoots: [root],
    attempt: 1,
    heartbeatDetails: undefined,
    heartbeat: () => undefined,
    progress: () => undefined,
    signal: new AbortController().signal,
    log: () => undefined,
  };
}

const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function report(results: SampleResult[]): string {
  const lines: string[] = [];
  const bkg = results.filter((r) => r.kind === 'background');
  const byName = new Map(results.map((r) => [r.name, r]));
  if (bkg.length > 0) {
    const total = bkg.reduce((s, r) => s + r.selectedWeighted, 0);
    const thesisTotal = Object.values(TABLE_4_3).reduce((s, g) => s + g.events, 0);
    lines.push('| group | selected (weighted) | share | thesis Table 4.3 | share | ratio |', '| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const [group, { events, processes }] of Object.entries(TABLE_4_3)) {
      const rows = processes.map((p) => bkg.find((r) => r.process === p)).filter((r): r is SampleResult => r !== undefined);
      if (rows.length === 0) continue;
      const w = rows.reduce((s, r) => s + r.selectedWeighted, 0);
      lines.push(
        `| ${group} | ${fmt(w)} | ${fmt((100 * w) / total, 2)}% | ${fmt(events, events < 1 ? 1 : 0)} | ${fmt((100 * events) / thesisTotal, 2)}% | ${fmt(w / events, 2)} |`,
      );
    }
    lines.push(
      '',
      '| sample | generated | sigma x L | selected | selected (weighted) | CPU s |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const r of bkg)
      lines.push(
        `| ${r.name} | ${fmt(r.generated)} | ${r.generatedWeighted.toExponential(3)} | ${fmt(r.selected)} | ${r.selectedWeighted.toExponential(3)} | ${fmt(r.cpuSeconds, 1)} |`,
      );
  }
  const signals = results.filter((r) => r.kind === 'signal');
  if (signals.length > 0) {
    const masses = [0.25, 0.5, 1, 1.5, 2, 2.5, 3];
    lines.push('', "| m_chi1 \\ m_h' | " + masses.join(' | ') + ' |', '| --- |' + masses.map(() => ' ---: |').join(''));
    for (const mc of masses) {
      const cells = masses.map((mh) => {
        const r = signals.find((s) => s.mChi1 === mc && s.mHprime === mh);
        return r ? fmt(r.efficiency, 3) : '';
      });
      lines.push(`| ${mc} | ${cells.join(' | ')} |`);
    }
  }
  // N-1 of every cut: relative change of the selected events when the cut is removed.
  const cuts = results[0]?.nMinusOne.map((x) => x.removed) ?? [];
  if (cuts.length > 0) {
    lines.push('', 'N-1: (selected without the cut) / (selected with all cuts) - 1, weighted', '');
    lines.push(
      '| removed | all background | tau | continuum | signal (min..max over points) | light | heavy | splitting |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    const all = (rs: SampleResult[], cut: string) => {
      const after = rs.reduce((s, r) => s + r.selectedWeighted, 0);
      const without = rs.reduce((s, r) => s + (r.nMinusOne.find((x) => x.removed === cut)?.eventsWeighted ?? NaN), 0);
      return after > 0 ? without / after - 1 : NaN;
    };
    const pct = (x: number) => (Number.isFinite(x) ? `${fmt(100 * x, 2)}%` : '-');
    const continuumRows = bkg.filter((r) => TABLE_4_3.continuum.processes.includes(r.process));
    for (const cut of cuts) {
      const sig = signals.map((r) => all([r], cut)).filter(Number.isFinite);
      const ex = (name: string) => (byName.has(name) ? pct(all([byName.get(name)!], cut)) : '-');
      lines.push(
        `| ${cut} | ${pct(all(bkg, cut))} | ${pct(
          all(
            bkg.filter((r) => r.process === 'tautau'),
            cut,
          ),
        )} | ${pct(all(continuumRows, cut))} | ` +
          `${sig.length ? `${pct(Math.min(...sig))} .. ${pct(Math.max(...sig))}` : '-'} | ${ex('idmdh_mchi1-0.5_mhp-0.5')} | ${ex('idmdh_mchi1-2.5_mhp-2.5')} | ${ex('idmdh_mchi1-3_mhp-0.5')} |`,
      );
    }
  }
  return lines.join('\n');
}

/** What a thesis-scale run must reproduce (issue 11); one message per failure. */
function check(results: SampleResult[]): string[] {
  const failures: string[] = [];
  const bkg = results.filter((r) => r.kind === 'background');
  const total = bkg.reduce((s, r) => s + r.selectedWeighted, 0);
  const group = (processes: string[]) => bkg.filter((r) => processes.includes(r.process)).reduce((s, r) => s + r.selectedWeighted, 0);
  for (const [name, { events, processes }] of Object.entries(TABLE_4_3)) {
    if (events < 200 || !processes.some((p) => bkg.some((r) => r.process === p))) continue;
    const ratio = group(processes) / events;
    if (!(ratio >= 1 / YIELD_FACTOR && ratio <= YIELD_FACTOR))
      failures.push(`${name}: ${fmt(group(processes))} events, ${fmt(ratio, 2)} x Table 4.3`);
  }
  if (bkg.length === Object.values(TABLE_4_3).flatMap((g) => g.processes).length) {
    const tau = group(TABLE_4_3['tau pairs'].processes) / total;
    const continuum = group(TABLE_4_3.continuum.processes) / total;
    if (tau < 0.8 || tau > 0.94) failures.push(`tau pairs make ${fmt(100 * tau, 1)}% of the background (Table 4.3: 87%)`);
    if (continuum < 0.06 || continuum > 0.18)
      failures.push(`continuum makes ${fmt(100 * continuum, 1)}% of the background (Table 4.3: 12%)`);
  }
  for (const r of results.filter((x) => x.kind === 'signal')) {
    if (r.efficiency < EFFICIENCY_RANGE[0] || r.efficiency > EFFICIENCY_RANGE[1])
      failures.push(`${r.name}: efficiency ${fmt(r.efficiency, 3)}`);
    const veto = r.nMinusOne.find((x) => x.removed === 'pi0Veto');
    const all = r.nMinusOne.find((x) => x.removed === 'none');
    if (veto && all && r.mChi1 === r.mHprime && !(veto.eventsWeighted / all.eventsWeighted - 1 < 0.025)) {
      failures.push(`${r.name}: the pi0 veto costs ${fmt(100 * (veto.eventsWeighted / all.eventsWeighted - 1), 2)}% (thesis: about 1%)`);
    }
  }
  const vetoBkg = bkg.reduce((s, r) => s + (r.nMinusOne.find((x) => x.removed === 'pi0Veto')?.eventsWeighted ?? NaN), 0);
  if (bkg.length > 0 && !(vetoBkg / total >= 1.01))
    failures.push(`the pi0 veto removes ${fmt(100 * (1 - total / vetoBkg), 2)}% of the background (at least 1% expected)`);
  return failures;
}

if (values.shard) {
  const [k, n] = values.shard.split('/').map(Number);
  await runShard(k, n, values.out!);
} else {
  const jobs = Math.max(1, Number(values.jobs));
  const dir = mkdtempSync(join(tmpdir(), 'thesis-scale-shards-'));
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from(
        { length: jobs },
        (_, k) =>
          new Promise<void>((resolve, reject) => {
            const args = ['--shard', `${k}/${jobs}`, '--out', join(dir, `${k}.json`), '--scale', String(scale)];
            if (values.only) args.push('--only', values.only);
            const child = fork(import.meta.filename, args, { stdio: 'inherit' });
            child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`shard ${k} exited with ${code}`))));
          }),
      ),
    );
    const results = Array.from(
      { length: jobs },
      (_, k) => JSON.parse(readFileSync(join(dir, `${k}.json`), 'utf8')) as SampleResult[],
    ).flat();
    results.sort(
      (a, b) =>
        generateNodes.findIndex((n) => n.params.sample.name === a.name) - generateNodes.findIndex((n) => n.params.sample.name === b.name),
    );
    console.log(report(results));
    const cpu = results.reduce((sum, r) => sum + r.cpuSeconds, 0);
    console.log(
      `\n${results.length} samples, scale ${scale}, ${fmt((performance.now() - t0) / 1000, 1)} s wall, ${fmt(cpu, 1)} s CPU in the samples`,
    );
    if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 1));
    if (values.check) {
      const failures = check(results);
      console.log(failures.length === 0 ? 'check: the run reproduces the thesis numbers' : `check failed:\n  ${failures.join('\n  ')}`);
      if (failures.length > 0) process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
