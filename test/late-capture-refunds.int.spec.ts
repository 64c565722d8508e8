import { randomUUID } from 'node:crypto';
import { localDate, paymentStream } from '@app/payment-domain';
import { waitUntil } from './support/app-process';
import { startEngine, type Engine } from './support/engine';
import { simulatorClient } from './support/simulator';
import { PaymentFacts } from '../apps/ingest-service/src/facts/payment-facts.service';
import { ProjectorService } from '../apps/projections/src/projector/projector.service';

/**
 * Money Dintero captured after the payment had ended (the customer cancelled, and the card went through all the
 * same) is given back with the POS's refund command, against the real apps and the simulator as Dintero: refused
 * beyond what was captured late, or in another currency, with nothing written; refunded in parts up to it.
 */
describe('refunding a late capture', () => {
  let engine: Engine;
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    engine = await startEngine({ projections: true });
  });
  afterAll(() => engine.close());

  /** A payment cancelled in the log while its terminal still took the card: captured late. */
  const capturedLate = async (amount: number, storeId = 'late-1') => {
    const [payTerminal, refundTerminal] = [`${storeId}-T1`, `${storeId}-T2`];
    await engine.terminals(storeId, payTerminal, refundTerminal);
    // Dintero's word of the capture is held back until the cancellation is recorded.
    await engine.sim.control('PUT', '/chaos', { terminalId: payTerminal, dropRate: 1 });
    const { paymentId } = (await engine.start(storeId, payTerminal, amount)) as { paymentId: string };
    await engine.ingest.app
      .get(PaymentFacts)
      .recordError(paymentId, 'cancelled', { source: 'callback', correlationId: 'late-capture-test' });
    await engine.sim.control('PUT', '/chaos', { terminalId: payTerminal });
    await engine.sim.control('POST', `/terminals/${payTerminal}/present`, {});
    const state = await engine.waitForPayment(
      paymentId,
      (s) => s.status === 'cancelled' && Object.keys(s.lateCaptured).length > 0,
      'the late capture',
    );
    const [transactionId] = Object.keys(state.status === 'none' ? {} : state.lateCaptured);
    return { storeId, paymentId, refundTerminal, transactionId: transactionId! };
  };
  const refund = async (paymentId: string, body: object) => {
    const response = await engine.command.fetch(`/v1/terminal-payments/${paymentId}/refunds`, {
      method: 'POST',
      headers: { ...json, 'idempotency-key': randomUUID() },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const written = async (paymentId: string) => (await engine.log.readStream(paymentStream(paymentId))).length;
  const storeToday = (storeId: string) => {
    const models = engine.projections!.get(ProjectorService).models;
    const timeZone = models.store(storeId)?.timeZone;
    return timeZone === undefined ? undefined : models.storeDay(storeId, localDate(new Date().toISOString(), timeZone));
  };

  it('refuses bad refunds with nothing written, then gives the money back in parts at Dintero', async () => {
    const { storeId, paymentId, refundTerminal, transactionId } = await capturedLate(10_000);
    const before = await written(paymentId);
    expect(await refund(paymentId, { amount: 10_001, terminalId: refundTerminal })).toMatchObject({
      status: 422,
      body: { code: 'REFUND_EXCEEDS_CAPTURED' },
    });
    expect(await refund(paymentId, { amount: 100, terminalId: refundTerminal, currency: 'SEK' })).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_FAILED' },
    });
    expect(
      await refund(paymentId, { amount: 100, terminalId: refundTerminal, transactionId: 'T00000000.other' }),
    ).toMatchObject({ status: 409, body: { code: 'NOT_REFUNDABLE' } });
    expect(await written(paymentId)).toBe(before);

    expect(await refund(paymentId, { amount: 4_000, terminalId: refundTerminal })).toMatchObject({
      status: 201,
      body: { status: 'succeeded', amount: 4_000, transactionId },
    });
    expect(await refund(paymentId, { amount: 6_000, terminalId: refundTerminal, transactionId })).toMatchObject({
      status: 201,
      body: { status: 'succeeded', amount: 6_000, transactionId },
    });
    expect(await refund(paymentId, { amount: 1, terminalId: refundTerminal })).toMatchObject({
      status: 422,
      body: { code: 'REFUND_EXCEEDS_CAPTURED' },
    });

    // Dintero has given it all back, and the POS sees the payment still cancelled with its late capture refunded.
    const { transactions } = await engine.sim.control<{
      transactions: { id: string; refunded: number }[];
    }>('GET', '/ground-truth');
    expect(transactions.find((tx) => tx.id === transactionId)).toMatchObject({ refunded: 10_000 });
    const view = await engine.command.fetch(`/v1/terminal-payments/${paymentId}`);
    expect(await view.json()).toMatchObject({
      status: 'cancelled',
      lateCaptures: [{ transactionId, amount: 10_000, refundedAmount: 10_000, refundableAmount: 0 }],
      refunds: [
        { amount: 4_000, status: 'succeeded', transactionId },
        { amount: 6_000, status: 'succeeded', transactionId },
      ],
    });

    // The store's day counts both with its refunds, and lists them as the late capture given back.
    const models = engine.projections!.get(ProjectorService).models;
    const today = () => {
      const timeZone = models.store(storeId)?.timeZone;
      return timeZone === undefined
        ? undefined
        : models.storeDay(storeId, localDate(new Date().toISOString(), timeZone));
    };
    await waitUntil(() => today()?.lateCaptureRefunds?.length === 2, 10_000, 'both refunds on the store day');
    expect(today()).toMatchObject({
      currencies: { NOK: { refundedCount: 2, refundedAmount: 10_000 } },
      lateCaptures: [{ paymentId, transactionId, amount: 10_000 }],
      lateCaptureRefunds: [
        { paymentId, transactionId, terminalId: refundTerminal, amount: 4_000, currency: 'NOK' },
        { paymentId, transactionId, terminalId: refundTerminal, amount: 6_000, currency: 'NOK' },
      ],
    });
  });

  it('records a late capture given back in Dintero’s Backoffice against it, once, beside a refund of ours', async () => {
    const { storeId, paymentId, refundTerminal, transactionId } = await capturedLate(10_000, 'late-2');
    expect(await refund(paymentId, { amount: 4_000, terminalId: refundTerminal, transactionId })).toMatchObject({
      status: 201,
      body: { status: 'succeeded', amount: 4_000, transactionId },
    });
    // The rest given back at Dintero under another reference (its Backoffice): the transaction's webhook reaches ingest.
    await simulatorClient(engine.sim).refund(transactionId, {
      amount: 6_000,
      terminalId: refundTerminal,
      refundReference: 'backoffice-late',
    });
    const recordedElsewhere = async () =>
      (await engine.log.readStream(paymentStream(paymentId))).filter((e) => e.type === 'ExternalRefundRecorded');
    await waitUntil(
      async () => (await recordedElsewhere()).length > 0,
      10_000,
      'the refund made elsewhere recorded against the late capture',
    );
    // Read again (a redelivery, the reconciler): nothing new.
    const { recorded } = await engine.ingest.app
      .get(PaymentFacts)
      .recordTransactionById(paymentId, transactionId, { source: 'webhook', correlationId: `again-${paymentId}` });
    expect(recorded).toEqual([]);
    expect((await recordedElsewhere()).map((e) => e.data)).toEqual([
      expect.objectContaining({ transactionId, amount: 6_000, refundedElsewhere: 6_000, lateCapture: true }),
    ]);

    // The POS sees it given back in full, and cannot refund it again.
    const view = await engine.command.fetch(`/v1/terminal-payments/${paymentId}`);
    expect(await view.json()).toMatchObject({
      status: 'cancelled',
      lateCaptures: [
        { transactionId, amount: 10_000, refundedAmount: 10_000, refundedElsewhere: 6_000, refundableAmount: 0 },
      ],
    });
    expect(await refund(paymentId, { amount: 1, terminalId: refundTerminal, transactionId })).toMatchObject({
      status: 422,
      body: { code: 'REFUND_EXCEEDS_CAPTURED' },
    });

    // The store's day counts it with its refunds and lists the late capture given back, ours and Dintero's.
    await waitUntil(() => storeToday(storeId)?.lateCaptureRefunds?.length === 2, 10_000, 'both on the store day');
    expect(storeToday(storeId)).toMatchObject({
      currencies: { NOK: { refundedCount: 2, refundedAmount: 10_000 } },
      lateCaptures: [{ paymentId, transactionId, amount: 10_000 }],
      lateCaptureRefunds: [
        { paymentId, transactionId, terminalId: refundTerminal, amount: 4_000 },
        { paymentId, transactionId, elsewhere: true, amount: 6_000, currency: 'NOK' },
      ],
    });
  });
});
