// Scale: a 10,000-node no-op sweep shaped like a big study (100 samples x (generate,
// preselect) -> fitScaler -> 3,266 models x (train as a child workflow, score, scan) ->
// report) through a real dev server, with the default history bound, so the sweep
// continues as new several times. Measures wall time per node (goal < 25 ms), the largest
// run's history (events and bytes, against Temporal's 51,200 / 50 MB) and the peak RSS of
// this process, which holds the client and the workers. Opt-in (`npm run bench -- scale`):
// it takes minutes.
import type { Dag, DagNode } from '../core/dag.js';
import { startSweep } from '../client/sweeps.js';
import { dag, node, withNoopEngine } from './engine.js';
import type { Row } from './row.js';

const SAMPLES = 100;
const MODELS = 3_266;

function bigSweep(sweep: string): Dag {
  const nodes: DagNode[] = [];
  const samples = Array.from({ length: SAMPLES }, (_, i) => `s${i}`);
  for (const s of samples) nodes.push(node(sweep, `generate/${s}`, 'generate', []));
  for (const s of samples) nodes.push(node(sweep, `preselect/${s}`, 'preselect', [`generate/${s}`]));
  const preselected = samples.map((s) => `preselect/${s}`);
  nodes.push(node(sweep, 'fitScaler/all', 'fitScaler', preselected));
  const scans: string[] = [];
  for (let i = 0; i < MODELS; i++) {
    const m = { architecture: ['AE', 'VAE', 'DVAE'][i % 3]!, latentDim: 2 + (i % 9), axes: { seed: i } };
    const model = `${m.architecture}-l${m.latentDim}-s${i}`;
    nodes.push(node(sweep, `train/all/${model}`, 'train', ['fitScaler/all'], { ...m, background: 'all', model }));
    nodes.push(node(sweep, `score/all/${model}`, 'score', [`train/all/${model}`]));
    nodes.push(node(sweep, `scan/all/${model}`, 'scan', [`score/all/${model}`]));
    scans.push(`scan/all/${model}`);
  }
  nodes.push(node(sweep, 'report', 'report', scans));
  return dag(sweep, nodes);
}

export function bench(): Promise<Row[]> {
  return withNoopEngine(async ({ client, scope }) => {
    const graph = bigSweep('scale-10k');
    const started = performance.now();
    const { handle } = await startSweep(client, graph, scope);
    const result = await handle.result();
    const ms = performance.now() - started;
    if (result.failures.length > 0) throw new Error(`bench sweep failed: ${JSON.stringify(result.failures.slice(0, 3))}`);
    let runs = 0;
    let events = 0;
    let bytes = 0;
    for await (const run of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
      const { raw } = await client.workflow.getHandle(run.workflowId, run.runId).describe();
      runs += 1;
      events = Math.max(events, Number(raw.workflowExecutionInfo?.historyLength ?? 0));
      bytes = Math.max(bytes, Number(raw.workflowExecutionInfo?.historySizeBytes ?? 0));
    }
    const n = graph.nodes.length;
    return [
      { name: `${n}-node no-op sweep through Temporal (${MODELS} trainings as child workflows)`, value: ms / 1000, unit: 's' },
      { name: 'wall time per node', value: ms / n, unit: 'ms', note: 'goal < 25' },
      { name: 'runs of the sweep workflow (continue-as-new)', value: runs, unit: '' },
      { name: 'largest run: history events', value: events, unit: '', note: 'Temporal closes at 51,200' },
      { name: 'largest run: history size', value: bytes / 2 ** 20, unit: 'MiB', note: 'Temporal closes at 50' },
      { name: 'peak RSS of client + workers', value: process.resourceUsage().maxRSS / 1024, unit: 'MiB' },
    ];
  });
}
