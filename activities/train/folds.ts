// K-fold split of one epoch's shuffled event order, as scikit-learn's KFold on shuffled
// data: fold sizes differ by at most one (the first n % k folds get the extra event).

export interface FoldSplit {
  train: Int32Array;
  validation: Int32Array;
}

export function foldBounds(rows: number, folds: number, fold: number): [number, number] {
  const base = Math.floor(rows / folds);
  const extra = rows % folds;
  const start = fold * base + Math.min(fold, extra);
  return [start, start + base + (fold < extra ? 1 : 0)];
}

/** Fold `fold` of `order` validates; the others, in `order`'s sequence, train. */
export function foldSplit(order: Int32Array, folds: number, fold: number): FoldSplit {
  const [start, end] = foldBounds(order.length, folds, fold);
  const train = new Int32Array(order.length - (end - start));
  train.set(order.subarray(0, start), 0);
  train.set(order.subarray(end), start);
  return { train, validation: order.slice(start, end) };
}
