// Progress of a running sweep in the terminal (see ProgressView) and the summary table
// printed when it ends.
import { NODE_KINDS, type NodeKind } from '../core/dag.js';
import type { NodeProgress, SweepResult } from '../core/node-io.js';
import { describeTrainingProgress, type TrainingProgress } from '../core/training-progress.js';
import { formatTable } from './text-table.js';

const BAR_WIDTH = 24;

interface KindCounts {
  total: number;
  done: number;
  cached: number;
  running: number;
  failed: number;
  skipped: number;
}

export function countByKind(progress: NodeProgress[]): Map<NodeKind, KindCounts> {
  const counts = new Map<NodeKind, KindCounts>();
  for (const kind of NODE_KINDS) {
    const nodes = progress.filter((p) => p.kind === kind);
    if (nodes.length === 0) continue;
    const by = (status: NodeProgress['status']) => nodes.filter((p) => p.status === status).length;
    counts.set(kind, {
      total: nodes.length,
      done: by('done'),
      cached: nodes.filter((p) => p.status === 'done' && p.cacheHit).length,
      running: by('running'),
      failed: by('failed'),
      skipped: by('skipped'),
    });
  }
  return counts;
}

function bar(c: KindCounts): string {
  const filled = Math.round((BAR_WIDTH * c.done) / c.total);
  const broken = Math.min(BAR_WIDTH - filled, Math.round((BAR_WIDTH * (c.failed + c.skipped)) / c.total));
  return '█'.repeat(filled) + '×'.repeat(broken) + '░'.repeat(BAR_WIDTH - filled - broken);
}

function describe(c: KindCounts): string {
  const extras = [
    c.running ? `${c.running} running` : '',
    c.cached ? `${c.cached} cached` : '',
    c.failed ? `${c.failed} failed` : '',
    c.skipped ? `${c.skipped} skipped` : '',
  ].filter(Boolean);
  return `${c.done}/${c.total}${extras.length ? `  ${extras.join(', ')}` : ''}`;
}

/** Where the view writes: a terminal (redrawn in place) or anything else (lines). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressViewOptions {
  out?: ProgressStream;
  /** Without a terminal: the least time between two lines, but for a node kind that finished (default 30 s). */
  intervalMs?: number;
  now?: () => number;
}

/** A running training's name in the view: its node id without the kind. */
const trainingLabel = (id: string) => id.replace(/^train\//, '');

/**
 * On a terminal: a bar per node kind and, under the trainings' bar, a line per running
 * training (epoch, best loss, learning rate, speed, ETA), redrawn in place. Anywhere else
 * (a CI log, nohup, a batch job): one line when a node kind has finished, otherwise at most
 * one line per interval and only when something changed, so a log stays readable.
 */
export class ProgressView {
  private readonly out: ProgressStream;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private drawnLines = 0;
  private lastLine = '';
  private lastLineAt = -Infinity;
  private finishedKinds = 0;

  constructor(options: ProgressViewOptions = {}) {
    this.out = options.out ?? process.stderr;
    this.intervalMs = options.intervalMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  update(progress: NodeProgress[], trainings: ReadonlyMap<string, TrainingProgress> = new Map()): void {
    const counts = countByKind(progress);
    const running = progress.filter((p) => p.kind === 'train' && p.status === 'running').map((p) => p.id);
    if (this.out.isTTY) this.draw(counts, running, trainings);
    else this.log(counts, running, trainings);
  }

  private draw(counts: Map<NodeKind, KindCounts>, running: string[], trainings: ReadonlyMap<string, TrainingProgress>): void {
    const width = Math.max(40, this.out.columns ?? 120);
    const lines: string[] = [];
    for (const [kind, c] of counts) {
      lines.push(`${kind.padEnd(9)} ${bar(c)} ${describe(c)}`);
      if (kind !== 'train') continue;
      const pad = Math.max(...running.map((id) => trainingLabel(id).length));
      for (const id of running) {
        const report = trainings.get(id);
        lines.push(`  ${trainingLabel(id).padEnd(pad)}  ${report ? describeTrainingProgress(report, this.now()) : 'starting'}`);
      }
    }
    // A line wider than the terminal would wrap and break the rewind below, so it is cut.
    const shown = lines.map((line) => (line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line));
    // Move to the start of the previous drawing and clear it before drawing again.
    const rewind = this.drawnLines > 0 ? `\x1b[${this.drawnLines}F\x1b[J` : '';
    this.out.write(rewind + shown.join('\n') + '\n');
    this.drawnLines = shown.length;
  }

  private log(counts: Map<NodeKind, KindCounts>, running: string[], trainings: ReadonlyMap<string, TrainingProgress>): void {
    const kinds = [...counts].map(([kind, c]) => `${kind} ${c.done}/${c.total}${c.failed ? ` (${c.failed} failed)` : ''}`);
    // The ETA as reported (not counted down), so an unchanged training gives an unchanged line.
    const reports = running.flatMap((id) => {
      const report = trainings.get(id);
      return report ? [`${trainingLabel(id)}: ${describeTrainingProgress(report)}`] : [];
    });
    const line = `progress: ${[kinds.join(', '), ...reports].join(' | ')}`;
    const finished = [...counts.values()].filter((c) => c.done + c.failed + c.skipped === c.total).length;
    const kindFinished = finished > this.finishedKinds;
    this.finishedKinds = finished;
    const now = this.now();
    if (line === this.lastLine || !(kindFinished || now - this.lastLineAt >= this.intervalMs)) return;
    this.out.write(`${line}\n`);
    this.lastLine = line;
    this.lastLineAt = now;
  }
}

/** The table printed when a sweep ends: per kind, and every failure with its reason. */
export function summaryTable(result: SweepResult): string {
  const rows = [...countByKind(result.nodes)].map(([kind, c]) => [kind, c.total, c.done - c.cached, c.cached, c.failed, c.skipped]);
  const table = formatTable(['kind', 'nodes', 'ran', 'cached', 'failed', 'skipped'], rows, [
    'left',
    'right',
    'right',
    'right',
    'right',
    'right',
  ]);
  const failures = result.failures.map((f) => `  ${f.id}: ${f.error}`);
  return failures.length > 0 ? `${table}\n\nFailed:\n${failures.join('\n')}` : table;
}
