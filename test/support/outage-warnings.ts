import type { LoggedLine } from './logged-lines';

/**
 * The lines `msg` among `warnings` of an outage of 300 failures a second apart, as `OutageWarnings` says them: ten,
 * the first at once and the others after pauses doubling from a second up to a minute (0, 1, 3, … 243 s after the
 * first), each counting the failures since the line before, each with the closed NATS connection's error.
 */
export function backedOffLines(warnings: readonly LoggedLine[], msg: string): LoggedLine[] {
  const said = warnings.filter((line) => line.msg === msg);
  expect(said.length).toBe(10);
  expect(said.map(({ fields }) => (fields.failingForMs as number) / 1_000)).toEqual([
    0, 1, 3, 7, 15, 31, 63, 123, 183, 243,
  ]);
  expect(said.map(({ fields }) => fields.failedSinceLastLine)).toEqual([1, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
  for (const { fields } of said) expect(String(fields.err)).toMatch(/closed/i);
  return said;
}
