// Bad training data fails with one message naming the file, the place and the fix.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { InputArtifact } from '../../activities/engine/context.js';
import { readTable, writeTable } from '../../activities/lib/parquet.js';
import { findTrainingInputs, loadTrainingData, type TrainingInputs } from '../../activities/train/data.js';
import { FEATURES, writeInputs } from './fixtures.js';

let inputs: InputArtifact[];
let located: TrainingInputs;
beforeAll(async () => {
  inputs = await writeInputs(40, 2);
  located = findTrainingInputs('train/all/AE-l2', inputs);
});

/** Rewrites bkgA's events.parquet with one column changed. */
async function corrupt(column: string, change: (values: Float64Array) => void): Promise<void> {
  const path = located.events[0]!.path;
  const table = await readTable(path);
  const values = Float64Array.from(table.columns[column] as Float64Array);
  change(values);
  await writeTable(path, { ...table, columns: { ...table.columns, [column]: values } });
}

describe('training data', () => {
  it('is the train split of every sample, standardised, with weights of mean 1', async () => {
    const data = await loadTrainingData(located, FEATURES, 2);
    expect(data.rows).toBe(60); // 3/4 of 2 x 40
    expect(data.weights.reduce((a, b) => a + b, 0) / data.rows).toBeCloseTo(1, 5);
    const firstColumn = Array.from({ length: data.rows }, (_, r) => data.x[r * FEATURES.length]!);
    expect(Math.abs(firstColumn.reduce((a, b) => a + b, 0) / data.rows)).toBeLessThan(0.5);
  });

  it('rejects a scaler fitted on other features', async () => {
    const path = join(inputs[2]!.dir, 'scaler.json');
    await writeFile(path, JSON.stringify({ features: ['a'], mean: [0], std: [1] }));
    await expect(loadTrainingData(located, FEATURES, 2)).rejects.toMatchObject({
      name: 'UserError',
      message: expect.stringMatching(/scales the features \[a\].*re-run fitScaler/),
    });
    await writeFile(
      path,
      JSON.stringify({ features: FEATURES, mean: FEATURES.map(() => 0), std: FEATURES.map((_, i) => (i === 4 ? 0 : 1)) }),
    );
    await expect(loadTrainingData(located, FEATURES, 2)).rejects.toMatchObject({
      name: 'UserError',
      message: expect.stringMatching(/feature f4 has mean 0 and standard deviation 0.*remove it from features/),
    });
  });

  it('rejects non-finite features, bad weights, too few events and all-zero weights', async () => {
    const fresh = async () => {
      inputs = await writeInputs(40, 2);
      located = findTrainingInputs('train/all/AE-l2', inputs);
    };
    await fresh();
    await corrupt('f3', (v) => (v[0] = NaN));
    await expect(loadTrainingData(located, FEATURES, 2)).rejects.toMatchObject({
      message: expect.stringMatching(/sample bkgA\): feature f3 is NaN in event row 0; remove such events/),
    });
    await fresh();
    await corrupt('weight', (v) => (v[1] = -1));
    await expect(loadTrainingData(located, FEATURES, 2)).rejects.toMatchObject({
      message: expect.stringMatching(/event row 1 has weight -1; weights must be finite and >= 0/),
    });
    await fresh();
    await expect(loadTrainingData(located, FEATURES, 100)).rejects.toMatchObject({
      message: expect.stringMatching(/holds 60 events, fewer than training.folds \(100\)/),
    });
    for (const e of located.events) {
      const table = await readTable(e.path);
      await writeTable(e.path, { ...table, columns: { ...table.columns, weight: new Float64Array(table.numRows) } });
    }
    await expect(loadTrainingData(located, FEATURES, 2)).rejects.toMatchObject({
      name: 'UserError',
      message: expect.stringMatching(/all have weight 0/),
    });
  });

  it('orders the samples by name, whatever order the inputs arrive in', () => {
    const reversed = findTrainingInputs('t', [...inputs].reverse());
    expect(reversed.events.map((e) => e.sample)).toEqual(['bkgA', 'bkgB']);
    expect(reversed.scalerArtifact).toBe('fitScaler/all');
  });
});
