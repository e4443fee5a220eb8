import { describe, expect, it } from 'vitest';
import { renderDot, renderJson, renderMermaid, renderTable } from '../../client/plan.js';
import { compileText } from './fixture.js';

const dag = compileText();
const edges = dag.nodes.reduce((sum, n) => sum + n.dependsOn.length, 0);

describe('plan renderers', () => {
  it('renders a table with one row per node: id, kind, queue, dependency count and cache key prefix', () => {
    const lines = renderTable(dag).split('\n');
    expect(lines[0]).toMatch(/^id\s+kind\s+queue\s+deps\s+cache key$/);
    for (const node of dag.nodes) {
      const row = lines.find((l) => l.startsWith(node.id + ' '));
      expect(row?.split(/\s+/)).toEqual([node.id, node.kind, node.queue, String(node.dependsOn.length), node.cacheKey.slice(0, 12)]);
    }
    expect(lines.at(-1)).toBe(`${dag.nodes.length} nodes: 7 generate, 8 preselect, 1 fitScaler, 5 train, 5 score, 5 scan, 1 report`);
  });

  it('renders Mermaid with every node and one edge per dependency', () => {
    const text = renderMermaid(dag);
    const lines = text.split('\n');
    expect(lines[0]).toBe('graph TD');
    for (const node of dag.nodes) expect(text).toContain(`["${node.id}"]:::${node.queue}`);
    expect(lines.filter((l) => l.includes(' --> '))).toHaveLength(edges);
    const alias = (id: string) => /^\s+(n\d+)\[/.exec(lines.find((l) => l.includes(`["${id}"]`))!)![1];
    expect(lines).toContain(`  ${alias('generate/tautau')} --> ${alias('preselect/tautau')}`);
  });

  it('renders Graphviz dot with every node and one edge per dependency', () => {
    const text = renderDot(dag);
    expect(text.startsWith('digraph "small" {')).toBe(true);
    expect(text.trimEnd().endsWith('}')).toBe(true);
    expect(text.split('\n').filter((l) => l.includes(' -> '))).toHaveLength(edges);
    expect(text).toContain('  "generate/tautau" -> "preselect/tautau";');
    expect(text).toContain('"train/all/AE-l1" [fillcolor="#fde8e8"');
  });

  it('renders JSON with id, kind, queue, dependsOn and params per node', () => {
    const parsed = JSON.parse(renderJson(dag)) as {
      nodes: { id: string; kind: string; queue: string; dependsOn: string[]; params: Record<string, unknown> }[];
    };
    expect(parsed.nodes.map((n) => n.id)).toEqual(dag.nodes.map((n) => n.id));
    for (const [i, node] of parsed.nodes.entries()) {
      expect(node).toMatchObject({
        kind: dag.nodes[i].kind,
        queue: dag.nodes[i].queue,
        dependsOn: dag.nodes[i].dependsOn,
        params: dag.nodes[i].params,
      });
    }
    const train = parsed.nodes.find((n) => n.id === 'train/all/DVAE-l2')!;
    expect(train.params).toMatchObject({ architecture: 'DVAE', latentDim: 2, background: 'all' });
  });
});
