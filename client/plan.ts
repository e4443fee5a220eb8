// Renderings of a compiled DAG for `sweep plan`: a table, Mermaid, Graphviz dot and JSON.
// Pure functions of the Dag; the CLI chooses one and prints it.
import { NODE_KINDS, type Dag } from '../core/dag.js';

const KEY_PREFIX = 12;

export function renderTable(dag: Dag): string {
  const header = ['id', 'kind', 'queue', 'deps', 'cache key'];
  const rows = dag.nodes.map((n) => [n.id, n.kind, n.queue, String(n.dependsOn.length), n.cacheKey.slice(0, KEY_PREFIX)]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  const counts = NODE_KINDS.map((kind) => [kind, dag.nodes.filter((n) => n.kind === kind).length] as const)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind}`);
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `${dag.nodes.length} nodes: ${counts.join(', ')}`,
  ].join('\n');
}

/** Node ids hold `/` and `.`, which Mermaid ids cannot, so nodes are n0, n1, ... with labels. */
export function renderMermaid(dag: Dag): string {
  const alias = new Map(dag.nodes.map((n, i) => [n.id, `n${i}`]));
  const lines = ['graph TD'];
  for (const node of dag.nodes) lines.push(`  ${alias.get(node.id)}["${node.id.replaceAll('"', '#quot;')}"]:::${node.queue}`);
  for (const node of dag.nodes) {
    for (const dependency of node.dependsOn) lines.push(`  ${alias.get(dependency)} --> ${alias.get(node.id)}`);
  }
  lines.push('  classDef cpu fill:#e8f0fe,stroke:#4a6fa5', '  classDef gpu fill:#fde8e8,stroke:#a54a4a');
  return lines.join('\n');
}

export function renderDot(dag: Dag): string {
  const quote = (text: string) => `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  const lines = [`digraph ${quote(dag.sweep)} {`, '  rankdir=TB;', '  node [shape=box, style=filled, fontname="Helvetica"];'];
  for (const node of dag.nodes) {
    const color = node.queue === 'gpu' ? '#fde8e8' : '#e8f0fe';
    lines.push(`  ${quote(node.id)} [fillcolor=${quote(color)}, tooltip=${quote(node.summary)}];`);
  }
  for (const node of dag.nodes) {
    for (const dependency of node.dependsOn) lines.push(`  ${quote(dependency)} -> ${quote(node.id)};`);
  }
  lines.push('}');
  return lines.join('\n');
}

export function renderJson(dag: Dag): string {
  const nodes = dag.nodes.map(({ id, kind, queue, dependsOn, params, cacheKey, summary }) => ({
    id,
    kind,
    queue,
    dependsOn,
    params,
    cacheKey,
    summary,
  }));
  return JSON.stringify({ sweep: dag.sweep, nodes }, null, 2);
}
