import { handleCommand } from '@app/event-store';
import { addDays, terminalDecider, terminalStream, type CloseGivenUpData as GivenUp } from '@app/payment-domain';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startNightlyCloser, type RunningIngestService } from '../../../test/support/ingest-service';
import { registerLongAgo } from '../../../test/support/registered-long-ago';
import { setCloseTime, twoDays } from '../../../test/support/nightly-close-history';

const STORE = 'nb-store';
const TERMINAL = 'NB-1';

/**
 * A close held up by a busy terminal leaves nothing in the log. When the closer is restarted after the terminal's next
 * day's close fell due, the earlier close is given up as held up by a busy terminal (NATS kept that), once between
 * two instances. It was known only in memory, and a restart dropped it: its day never said it was not closed.
 */
describe('the nightly close held up by a busy terminal, across a restart', () => {
  let engine: Engine;
  const closers: RunningIngestService[] = [];
  const plan = twoDays(Date.now());

  const closeStoreAt = (endOfDayTime: string) =>
    setCloseTime(engine.log, { storeId: STORE, timeZone: plan.timeZone }, endOfDayTime);

  beforeAll(async () => {
    engine = await startEngine({ sim: { SIM_OPERATION_DELAY_MS: '100' } });
    await registerLongAgo(engine.log, STORE, [TERMINAL]);
    await closeStoreAt(plan.first);
    await engine.sim.control('POST', '/seed', {
      payoutDestinations: ['seller-1'],
      stores: [{ id: STORE, payout_destination_id: 'seller-1' }],
      terminals: [{ terminal_id: TERMINAL, store_id: STORE }],
    });
    // A payment holds the terminal for the next hour.
    const now = Date.now();
    await handleCommand(
      engine.log,
      terminalStream(TERMINAL),
      terminalDecider,
      {
        type: 'ClaimTerminal',
        data: {
          terminalId: TERMINAL,
          claimId: 'nb-payment',
          kind: 'payment',
          paymentId: 'nb-payment',
          storeId: STORE,
          claimedAt: new Date(now).toISOString(),
          expiresAt: new Date(now + 3_600_000).toISOString(),
        },
      },
      { metadata: { correlationId: 'test' } },
    );
  }, 60_000);
  afterAll(async () => {
    for (const closer of closers) await closer.close();
    await engine.close();
  });

  const givenUp = async () =>
    (await engine.log.readAll({ limit: 10_000 }))
      .filter((event) => event.type === 'CloseGivenUp')
      .map((event) => event.data as GivenUp);
  const metric = async (closer: RunningIngestService, label: string) => {
    const text = await (await fetch(`${closer.url}/metrics`)).text();
    const line = new RegExp(`^payments_nightly_closes_total\\{[^}]*${label}[^}]*\\} (\\d+)$`, 'm').exec(text);
    return Number(line?.[1] ?? 0);
  };

  it('gives the close up as held up by a busy terminal, once between two restarted instances', async () => {
    // Short leases: the restarted closers take the close over at once.
    const env = { RECONCILER_LEASE_SECONDS: '1' };
    const first = await startNightlyCloser(engine, env);
    closers.push(first);
    await waitUntil(
      async () => (await metric(first, 'result="busy"')) > 0,
      20_000,
      'the close found the terminal busy',
    );
    // Stopped with the close known busy; the next day's close falls due while it is down.
    await closers.pop()!.close();
    await closeStoreAt(plan.second);
    const restartedAt = Date.now();
    closers.push(await startNightlyCloser(engine, env), await startNightlyCloser(engine, env));

    await waitUntil(async () => (await givenUp()).length > 0, 20_000, 'the busy day given up');
    // The next day's close is found busy on both, after which a second give-up would have been made.
    await waitUntil(
      async () => (await metric(closers[0]!, 'result="busy"')) + (await metric(closers[1]!, 'result="busy"')) > 0,
      20_000,
      'the next day’s close tried',
    );
    const all = await givenUp();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ storeId: STORE, terminalId: TERMINAL, businessDay: plan.day, attempts: 1 });
    expect(Date.parse(all[0]!.at)).toBeGreaterThanOrEqual(restartedAt);
    expect(all[0]!.reason).toBe(
      `the close of ${addDays(plan.day, 1)} fell due before it could be tried again (the terminal was busy); found late, at ${all[0]!.at}`,
    );
    expect((await metric(closers[0]!, 'result="given_up"')) + (await metric(closers[1]!, 'result="given_up"'))).toBe(1);
  }, 90_000);
});
