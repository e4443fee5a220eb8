// Where a running training stands, as its train runner reports it once per epoch: the
// training workflow shows it as its current details in the Temporal UI and answers the
// `trainingProgress` query with it, and `sweep status` and the progress view print it.
// Pure data and formatting, shared by the runner, the workflow and the client.

export interface TrainingProgress {
  /** Epochs completed (and checkpointed); 0 while the first one runs. */
  epoch: number;
  /** training.epochs: the most epochs this training may run. */
  maxEpochs: number;
  /** Best validation loss so far and its epoch; null before the first epoch ends. */
  bestLoss: number | null;
  bestEpoch: number | null;
  /** Learning rate of the next epoch (the plateau scheduler may have lowered it). */
  lr: number;
  /** Events through an optimiser step per second of the last epoch; null before the first epoch ends. */
  eventsPerSecond: number | null;
  /**
   * Seconds left at most: the epochs up to maxEpochs at the mean epoch time so far (early
   * stopping may end the training sooner); null before the first epoch ends.
   */
  etaSeconds: number | null;
  backend: string;
  /** When the runner sent it (ISO time), so a later reader can count the ETA down. */
  at: string;
}

/**
 * One line, e.g. `epoch 12/40, best val loss 0.03121 (epoch 11), lr 1.0e-3, 41.2k events/s,
 * ETA ≤ 2 min 10 s`. With `nowMs` the ETA counts down from the time of the report.
 */
export function describeTrainingProgress(p: TrainingProgress, nowMs?: number): string {
  if (p.epoch === 0) return `epoch 1/${p.maxEpochs} running on ${p.backend}, lr ${p.lr.toExponential(1)}`;
  const parts = [`epoch ${p.epoch}/${p.maxEpochs}`];
  if (p.bestLoss !== null) parts.push(`best val loss ${p.bestLoss.toPrecision(4)} (epoch ${p.bestEpoch})`);
  parts.push(`lr ${p.lr.toExponential(1)}`);
  if (p.eventsPerSecond !== null) parts.push(`${compactCount(p.eventsPerSecond)} events/s`);
  if (p.etaSeconds !== null) {
    const elapsed = nowMs === undefined ? 0 : Math.max(0, (nowMs - Date.parse(p.at)) / 1000);
    parts.push(`ETA ≤ ${formatDuration(Math.max(0, p.etaSeconds - elapsed))}`);
  }
  return parts.join(', ');
}

/** 41234 -> `41.2k`, 1234567 -> `1.23M`, 950 -> `950`. */
function compactCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toPrecision(3)}M`;
  if (n >= 1e3) return `${(n / 1e3).toPrecision(3)}k`;
  return String(Math.round(n));
}

/** 42 -> `42 s`, 130 -> `2 min 10 s`, 7260 -> `2 h 01 min`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}
