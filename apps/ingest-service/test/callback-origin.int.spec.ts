import type { Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@app/platform';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { loggedLines, type LoggedLine } from '../../../test/support/logged-lines';

/**
 * Command and ingest services given different `INGEST_PUBLIC_URL`s (here ingest believes itself at another host than
 * the one the command service builds callback URLs on, and listens where the command service says): ingest takes none
 * of this engine's payments for its own, by their callback URL. Its payments' transactions tell it: each is counted,
 * and the first logged as an error naming both origins.
 */
const mismatchesOf = async (engine: Engine) =>
  (
    await engine.ingest.app
      .get<Registry>(METRICS_REGISTRY)
      .getSingleMetric('payments_callback_origin_mismatches_total')!
      .get()
  ).values[0]?.value ?? 0;

async function capturedOn(engine: Engine, terminalId: string): Promise<string> {
  await engine.terminals('origin-store', terminalId);
  const { paymentId } = (await engine.start('origin-store', terminalId, 10_000)) as { paymentId: string };
  await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
  await engine.waitForPayment(paymentId, (s) => s.status === 'captured', 'the capture');
  // Every delivery of it answered: its transaction recorded and checked, by the callback and the webhooks both.
  await engine.terminalFree(terminalId);
  return paymentId;
}

describe('command and ingest services given the same INGEST_PUBLIC_URL', () => {
  let engine: Engine;
  beforeAll(async () => (engine = await startEngine()));
  afterAll(() => engine.close());

  it('count no transaction of their payments as at another origin', async () => {
    await capturedOn(engine, 'CO-same');
    // Recorded from the transaction (the callback's fetch, or the webhook's): checked, and of this engine's origin.
    expect(await mismatchesOf(engine)).toBe(0);
  }, 60_000);
});

describe('a command service given another INGEST_PUBLIC_URL than ingest', () => {
  let engine: Engine;
  let errors: LoggedLine[] = [];
  let terminalNo = 0;

  beforeAll(async () => {
    errors = loggedLines('error');
    engine = await startEngine({ ingest: { INGEST_PUBLIC_URL: 'http://ingest-b.example:3001' } });
  });
  afterAll(async () => {
    await engine.close();
    jest.restoreAllMocks();
  });

  const mismatches = () => mismatchesOf(engine);
  const captured = () => capturedOn(engine, `CO-${++terminalNo}`);

  it('counts each transaction of its payments at the other origin, and logs the first as an error naming both', async () => {
    const commandOrigin = new URL(engine.ingest.url).origin;
    const first = await captured();
    expect(await mismatches()).toBeGreaterThanOrEqual(1);
    const said = errors.filter((line) => line.fields.callbackOrigin !== undefined);
    expect(said).toEqual([
      {
        fields: expect.objectContaining({
          paymentId: first,
          callbackOrigin: commandOrigin,
          ingestOrigin: 'http://ingest-b.example:3001',
        }) as unknown,
        msg: expect.stringContaining(`carry callback URLs at ${commandOrigin}`) as unknown,
      },
    ]);

    const before = await mismatches();
    await captured();
    // Its check follows its recording, which the wait above may see first.
    await waitUntil(async () => (await mismatches()) > before, 10_000, 'the second payment counted');
    // Once: the same origin is not logged again.
    expect(errors.filter((line) => line.fields.callbackOrigin !== undefined)).toHaveLength(1);
  }, 60_000);
});
