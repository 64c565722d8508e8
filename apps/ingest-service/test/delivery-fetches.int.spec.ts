import { randomUUID } from 'node:crypto';
import { signWebhook } from '@app/dintero';
import { handleCommand } from '@app/event-store';
import { paymentDecider, paymentStream } from '@app/payment-domain';
import { SimulatorState } from '../../dintero-simulator/src/state/simulator-state';
import { withoutInternals } from '../../dintero-simulator/src/terminals/transaction-records';
import { startEngine, WEBHOOK_SECRET, type Engine } from '../../../test/support/engine';
import { paidUnheard as paidUnheardAt } from '../../../test/support/unheard-payment';
import { signedCallback } from '../../../test/support/signed-callback';

const ACCOUNT = 'T12345678';

/**
 * A payment is reported by three deliveries at once (its callback and two webhooks), and each asked Dintero for the
 * transaction again. A webhook whose body claims exactly what was fetched and recorded last, with nothing written to
 * the payment since, is answered without asking; every other claim is fetched, and the log is Dintero's truth.
 */
describe('ingest: a delivery that carries no news is answered without asking Dintero again', () => {
  let engine: Engine;
  let terminalNo = 0;

  beforeAll(async () => {
    engine = await startEngine();
  });
  afterAll(() => engine.close());

  const types = async (paymentId: string) =>
    (await engine.log.readStream(paymentStream(paymentId))).map((event) => event.type);
  /** The transaction fetches the engine made so far (Dintero's API, as its metrics count them). */
  const fetches = async () => {
    const text = await (await fetch(`${engine.ingest.url}/metrics`)).text();
    const line = text
      .split('\n')
      .find(
        (each) =>
          each.startsWith('payments_dintero_request_seconds_count{') &&
          each.includes('operation="getTransaction"') &&
          each.includes('outcome="ok"'),
      );
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  };
  const paidUnheard = () => paidUnheardAt(engine, 'oslo-center', `F-${++terminalNo}`);
  /** The transaction as Dintero's API shows it now: what a webhook's body carries. */
  const asDinteroHasIt = (tx: Parameters<typeof withoutInternals>[0]) =>
    JSON.parse(JSON.stringify(withoutInternals(tx))) as Record<string, unknown> & { id: string };

  const callback = async (paymentId: string, transactionId: string) => {
    const { url, headers } = signedCallback(engine.ingest.url, ACCOUNT, {
      payment_id: paymentId,
      transaction_id: transactionId,
    });
    const response = await fetch(url, { headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const webhook = async (event: 'checkout_transaction' | 'checkout_authorization', transaction: { id: string }) => {
    const body = JSON.stringify({
      account_id: ACCOUNT,
      event,
      event_delivery: randomUUID(),
      transaction,
      ...(event === 'checkout_authorization'
        ? { authorization: { merchant_reference: 'POS-1', transaction_id: transaction.id } }
        : {}),
    });
    const response = await fetch(`${engine.ingest.url}/v1/dintero/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'event-signature': signWebhook(body, WEBHOOK_SECRET) },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('the webhooks after the callback that recorded the capture: answered without a fetch', async () => {
    const { paymentId, tx } = await paidUnheard();
    const before = await fetches();
    expect((await callback(paymentId, tx.id)).body).toMatchObject({ recorded: ['PaymentCaptured'] });
    const claim = asDinteroHasIt(tx);
    expect(await webhook('checkout_authorization', claim)).toEqual({
      status: 200,
      body: { paymentId, recorded: [], status: 'captured' },
    });
    expect(await webhook('checkout_transaction', claim)).toEqual({
      status: 200,
      body: { paymentId, recorded: [], status: 'captured' },
    });
    expect((await fetches()) - before).toBe(1);
  });

  it('the three deliveries of a capture at once: one PaymentCaptured, and a fetch for the callback and at most one webhook', async () => {
    const { paymentId, tx } = await paidUnheard();
    const claim = asDinteroHasIt(tx);
    const before = await fetches();
    // A webhook that comes while a fetch of its transaction is under way waits for it, then compares.
    const answers = await Promise.all([
      callback(paymentId, tx.id),
      webhook('checkout_authorization', claim),
      webhook('checkout_transaction', claim),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect((await types(paymentId)).filter((type) => type === 'PaymentCaptured')).toHaveLength(1);
    expect((await fetches()) - before).toBeLessThanOrEqual(2);
  });

  it('a claim that differs from what was recorded in any field is fetched, and only Dintero’s answer recorded', async () => {
    const { paymentId, tx } = await paidUnheard();
    await callback(paymentId, tx.id);
    const before = await fetches();
    // A body claiming a refund Dintero has not made: asked, and nothing recorded.
    const forged = { ...asDinteroHasIt(tx), status: 'REFUNDED' };
    expect(await webhook('checkout_transaction', forged)).toMatchObject({ status: 200, body: { recorded: [] } });
    expect((await fetches()) - before).toBe(1);
    // A field this engine does not read differs: fetched too.
    const other = { ...asDinteroHasIt(tx), payout_destination_id: 'another' };
    expect(await webhook('checkout_transaction', other)).toMatchObject({ status: 200, body: { recorded: [] } });
    expect((await fetches()) - before).toBe(2);
    expect(await types(paymentId)).not.toContain('ExternalRefundRecorded');
  });

  it('a refund made at Dintero since: its delivery is fetched and recorded, and the same claim again is not', async () => {
    const { paymentId, tx } = await paidUnheard();
    await callback(paymentId, tx.id);
    // A refund made in Dintero's Backoffice, as Dintero's transaction then shows it.
    const refund = engine.sim.app.get(SimulatorState).transactions.get(tx.id)! as unknown as {
      events: Record<string, unknown>[];
      status: string;
    };
    refund.status = 'PARTIALLY_REFUNDED';
    refund.events.push({
      id: `E-${randomUUID()}`,
      event: 'REFUND',
      transaction_status: 'PARTIALLY_REFUNDED',
      success: true,
      amount: 2_500,
      created_at: new Date().toISOString(),
    });
    const claim = asDinteroHasIt(tx);
    const before = await fetches();
    expect(await webhook('checkout_transaction', claim)).toMatchObject({
      status: 200,
      body: { recorded: ['ExternalRefundRecorded'] },
    });
    expect(await webhook('checkout_transaction', claim)).toMatchObject({ status: 200, body: { recorded: [] } });
    expect((await fetches()) - before).toBe(1);
    expect((await types(paymentId)).filter((type) => type === 'ExternalRefundRecorded')).toHaveLength(1);
  });

  it('a claim equal to what was fetched, after the payment was written since: fetched', async () => {
    const { paymentId, tx } = await paidUnheard();
    await callback(paymentId, tx.id);
    const refundId = randomUUID();
    // A refund asked for since (another process's write, say): what the log holds is no longer what was fetched.
    await handleCommand(
      engine.log,
      paymentStream(paymentId),
      paymentDecider,
      {
        type: 'RequestRefund',
        data: {
          refundId,
          amount: 1_000,
          terminalId: 'F-0',
          claimId: refundId,
          by: 'till-1',
          at: new Date().toISOString(),
        },
      },
      { metadata: { correlationId: `refund-${refundId}` } },
    );
    const before = await fetches();
    expect(await webhook('checkout_transaction', asDinteroHasIt(tx))).toMatchObject({ status: 200 });
    expect((await fetches()) - before).toBe(1);
  });
});
