/**
 * A small seeded generator (mulberry32) for the seeded random logs of the close tests: the same seed, the same log.
 * Eleven lines kept here rather than fast-check's arbitraries: each log is drawn step by step from the state of the
 * day so far, and a failing seed is named by its number (in the test's title and in commit messages) and replayed as is.
 */
export function seeded(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (below: number) => Math.floor(next() * below) };
}
