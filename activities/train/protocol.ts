// Messages between runTrain (parent) and the training child process, over Node's IPC.
import type { Architecture, TrainingSettings } from '../../definitions/dag.js';
import type { TrainingInputs } from './data.js';
import type { BestEpoch, HistoryRow, Progress, StopReason } from './trainer.js';

export interface TrainJob {
  nodeId: string;
  model: string;
  architecture: Architecture;
  latentDim: number;
  features: string[];
  settings: TrainingSettings;
  inputs: TrainingInputs;
  checkpointPath: string;
  outDir: string;
}

/** What the child reports when training is over and the model is written. */
export interface TrainResult {
  bestEpoch: number;
  valLoss: number;
  valMse: number;
  valKl: number;
  epochs: number;
  seconds: number;
  backend: string;
  stopReason: StopReason;
  events: number;
}

export type ParentMessage = { type: 'start'; job: TrainJob } | { type: 'stop' };

export type ChildMessage =
  | { type: 'started'; backend: string; epochsDone: number; events: number }
  | { type: 'epoch'; row: HistoryRow; best: BestEpoch }
  | { type: 'progress'; progress: Progress }
  | { type: 'log'; message: string }
  | { type: 'stopped'; epoch: number; fold: number; step: number }
  | { type: 'done'; result: TrainResult }
  | { type: 'failed'; userError: boolean; message: string; stack?: string };
