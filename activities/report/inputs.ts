// Opens what the report is made from: every scan artifact and every train artifact it depends on.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InputArtifact } from '../engine/context.js';
import { readScanFile, type ScanFile } from '../scan/format.js';
import { HISTORY_FILE, type ModelOutcome, type TrainSummary } from '../train/format.js';
import { parseHistory, type TrainingHistory } from './history.js';

export interface ReportModel extends ModelOutcome {
  history: TrainingHistory;
}

export interface ReportInputs {
  scans: ScanFile[];
  models: ReportModel[];
}

export async function loadReportInputs(inputs: InputArtifact[]): Promise<ReportInputs> {
  const scans = await Promise.all(inputs.filter((i) => i.kind === 'scan').map((i) => readScanFile(i.dir)));
  const models = await Promise.all(
    inputs
      .filter((i) => i.kind === 'train')
      .map(async (i) => {
        const { model, architecture, latentDim, background, axes, settings } = i.summary as unknown as TrainSummary;
        return {
          params: { model, architecture, latentDim, background, axes, settings },
          summary: i.summary,
          // A BDT has no epochs, so no history.
          history: parseHistory(existsSync(join(i.dir, HISTORY_FILE)) ? JSON.parse(await readFile(join(i.dir, HISTORY_FILE), 'utf8')) : []),
        };
      }),
  );
  return { scans, models };
}
