import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { loggedLines } from '../../../test/support/logged-lines';
import { backedOffLines } from '../../../test/support/outage-warnings';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/projections';
import { PaymentLeases } from '../src/reconciler/payment-leases';
import { SettleLeases } from '../src/reconciler/settle-leases';

/**
 * The reconciler takes a due payment's lease before each look, and keeps it until the next look after it
 * (`PaymentLeases`, in each `ReconcilerRound`); without NATS it looks all the same. While NATS was gone each take and
 * each keep was a warning: two for every look at every due payment (each one still open at Dintero looked at again
 * within five minutes at most), for as long as the outage lasted. Now each backs off as the projector's lease's do
 * (`OutageWarnings`). The leases are on a NATS connection since closed; the clock is the test's: no sleeps.
 */
describe('the reconciler’s warnings of due payments’ leases while NATS is gone', () => {
  const prefix = uniquePrefix();
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

  const notTaken = 'could not take the lease on a due payment: looking at it anyway';
  const notKept = 'could not keep the lease until the next look';

  it('says the first failure of each, then at doubling intervals up to a minute with how many failed since, and the end once', async () => {
    const gone = await connect({ servers: NATS_URL });
    let leases = await SettleLeases.open(gone, prefix, 30_000);
    await gone.close();
    let clock = 1_000_000;
    const payments = new PaymentLeases(
      () => leases,
      new Logger('ReconcilerService'),
      () => clock,
    );
    const warnings = loggedLines('warn');
    const lines = loggedLines('log');

    // Five minutes of NATS gone, a payment looked at a second: 300 takes and 300 keeps, each failed.
    for (let look = 0; look < 300; look++, clock += 1_000) {
      expect(await payments.mayLookAt(`p${look}`)).toBe(true);
      await payments.holdUntil(`p${look}`, Date.now() + 60_000);
    }
    for (const msg of [notTaken, notKept]) {
      const said = backedOffLines(warnings, msg);
      // Each names the payment of the failure it says, and the reconciler's correlation id.
      expect(said.map(({ fields }) => fields.paymentId)).toEqual(
        [0, 1, 3, 7, 15, 31, 63, 123, 183, 243].map((look) => `p${look}`),
      );
      for (const { fields } of said) {
        expect(fields.correlationId).toBe('reconciler');
        expect(String(fields.err)).toMatch(/closed/i);
      }
    }
    expect(warnings).toHaveLength(20);

    // NATS answers again: the next take and keep are said once each, with the whole outage, and no more after.
    leases = await SettleLeases.open(nats, prefix, 30_000);
    for (const paymentId of ['back', 'again']) {
      expect(await payments.mayLookAt(paymentId)).toBe(true);
      await payments.holdUntil(paymentId, Date.now() + 60_000);
      clock += 1_000;
    }
    expect(lines.map(({ msg }) => msg)).toEqual([
      'due payments’ leases taken again: NATS answers again',
      'due payments’ leases kept again: NATS answers again',
    ]);
    expect(lines.map(({ fields }) => fields)).toEqual([
      { correlationId: 'reconciler', paymentId: 'back', failures: 300, failedSinceLastLine: 56, failingForMs: 300_000 },
      { correlationId: 'reconciler', paymentId: 'back', failures: 300, failedSinceLastLine: 56, failingForMs: 300_000 },
    ]);
    expect(warnings).toHaveLength(20);
  });
});
