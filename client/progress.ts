// Progress of a running sweep in the terminal: one bar per node kind, redrawn in place on
// a TTY; on a pipe or CI log, one line whenever the counts change.
import { NODE_KINDS, type NodeKind } from '../core/dag.js';
import type { NodeProgress, SweepResult } from '../core/node-io.js';
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

export class ProgressView {
  private drawnLines = 0;
  private lastLine = '';

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  update(progress: NodeProgress[]): void {
    const counts = countByKind(progress);
    if (this.out.isTTY) {
      const lines = [...counts].map(([kind, c]) => `${kind.padEnd(9)} ${bar(c)} ${describe(c)}`);
      // Move to the start of the previous drawing and clear it before drawing again.
      const rewind = this.drawnLines > 0 ? `\x1b[${this.drawnLines}F\x1b[J` : '';
      this.out.write(rewind + lines.join('\n') + '\n');
      this.drawnLines = lines.length;
    } else {
      const line = [...counts].map(([kind, c]) => `${kind} ${c.done}/${c.total}${c.failed ? ` (${c.failed} failed)` : ''}`).join(', ');
      if (line !== this.lastLine) this.out.write(`progress: ${line}\n`);
      this.lastLine = line;
    }
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
