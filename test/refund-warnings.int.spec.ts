import { DINTERO_CLIENT, DinteroUnavailableError, type DinteroClient } from '@app/dintero';
import { loggedLines } from './support/logged-lines';
import { startEngine, type Engine } from './support/engine';
import { simulatorClient } from './support/simulator';
import { capturedPayment, refundRecorded, resumeRefund } from './support/refund-runs';
import { PaymentFacts } from '../apps/ingest-service/src/facts/payment-facts.service';

/**
 * The two warnings a failed refund of ours may end in (`RefundSubmission.recordRefundsMadeElsewhere`): money moved at
 * Dintero after the refund was booked, or the transaction not read for it. Each names the payment, its store, the
 * refund's terminal and the request's correlation id, as every line about a payment does, so that a person can find
 * the payment and the request from the line alone.
 */
describe('the warnings after a failed refund', () => {
  let engine: Engine;

  beforeAll(async () => {
    // Nothing else reads the transaction: the reconciler is off.
    engine = await startEngine({ ingest: { RECONCILER_ENABLED: 'false' } });
  });
  afterAll(() => engine.close());
  afterEach(() => jest.restoreAllMocks());

  /**
   * A captured payment at `storeId` and a refund of ours of it, recorded and never sent (its run died, its claim gone),
   * which `resume` then fails as never sent, reading the transaction for refunds made elsewhere.
   */
  const refundNeverSent = async (storeId: string, terminalId: string) => {
    const { paymentId, transactionId } = await capturedPayment(engine, storeId, terminalId);
    const refundId = await refundRecorded(engine.log, paymentId, { amount: 6_000, terminalId }, `${storeId}-first-run`);
    const correlationId = `${storeId}-resumed`;
    const resume = () => resumeRefund(engine, paymentId, refundId, correlationId);
    return { paymentId, transactionId, correlationId, resume };
  };

  it('says money moved after the refund was booked with the payment, its store, terminal and correlation id', async () => {
    const [storeId, terminalId] = ['warn-moved', 'WM-1'];
    const { paymentId, transactionId, correlationId, resume } = await refundNeverSent(storeId, terminalId);
    // 4_000 given back in Dintero's Backoffice; its webhook, read while ours is unsettled, holds it back.
    await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
    await simulatorClient(engine.sim).refund(transactionId, {
      amount: 4_000,
      terminalId,
      refundReference: `backoffice-${paymentId}`,
    });
    const read = await engine.ingest.app
      .get(PaymentFacts)
      .recordTransactionById(paymentId, transactionId, { source: 'webhook', correlationId: 'held-back' });
    expect(read.recorded).toEqual([]);

    const warnings = loggedLines('warn');
    expect(await resume()).toMatchObject({ status: 'failed' });
    const moved = warnings.filter(({ msg }) => msg === 'money moved after the payment or refund was booked ended');
    expect(moved.map(({ fields }) => fields)).toEqual([
      {
        paymentId,
        storeId,
        terminalId,
        transactionId,
        correlationId,
        recorded: ['ExternalRefundRecorded'],
      },
    ]);
  }, 60_000);

  it('says the transaction was not read with the payment, its store, terminal and correlation id', async () => {
    const [storeId, terminalId] = ['warn-unread', 'WU-1'];
    const { paymentId, transactionId, correlationId, resume } = await refundNeverSent(storeId, terminalId);
    // Dintero does not answer the read of the transaction (fault injected into the real client, once).
    const dintero = engine.command.app.get<DinteroClient>(DINTERO_CLIENT);
    const unavailable = new DinteroUnavailableError('Dintero did not answer (injected)');
    jest.spyOn(dintero, 'getTransaction').mockRejectedValueOnce(unavailable);

    const warnings = loggedLines('warn');
    expect(await resume()).toMatchObject({ status: 'failed' });
    const unread = warnings.filter(
      ({ msg }) =>
        msg === 'refunds made elsewhere not read after the refund failed: left to the next word of the transaction',
    );
    expect(unread.map(({ fields }) => fields)).toEqual([
      { paymentId, storeId, terminalId, transactionId, correlationId, err: unavailable },
    ]);
  }, 60_000);
});
