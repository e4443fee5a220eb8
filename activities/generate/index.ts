// `generate` node: one Belle II-like candidate ntuple per sample (docs/generator.md).
import { join } from 'node:path';
import type { NodeRunner } from '../engine/context.js';
import { UserError } from '../../core/errors.js';
import { writeTable } from '../lib/parquet.js';
import { NTUPLE_FILE, type GenerateSummary } from './format.js';
import { generateSample } from './sample.js';

export const runGenerate: NodeRunner<'generate'> = async (ctx) => {
  const { sample } = ctx.node.params;
  if (!('generate' in sample.source)) {
    throw new UserError(`sample ${sample.name} reads ${sample.source.files.map((f) => f.path).join(', ')}; it has nothing to generate.`);
  }
  const { events, seed } = sample.source.generate;
  const started = Date.now();
  const result = await generateSample(sample, {
    events,
    seed,
    onProgress: async (done) => {
      ctx.signal.throwIfAborted();
      ctx.heartbeat({ done, events });
      // Let heartbeats and cancellation through between chunks of events.
      await new Promise((resolve) => setImmediate(resolve));
    },
  });
  await writeTable(join(ctx.outDir, NTUPLE_FILE), result.table);
  ctx.log(`${sample.name}: ${result.generated} events, ${result.candidates} candidates in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const summary: GenerateSummary = {
    sample: sample.name,
    process: sample.process,
    kind: sample.kind,
    generated: result.generated,
    generatedWeighted: result.generatedWeighted,
    candidates: result.candidates,
  };
  return { ...summary };
};
