// Reads a train artifact's history.json (per epoch: loss terms, learning rate, seconds) into
// long-form points for the training-curve plots. Every numeric field that is not the epoch,
// the learning rate or a timing is a loss term, nested objects flattened as `val.mse`, so new
// terms appear in the report without a change here.

export interface LossPoint {
  epoch: number;
  term: string;
  value: number;
}

export interface TrainingHistory {
  losses: LossPoint[];
  lr: { epoch: number; value: number }[];
}

const EPOCH_KEYS = new Set(['epoch']);
const LR_KEYS = new Set(['lr', 'learningRate']);
const TIMING_KEYS = new Set(['seconds', 'time', 'elapsed', 'duration']);

export function parseHistory(raw: unknown): TrainingHistory {
  const epochs = Array.isArray(raw) ? raw : isRecord(raw) && Array.isArray(raw.epochs) ? raw.epochs : [];
  const history: TrainingHistory = { losses: [], lr: [] };
  epochs.forEach((record: unknown, index) => {
    if (!isRecord(record)) return;
    const epoch = typeof record.epoch === 'number' ? record.epoch : index + 1;
    for (const [key, value] of Object.entries(record)) {
      if (EPOCH_KEYS.has(key) || TIMING_KEYS.has(key)) continue;
      if (LR_KEYS.has(key) && typeof value === 'number') history.lr.push({ epoch, value });
      else for (const [term, number] of numericLeaves(key, value)) history.losses.push({ epoch, term, value: number });
    }
  });
  return history;
}

function numericLeaves(prefix: string, value: unknown): [string, number][] {
  if (typeof value === 'number' && Number.isFinite(value)) return [[prefix, value]];
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, inner]) => (TIMING_KEYS.has(key) ? [] : numericLeaves(`${prefix}.${key}`, inner)));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
