/** Seeded random numbers for reproducible synthetic test data (mulberry32). */
export function randomSource(seed: number) {
  let state = seed >>> 0;
  const uniform01 = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform: (lo: number, hi: number) => lo + (hi - lo) * uniform01(),
    integer: (lo: number, hi: number) => lo + Math.floor((hi - lo + 1) * uniform01()),
    exponential: (mean: number) => -mean * Math.log(1 - uniform01()),
    normal: () => Math.sqrt(-2 * Math.log(1 - uniform01())) * Math.cos(2 * Math.PI * uniform01()),
    pick: <T>(items: readonly T[]) => items[Math.floor(items.length * uniform01())],
  };
}
