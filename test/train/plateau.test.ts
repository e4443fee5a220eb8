import { describe, expect, it } from 'vitest';
import { PlateauScheduler } from '../../activities/train/plateau.js';

describe('ReduceLROnPlateau (PyTorch semantics: min, rel threshold, cooldown 0)', () => {
  it('follows a hand-worked sequence', () => {
    // patience 2, factor 0.1, threshold 0.1 (relative), minLr 1e-4. An epoch is better when
    // loss < best * 0.9; after 3 (> patience) epochs that are not, lr is cut, and with
    // cooldown 0 the count restarts at once.
    const scheduler = new PlateauScheduler({ factor: 0.1, patience: 2, threshold: 0.1, minLr: 1e-4 });
    const steps: [number, number][] = [
      [10, 1], // first epoch: best = 10
      [9.5, 1], // 9.5 >= 9: bad 1
      [8.9, 1], // 8.9 < 9: best = 8.9
      [8.9, 1], // bad 1
      [8.5, 1], // 8.5 >= 8.01: bad 2
      [8.2, 0.1], // bad 3 > 2: reduce, bad = 0
      [8.1, 0.1], // bad 1 (best still 8.9)
      [8.0, 0.1], // 8.0 < 8.01: best = 8.0
      [8.0, 0.1], // bad 1
      [8.0, 0.1], // bad 2
      [8.0, 0.01], // bad 3: reduce
      [8.0, 0.01],
      [8.0, 0.01],
      [8.0, 0.001], // reduce again three epochs later (no cooldown)
      [8.0, 0.001],
      [8.0, 0.001],
      [8.0, 1e-4], // max(1e-4, 1e-4)
      [8.0, 1e-4],
      [8.0, 1e-4],
      [8.0, 1e-4], // at minLr: no change
    ];
    let lr = 1;
    steps.forEach(([loss, expected], i) => {
      lr = scheduler.step(loss, lr);
      expect(lr, `epoch ${i + 1}`).toBeCloseTo(expected, 12);
    });
  });

  it('counts a relative improvement below the threshold as no improvement', () => {
    const scheduler = new PlateauScheduler({ factor: 0.1, patience: 0, threshold: 1e-4, minLr: 0 });
    expect(scheduler.step(1.0, 1e-3)).toBe(1e-3);
    expect(scheduler.step(0.99995, 1e-3)).toBeCloseTo(1e-4, 15); // 0.99995 >= 0.9999: bad 1 > 0
    expect(scheduler.step(0.9998, 1e-4)).toBe(1e-4); // 0.9998 < 0.9999: better
  });

  it('resumes from a snapshot exactly', () => {
    const a = new PlateauScheduler({ factor: 0.5, patience: 1, threshold: 0, minLr: 0 });
    a.step(1, 1);
    a.step(2, 1);
    const b = new PlateauScheduler({ factor: 0.5, patience: 1, threshold: 0, minLr: 0 }, a.snapshot());
    expect(b.step(2, 1)).toBe(0.5);
    expect(a.step(2, 1)).toBe(0.5);
  });
});
