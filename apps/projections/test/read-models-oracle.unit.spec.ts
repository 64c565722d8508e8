import fc from 'fast-check';
import { folded, killedInFlush, read } from './support/oracle-folds';
import { history, type Step } from './support/oracle-history';
import { expected } from './support/oracle-figures';

const steps = fc.array(fc.tuple(fc.nat(99), fc.nat(1000), fc.nat(1000), fc.nat(1000)), {
  minLength: 1,
  maxLength: 150,
  size: 'max',
}) as fc.Arbitrary<Step[]>;

describe('the read models’ money figures, against an oracle written from the documentation', () => {
  it('equal the oracle, folded in one pass, in batches, and resumed from KV at a cut', async () => {
    await fc.assert(
      fc.asyncProperty(steps, fc.array(fc.nat(400), { maxLength: 4 }), fc.nat(400), async (program, cuts, cut) => {
        const log = history(program);
        const want = expected(log);
        const onePass = read(await folded(log, []));
        expect(onePass).toEqual(want);
        expect(
          read(
            await folded(
              log,
              [...cuts].sort((x, y) => x - y),
            ),
          ),
        ).toEqual(want);
        const at = cut % log.length;
        const before = await folded(log.slice(0, at), []);
        expect(read(await folded(log, [], before, at))).toEqual(want);
        const [checkpoint, flushed] = [cut % log.length, (cut + (cuts[0] ?? 7)) % (log.length + 1)].sort(
          (x, y) => x - y,
        );
        expect(read(await killedInFlush(log, checkpoint!, flushed!, cuts[1] ?? 0))).toEqual(want);
      }),
      {
        numRuns: Number(process.env.ORACLE_RUNS ?? 200),
        // A fixed seed, so that every run checks the same histories; ORACLE_SEED (and ORACLE_RUNS) to look further.
        seed: Number(process.env.ORACLE_SEED ?? 20261205),
        ...(process.env.ORACLE_PATH ? { path: process.env.ORACLE_PATH } : {}),
        // Shrinking folds the log four times a try: bounded, so that a failure reports within a minute.
        interruptAfterTimeLimit: Number(process.env.ORACLE_MS ?? 60_000),
        markInterruptAsFailure: false,
        endOnFailure: process.env.ORACLE_NO_SHRINK === '1',
      },
    );
  });
});
