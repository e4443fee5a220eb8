// Learning-rate reduction on a plateau of the validation loss, with the semantics of
// PyTorch's ReduceLROnPlateau as the thesis used it: mode 'min', threshold_mode 'rel',
// cooldown 0. An epoch counts as better only when loss < best * (1 - threshold); after more
// than `patience` epochs that are not better, lr becomes max(lr * factor, minLr).

export interface PlateauOptions {
  factor: number;
  patience: number;
  threshold: number;
  minLr: number;
}

/** JSON-safe (best is null before the first epoch, where PyTorch has +inf). */
export interface PlateauState {
  best: number | null;
  badEpochs: number;
}

/** PyTorch skips reductions smaller than this (its `eps`). */
const MIN_LR_CHANGE = 1e-8;

export class PlateauScheduler {
  private readonly options: PlateauOptions;
  private state: PlateauState;

  constructor(options: PlateauOptions, state: PlateauState = { best: null, badEpochs: 0 }) {
    this.options = options;
    this.state = { ...state };
  }

  /** Feeds one epoch's validation loss; returns the learning rate for the next epoch. */
  step(loss: number, lr: number): number {
    const { best } = this.state;
    if (best === null || loss < best * (1 - this.options.threshold)) {
      this.state = { best: loss, badEpochs: 0 };
    } else {
      this.state = { best, badEpochs: this.state.badEpochs + 1 };
    }
    if (this.state.badEpochs <= this.options.patience) return lr;
    this.state = { ...this.state, badEpochs: 0 };
    const reduced = Math.max(lr * this.options.factor, this.options.minLr);
    return lr - reduced > MIN_LR_CHANGE ? reduced : lr;
  }

  snapshot(): PlateauState {
    return { ...this.state };
  }
}
