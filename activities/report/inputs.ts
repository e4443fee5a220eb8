// Opens what the report is made from: every scan artifact and every train artifact it depends on.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainParams } from '../../definitions/dag.js';
import type { InputArtifact } from '../context.js';
import type { TrainedModel } from '../model-rows.js';
import { readScanFile, type ScanFile } from '../scan-format.js';
import { parseHistory, type TrainingHistory } from './history.js';

export const HISTORY_FILE = 'history.json';

export interface ReportModel extends TrainedModel {
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
      .map(async (i) => ({
        params: i.params as TrainParams,
        summary: i.summary,
        history: parseHistory(JSON.parse(await readFile(join(i.dir, HISTORY_FILE), 'utf8'))),
      })),
  );
  return { scans, models };
}
