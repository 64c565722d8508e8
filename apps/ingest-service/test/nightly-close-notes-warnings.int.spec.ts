import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { paymentMetrics } from '@app/platform';
import { sqliteFile } from '../../../libs/event-store/test/fixtures/sqlite-file';
import { loggedLines } from '../../../test/support/logged-lines';
import { backedOffLines } from '../../../test/support/outage-warnings';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/projections';
import { CloseStartFailures } from '../src/fleet/close-start-failures';
import type { LeasedLogDependencies } from '../src/fleet/leased-log-worker';
import { KEEP_DAYS_MS, NightlyCloseIndex } from '../src/fleet/nightly-close-index';
import { NightlyCloseWriter } from '../src/fleet/nightly-close.writer';

/**
 * The nightly close reads the notes it keeps in NATS (`CloseStartFailures`: an attempt's failed starts, a busy
 * terminal) for each terminal's missed day in every round (every NIGHTLY_CLOSE_CHECK_MS, 10 s by default), and before
 * each close it starts. While NATS was gone each read that failed was a warning, and so was each failed opening of
 * the notes' bucket (tried again at every read when NATS was gone from the start): every terminal with a missed day,
 * every round, for as long as the outage lasted. Now they back off as the projector's lease's do (`OutageWarnings`).
 * NATS gone is a closed connection; the clock is the test's, a read a second: no sleeps.
 */
describe('the nightly close’s warnings of its notes in NATS while NATS is gone', () => {
  const prefix = uniquePrefix();
  const log = sqliteFile('nightly-close-notes-warnings');
  let nats: NatsConnection;
  beforeAll(async () => {
    // Gathered (`loggedLines`), not printed: before, this test printed 600 warnings.
    Logger.overrideLogger(false);
    nats = await connect({ servers: NATS_URL });
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await nats.close();
    await removeNatsState(prefix);
  });

  /** The writer as `NightlyClose` makes it, on `connection`, with the test's clock. */
  const writerOn = (connection: NatsConnection, now: () => number) =>
    new NightlyCloseWriter(
      {
        store: log.open(),
        nats: connection,
        config: { natsPrefix: prefix, natsReplicas: undefined },
      } as unknown as LeasedLogDependencies,
      paymentMetrics(new Registry()),
      new Logger('NightlyClose'),
      new NightlyCloseIndex(),
      now,
    );
  const day = { storeId: 's1', terminalId: 't1', businessDay: '2026-12-06' };

  it('says the first failed read of the notes, then at doubling intervals up to a minute, and the next read once', async () => {
    const gone = await connect({ servers: NATS_URL });
    let clock = 1_000_000;
    const writer = writerOn(gone, () => clock);
    // The bucket opened while NATS answered; then NATS is gone.
    expect(await writer.notesOf('op-0', day)).toEqual({ count: 0, reason: '' });
    await gone.close();
    const warnings = loggedLines('warn');
    const lines = loggedLines('log');

    for (let round = 0; round < 300; round++, clock += 1_000) expect(await writer.notesOf('op-1', day)).toBeNull();
    const said = backedOffLines(warnings, 'could not read a nightly close’s notes');
    for (const { fields } of said) expect(fields).toMatchObject(day);
    expect(warnings).toHaveLength(said.length);

    // NATS answers again: the next read is said once, with the whole outage.
    (writer as unknown as { failures: Promise<CloseStartFailures> }).failures = CloseStartFailures.open(
      nats,
      prefix,
      KEEP_DAYS_MS,
      undefined,
    );
    expect(await writer.notesOf('op-1', day)).toEqual({ count: 0, reason: '' });
    clock += 1_000;
    expect(await writer.notesOf('op-1', day)).toEqual({ count: 0, reason: '' });
    expect(lines.map(({ fields }) => fields)).toEqual([
      { failures: 300, failedSinceLastLine: 56, failingForMs: 300_000 },
    ]);
    expect(warnings).toHaveLength(said.length);
  });

  it('says the first failed opening of the notes’ bucket, then at doubling intervals up to a minute', async () => {
    const gone = await connect({ servers: NATS_URL });
    await gone.close();
    let clock = 1_000_000;
    const writer = writerOn(gone, () => clock);
    const warnings = loggedLines('warn');

    // NATS gone from the start: each read tries to open the bucket again, and counts in memory.
    for (let round = 0; round < 300; round++, clock += 1_000) expect(await writer.notesOf('op-1', day)).toBeUndefined();
    const said = backedOffLines(warnings, 'could not open the nightly close’s failed starts (NATS): counted in memory');
    expect(warnings).toHaveLength(said.length);
  });
});
