import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { sqliteFile } from '../../../libs/event-store/test/fixtures/sqlite-file';
import { loggedLines } from '../../../test/support/logged-lines';
import { backedOffLines } from '../../../test/support/outage-warnings';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/projections';
import { CheckpointKeeper, type FollowedTo } from '../src/checkpoints/checkpoint-keeper';
import { LogCheckpoints } from '../src/checkpoints/log-checkpoints';
import { RECONCILER_CHECKPOINT } from '../src/reconciler/reconciler-checkpoints';

/** Longer than the test: no save on the keeper's own timer while the test makes them. */
const NO_TIMED_SAVE_MS = 3_600_000;

/**
 * A worker's checkpoint (the reconciler's, the nightly close's) is saved every RECONCILER_CHECKPOINT_SECONDS (or
 * NIGHTLY_CLOSE_CHECKPOINT_SECONDS) when the log moved since the last save. While NATS was gone each save failed and
 * was a warning, for as long as the outage lasted. Now they back off as the projector's lease's do
 * (`OutageWarnings`). The checkpoints' NATS connection is closed; the clock is the test's, a save a second (the
 * shortest setting), each after the log moved: no sleeps.
 */
describe('a worker’s checkpoint saves while NATS is gone', () => {
  const prefix = uniquePrefix();
  const log = sqliteFile('checkpoint-warnings');
  let nats: NatsConnection;
  beforeAll(async () => {
    // Gathered (`loggedLines`), not printed: before, this test printed 300 warnings.
    Logger.overrideLogger(false);
    nats = await connect({ servers: NATS_URL });
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await nats.close();
    await removeNatsState(prefix);
  });

  it('says the first failed save, then at doubling intervals up to a minute with how many failed since, and the next save once', async () => {
    const gone = await connect({ servers: NATS_URL });
    let clock = 1_000_000;
    const keeper = await CheckpointKeeper.open(
      {
        kind: RECONCILER_CHECKPOINT,
        natsPrefix: prefix,
        everyMs: NO_TIMED_SAVE_MS,
        snapshot: () => ({ folded: true }),
        restore: () => undefined,
        now: () => clock,
      },
      'log-of-this-test',
      log.open(),
      gone,
      new Logger('ReconcilerService'),
    );
    const followed: { position: bigint; mark: FollowedTo['mark'] } = { position: 0n, mark: undefined };
    keeper.keep(followed);
    await gone.close();
    const warnings = loggedLines('warn');
    const lines = loggedLines('log');
    const failed = 'could not save the reconciler checkpoint';

    try {
      // Five minutes of NATS gone, a save a second, the log moved before each: 300 failed saves.
      for (let save = 0; save < 300; save++, clock += 1_000) {
        followed.position += 1n;
        await keeper.save();
      }
      const said = backedOffLines(warnings, failed);
      expect(warnings).toHaveLength(said.length);

      // NATS answers again: the next save is said once, with the whole outage, and no more after.
      (keeper as unknown as { checkpoints: LogCheckpoints<object> }).checkpoints = await LogCheckpoints.open(
        nats,
        prefix,
        RECONCILER_CHECKPOINT,
        undefined,
      );
      for (let save = 0; save < 2; save++, clock += 1_000) {
        followed.position += 1n;
        await keeper.save();
      }
      expect(lines.map(({ msg }) => msg)).toEqual(['the reconciler checkpoint saved again: NATS answers again']);
      expect(lines.map(({ fields }) => fields)).toEqual([
        { position: '301', failures: 300, failedSinceLastLine: 56, failingForMs: 300_000 },
      ]);
      expect(warnings).toHaveLength(said.length);
    } finally {
      await keeper.stop();
    }
  });

  it('says a save refused for what the snapshot holds at once, even while NATS is gone, and keeps it out of the outage', async () => {
    const gone = await connect({ servers: NATS_URL });
    const clock = 1_000_000;
    let folded = 1;
    const keeper = await CheckpointKeeper.open(
      {
        kind: RECONCILER_CHECKPOINT,
        natsPrefix: prefix,
        everyMs: NO_TIMED_SAVE_MS,
        snapshot: () => ({ folded }),
        restore: () => undefined,
        now: () => clock,
      },
      'log-of-this-test-refused',
      log.open(),
      gone,
      new Logger('ReconcilerService'),
    );
    const followed: { position: bigint; mark: FollowedTo['mark'] } = { position: 0n, mark: undefined };
    keeper.keep(followed);
    await gone.close();
    const warnings = loggedLines('warn');
    const save = async () => {
      followed.position += 1n;
      await keeper.save();
    };

    try {
      // NATS gone: the first failed save is said, the next two (within the pause) are not.
      for (let failed = 0; failed < 3; failed++) await save();
      expect(warnings.map(({ fields }) => String(fields.err))).toEqual([expect.stringMatching(/closed/i)]);

      // A snapshot JSON cannot keep (a bug, not NATS): refused before NATS is asked, and said at once, every time,
      // as before the saves backed off; a line hidden in the outage's pause would leave it unsaid for up to a minute.
      folded = Number.NaN;
      await save();
      await save();
      expect(warnings.slice(1).map(({ fields }) => String(fields.err))).toEqual([
        expect.stringMatching(/would not keep NaN/),
        expect.stringMatching(/would not keep NaN/),
      ]);
      expect(warnings[1]!.fields).not.toHaveProperty('failedSinceLastLine');

      // The outage goes on as it was: its next failure is still within its pause, unsaid.
      folded = 2;
      await save();
      expect(warnings).toHaveLength(3);
    } finally {
      await keeper.stop();
    }
  });
});
