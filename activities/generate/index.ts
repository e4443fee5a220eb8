// `generate` node: one Belle II-like candidate ntuple per sample (docs/generator.md).
import { join } from 'node:path';
import type { NodeRunner } from '../context.js';
import { UserError } from '../errors.js';
import { writeTable } from '../parquet.js';
import { generateSample } from './sample.js';

export const runGenerate: NodeRunner<'generate'> = async (ctx) => {
  const { sample } = ctx.node.params;
  if (!('generate' in sample.source)) {
    throw new UserError(`sample ${sample.name} reads ${sample.source.file}; it has nothing to generate.`);
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
  await writeTable(join(ctx.outDir, 'ntuple.parquet'), result.table);
  ctx.log(`${sample.name}: ${result.generated} events, ${result.candidates} candidates in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    sample: sample.name,
    process: sample.process,
    kind: sample.kind,
    generated: result.generated,
    generatedWeighted: result.generatedWeighted,
    candidates: result.candidates,
  };
};
