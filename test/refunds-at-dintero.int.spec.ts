import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { handleCommand, type StreamDecider } from '@app/event-store';
import { natsNames } from '@app/messaging';
import {
  paymentDecider,
  paymentStream,
  terminalStream,
  type PaymentCommand,
  type PaymentEvent,
  type PaymentState,
} from '@app/payment-domain';

type RequestRefund = Extract<PaymentCommand, { type: 'RequestRefund' }>;
import { waitUntil } from './support/app-process';
import { startEngine, type Engine } from './support/engine';
import { simulatorClient } from './support/simulator';
import { PaymentFacts } from '../apps/ingest-service/src/facts/payment-facts.service';
import { ProjectorService } from '../apps/projections/src/projector/projector.service';
import { ReconcilerService } from '../apps/ingest-service/src/reconciler/reconciler.service';

/**
 * Refunds as Dintero's specification has them, against the real apps, the simulator as Dintero and one
 * SQLite file: a refund answered 202 is pending until the transaction's `REFUND` event with its
 * `correlation_request_id` says how it went, and keeps its terminal meanwhile; a refund whose answer was
 * lost is found by its `event_reference`, never booked as failed when Dintero made it.
 */
describe('refunds as Dintero answers them', () => {
  let engine: Engine;
  let n = 0;
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    engine = await startEngine({
      sim: { SIM_REFUND_DELAY_MS: '1500' },
      // A short timeout, so that a slow Dintero leaves the command service not knowing.
      command: { DINTERO_TIMEOUT_MS: '400', SESSION_TTL_SECONDS: '10', CLAIM_MARGIN_SECONDS: '5' },
      ingest: {
        RECONCILER_GRACE_SECONDS: '0',
        RECONCILER_UNKNOWN_DELAY_SECONDS: '0',
        RECONCILER_INTERVAL_MS: '100',
        // A refund Dintero never finishes goes to a person a second after its hold on the terminal (15 s).
        RECONCILER_REVIEW_AFTER_SECONDS: '1',
      },
      projections: true,
    });
  });
  afterAll(() => engine.close());

  const capturedPayment = async (amount: number) => {
    const storeId = `rd-${++n}`;
    const [payTerminal, refundTerminal] = [`${storeId}-T1`, `${storeId}-T2`];
    await engine.terminals(storeId, payTerminal, refundTerminal);
    const { paymentId } = await engine.start(storeId, payTerminal, amount);
    await engine.sim.control('POST', `/terminals/${payTerminal}/present`, {});
    await engine.waitForPayment(paymentId as string, (s) => s.status === 'captured', 'the capture');
    await engine.terminalFree(payTerminal);
    return { storeId, paymentId: paymentId as string, refundTerminal };
  };
  const refund = async (paymentId: string, body: object) => {
    const response = await engine.command.fetch(`/v1/terminal-payments/${paymentId}/refunds`, {
      method: 'POST',
      headers: { ...json, 'idempotency-key': randomUUID() },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const get = async (path: string) => {
    const response = await engine.command.fetch(path);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const dinteroTransaction = async (paymentId: string) => {
    const { transactions } = await engine.sim.control<{
      transactions: { paymentId: string; refunds: { reference: string; success: boolean }[] }[];
    }>('GET', '/ground-truth');
    return transactions.find((tx) => tx.paymentId === paymentId);
  };

  /** The reconciler's lease on a payment: until when it is held, and when that was written. */
  const reconcilerLease = async (paymentId: string) => {
    const leases = await new Kvm(engine.nats).open(natsNames(engine.prefix).buckets.reconcilerLeases);
    const entry = await leases.get(paymentId);
    return { until: Number(entry?.string().split('|').at(-1)), written: entry?.created.getTime() ?? 0 };
  };

  /** Waits for the refund to succeed, and checks that the reconciler's lookup of the transaction settled it. */
  /** The transaction of a payment once it is captured. */
  const capturedTransactionId = async (paymentId: string) => {
    const payment = await engine.waitForPayment(paymentId, (s) => s.status === 'captured', 'the capture');
    return payment.status === 'captured' ? payment.transactionId : '';
  };
  const settledByReconciler = async (paymentId: string, refundId: string, what: string) => {
    await engine.waitForPayment(
      paymentId,
      (s) => s.status === 'captured' && s.refunds[refundId]?.status === 'succeeded',
      what,
    );
    const events = await engine.log.readStream(paymentStream(paymentId));
    expect(events.find((e) => e.type === 'RefundSucceeded')?.data).toMatchObject({ refundId, source: 'reconciler' });
  };

  /**
   * What the command service records before its call to Dintero, the refund requested and sent, in one append: these
   * tests record no terminal claim, so that a look between the two would find a refund never sent, due a no at once.
   */
  /** Records a command on the payment's stream, as the service that would have made it did. */
  const recordOnPayment = (paymentId: string, command: PaymentCommand, correlationId: string) =>
    handleCommand(engine.log, paymentStream(paymentId), paymentDecider, command, { metadata: { correlationId } });

  /** A refund made at Dintero itself (the simulator's API): by the engine's call, or by no call of the engine's. */
  const refundAtDintero = (transactionId: string, amount: number, terminalId: string, refundReference: string) =>
    simulatorClient(engine.sim).refund(transactionId, { amount, terminalId, refundReference });

  const requestedAndSent = (paymentId: string, refund: RequestRefund['data'], correlationId: string) => {
    const sent: StreamDecider<PaymentCommand[], PaymentEvent, PaymentState> = {
      ...paymentDecider,
      decide: (commands, state) =>
        commands.reduce<{ state: PaymentState; events: PaymentEvent[] }>(
          (done, command) => {
            const events = paymentDecider.decide(command, done.state);
            const after = events.reduce((folded, event) => paymentDecider.evolve(folded, event), done.state);
            return { state: after, events: [...done.events, ...events] };
          },
          { state, events: [] },
        ).events,
    };
    const commands: PaymentCommand[] = [
      { type: 'RequestRefund', data: refund },
      { type: 'SubmitRefund', data: { refundId: refund.refundId, at: refund.at } },
    ];
    return handleCommand(engine.log, paymentStream(paymentId), sent, commands, { metadata: { correlationId } });
  };

  /**
   * What the log holds when a send was held up past every deadline: the refund sent (a recovery point), then failed
   * by the reconciler for want of any trace at Dintero.
   */
  const failedForSilence = async (paymentId: string, refundId: string, amount: number, terminalId: string) => {
    const at = () => new Date().toISOString();
    const commands: PaymentCommand[] = [
      { type: 'RequestRefund', data: { refundId, amount, terminalId, claimId: refundId, by: 'till-1', at: at() } },
      { type: 'SubmitRefund', data: { refundId, at: at() } },
      {
        type: 'RecordRefundOutcome',
        data: {
          refundId,
          outcome: 'failed',
          reason: 'no trace at Dintero',
          noTrace: true,
          source: 'reconciler',
          at: at(),
        },
      },
    ];
    for (const command of commands) await recordOnPayment(paymentId, command, `failed-for-silence-${refundId}`);
  };

  /**
   * A refund Dintero accepted and never finishes is flagged for a person a second after its hold on the terminal (15 s):
   * it is sent before the other tests, and its test, after the five before it (about 12 s here), finds it flagged, then
   * counts the reconciler's looks at it with nothing else under way. Not last: Dintero is asked again about an accepted
   * refund after a quarter of its age, so the later its test, the longer its two more looks take (9 s at 16 s of age,
   * 17 s at 30 s, past its 30 s deadline at a minute, a CI machine's slow run of the whole file).
   */
  let neverFinished: Awaited<ReturnType<typeof capturedPayment>> & { accepted: Awaited<ReturnType<typeof refund>> };
  beforeAll(async () => {
    const captured = await capturedPayment(10_000);
    // The refund terminal dies with the cardholder at it: Dintero has the refund initiated, and no result ever comes.
    await engine.sim.control('PUT', `/terminals/${captured.refundTerminal}/refund-mode`, { mode: 'async_stall' });
    const accepted = await refund(captured.paymentId, { amount: 4_000, terminalId: captured.refundTerminal });
    neverFinished = { ...captured, accepted };
  });

  it('answers 202 pending for a refund Dintero accepts, keeps the terminal busy, and settles it by its result', async () => {
    const { storeId, paymentId, refundTerminal } = await capturedPayment(10_000);
    const accepted = await refund(paymentId, { amount: 4_072, terminalId: refundTerminal });
    expect(accepted).toMatchObject({ status: 202, body: { status: 'pending', final: false, amount: 4_072 } });
    expect(accepted.body['dinteroRequestId']).toEqual(expect.any(String));
    const refundId = accepted.body['refundId'] as string;

    // The cardholder is at the refund terminal: the engine's claim and Dintero both keep it.
    const busy = await engine.command.fetch('/v1/terminal-payments', {
      method: 'POST',
      headers: { ...json, 'idempotency-key': randomUUID() },
      body: JSON.stringify({
        storeId,
        terminalId: refundTerminal,
        amount: 100,
        currency: 'NOK',
        merchantReference: 'x',
      }),
    });
    expect(busy.status).toBe(409);
    expect(await busy.json()).toMatchObject({ code: 'TERMINAL_BUSY' });
    const whilePending = await get(`/v1/terminal-payments/${paymentId}`);
    expect(whilePending.body).toMatchObject({ refundedAmount: 0, refundableAmount: 5_928 });

    const final = await get(`/v1/terminal-payments/${paymentId}/refunds/${refundId}?waitFor=final&timeout=20`);
    expect(final).toMatchObject({
      status: 200,
      body: { refundId, status: 'succeeded', final: true, dinteroRequestId: accepted.body['dinteroRequestId'] },
    });
    expect(final.body['dinteroAt']).toEqual(expect.any(String));
    await waitUntil(
      async () => (await engine.log.readStream(terminalStream(refundTerminal))).at(-1)?.type === 'TerminalReleased',
      10_000,
      'the refund terminal released',
    );
    const payment = await get(`/v1/terminal-payments/${paymentId}`);
    expect(payment.body).toMatchObject({
      status: 'captured',
      capturedAmount: 10_000,
      refundedAmount: 4_072,
      refundableAmount: 5_928,
      refunds: [{ refundId, amount: 4_072, status: 'succeeded', terminalId: refundTerminal }],
      // The terminal's references from the transaction's Seitatech metadata, for the till's receipt.
      receipt: { terminalTransactionId: expect.any(String), receiptNumber: expect.stringMatching(/^\d{6}$/) },
    });
    // Its result, recorded by ingest, names the refund's terminal as its request did: the feed has both under it.
    const result = (await engine.log.readStream(paymentStream(paymentId))).find((e) => e.type === 'RefundSucceeded')!;
    expect(result.metadata).toMatchObject({ storeId, terminalId: refundTerminal, source: expect.any(String) });
    const feed = natsNames(engine.prefix).events;
    await waitUntil(
      async () => engine.projections!.get(ProjectorService).checkpoint >= result.position,
      10_000,
      'the projector past the result',
    );
    const { state } = await (
      await jetstreamManager(engine.nats)
    ).streams.info(feed.stream, { subjects_filter: `${engine.prefix}.v1.events.${storeId}.>` });
    expect(
      Object.keys(state.subjects ?? {})
        .filter((subject) => subject.includes('.Refund'))
        .sort(),
    ).toEqual([
      feed.subject(storeId, refundTerminal, 'RefundAccepted'),
      feed.subject(storeId, refundTerminal, 'RefundRequested'),
      feed.subject(storeId, refundTerminal, 'RefundSubmitted'),
      feed.subject(storeId, refundTerminal, 'RefundSucceeded'),
    ]);
  });

  it('frees the amount of a refund Dintero accepted and the cardholder then declined', async () => {
    const { paymentId, refundTerminal } = await capturedPayment(10_000);
    const accepted = await refund(paymentId, { amount: 10_000 - 27, terminalId: refundTerminal });
    expect(accepted.status).toBe(202);
    const refundId = accepted.body['refundId'] as string;
    // 9973 ends in 73: declined at the terminal.
    const final = await get(`/v1/terminal-payments/${paymentId}/refunds/${refundId}?waitFor=final&timeout=20`);
    expect(final.body).toMatchObject({ status: 'failed', final: true, reason: 'DECLINED' });
    expect((await get(`/v1/terminal-payments/${paymentId}`)).body).toMatchObject({
      refundedAmount: 0,
      refundableAmount: 10_000,
    });
  });

  it('settles a refund Dintero accepted from the transaction alone when no delivery ever comes', async () => {
    const { storeId, paymentId, refundTerminal } = await capturedPayment(10_000);
    // Every callback and webhook about the transaction (Dintero's deliveries name the terminal that took the
    // payment) is lost: only the reconciler's lookup can settle the refund.
    const payTerminal = `${storeId}-T1`;
    await engine.sim.control('PUT', '/chaos', { terminalId: payTerminal, dropRate: 1 });
    try {
      const accepted = await refund(paymentId, { amount: 3_072, terminalId: refundTerminal });
      expect(accepted).toMatchObject({ status: 202, body: { status: 'pending' } });
      const refundId = accepted.body['refundId'] as string;
      const final = await get(`/v1/terminal-payments/${paymentId}/refunds/${refundId}?waitFor=final&timeout=30`);
      expect(final.body).toMatchObject({ status: 'succeeded', dinteroRequestId: accepted.body['dinteroRequestId'] });
      const events = await engine.log.readStream(`payment-${paymentId}`);
      expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['RefundAccepted', 'RefundSucceeded']));
      expect(events.find((e) => e.type === 'RefundSucceeded')?.data).toMatchObject({ source: 'reconciler' });
    } finally {
      await engine.sim.control('PUT', '/chaos', { terminalId: payTerminal });
    }
  });

  it('settles from the transaction a refund Dintero accepted after the reconciler looked while it was being sent', async () => {
    const { storeId, paymentId, refundTerminal } = await capturedPayment(10_000);
    const transactionId = await capturedTransactionId(paymentId);
    const payTerminal = `${storeId}-T1`;
    await engine.sim.control('PUT', '/chaos', { terminalId: payTerminal, dropRate: 1 });
    try {
      // The command service has recorded the refund as sent, and its call has not reached Dintero yet (a loaded
      // machine): the reconciler looks now, finds no trace, and would wait until its silence could be a no.
      const refundId = randomUUID();
      const record = (command: PaymentCommand) => recordOnPayment(paymentId, command, `sent-${refundId}`);
      const at = () => new Date().toISOString();
      const terminalId = refundTerminal;
      await record({
        type: 'RequestRefund',
        data: { refundId, amount: 3_072, terminalId, claimId: refundId, by: 'till-1', at: at() },
      });
      await record({ type: 'SubmitRefund', data: { refundId, at: at() } });
      // It has looked once it holds the payment's lease past a plain take (`RECONCILER_LEASE_SECONDS`, 30 s): until
      // its next look.
      await waitUntil(
        async () => (await reconcilerLease(paymentId)).until > Date.now() + 40_000,
        10_000,
        'the reconciler’s look, with no trace of the refund at Dintero',
      );
      // The call arrives; Dintero takes the refund to do at the terminal (202), and the command service records that.
      const answer = await refundAtDintero(transactionId, 3_072, terminalId, refundId);
      expect(answer.kind).toBe('accepted');
      const requestId = answer.kind === 'accepted' ? answer.requestId : undefined;
      await record({
        type: 'RecordRefundOutcome',
        data: {
          refundId,
          outcome: 'accepted',
          ...(requestId ? { requestId } : {}),
          source: 'command-service',
          at: at(),
        },
      });
      // Asked about again soon after (its result comes 1.5 s later), not a minute after it was sent.
      await settledByReconciler(paymentId, refundId, 'the accepted refund settled by the reconciler');
    } finally {
      await engine.sim.control('PUT', '/chaos', { terminalId: payTerminal });
    }
  });

  it('asks again about a refund whose answer never came during a look, begun before, that found no trace of it', async () => {
    const { paymentId, refundTerminal } = await capturedPayment(10_000);
    const transactionId = await capturedTransactionId(paymentId);
    // Dintero answers a second late, and no delivery reaches ingest.
    await engine.sim.control('PUT', '/chaos', { apiLatencyMs: 1_000, dropRate: 1 });
    try {
      // The refund is recorded as sent, and the reconciler asks Dintero at once: its question is under way (it holds a
      // plain take's lease, `RECONCILER_LEASE_SECONDS`) and Dintero has no trace of the refund.
      const refundId = randomUUID();
      const sentAt = Date.now();
      const at = new Date(sentAt).toISOString();
      const terminalId = refundTerminal;
      await requestedAndSent(
        paymentId,
        { refundId, amount: 2_500, terminalId, claimId: refundId, by: 'till-1', at },
        `unanswered-${refundId}`,
      );
      await waitUntil(
        async () => {
          const { until, written } = await reconcilerLease(paymentId);
          return written >= sentAt && until <= Date.now() + 30_000;
        },
        5_000,
        'the reconciler’s look under way',
      );
      // The command service's call times out meanwhile: unknown, and followed by the reconciler while it still looks.
      const { position } = await recordOnPayment(
        paymentId,
        {
          type: 'RecordRefundOutcome',
          data: { refundId, outcome: 'unknown', reason: 'timeout', source: 'command-service', at },
        },
        `unanswered-${refundId}`,
      );
      await waitUntil(
        () => engine.ingest.app.get(ReconcilerService).following >= position!,
        5_000,
        'the unknown outcome followed',
      );
      expect((await reconcilerLease(paymentId)).until).toBeLessThanOrEqual(Date.now() + 30_000);
      // The refund reaches Dintero after the reconciler's question: that look finds no trace of it.
      const answer = await refundAtDintero(transactionId, 2_500, terminalId, refundId);
      expect(answer.kind).toBe('done');
      // Asked about again once that look is over, for its unknown outcome, not when its silence could be a no.
      await settledByReconciler(paymentId, refundId, 'the unknown refund settled by the reconciler');
    } finally {
      await engine.sim.control('PUT', '/chaos', {});
    }
  });

  it('hands a person, once, a refund Dintero accepted and never finishes, its amount still committed', async () => {
    const { storeId, paymentId, refundTerminal, accepted } = neverFinished;
    expect(accepted).toMatchObject({ status: 202, body: { status: 'pending' } });
    const refundId = accepted.body['refundId'] as string;
    const flags = async () =>
      (await engine.log.readStream(paymentStream(paymentId))).filter((e) => e.type === 'RefundFlaggedForReview');
    await waitUntil(async () => (await flags()).length > 0, 40_000, 'the refund flagged for a person');
    expect((await flags()).map((e) => e.data)).toEqual([
      {
        refundId,
        amount: 4_000,
        currency: 'NOK',
        terminalId: refundTerminal,
        reason: 'not_final',
        since: expect.any(String),
        at: expect.any(String),
      },
    ]);
    const projector = engine.projections!.get(ProjectorService);
    await waitUntil(
      () => projector.models.store(storeId)?.review?.some((entry) => entry.refundId === refundId) === true,
      10_000,
      'the refund in the store’s review list',
    );
    expect(projector.models.store(storeId)?.review).toEqual([
      expect.objectContaining({
        paymentId,
        refundId,
        terminalId: refundTerminal,
        amount: 4_000,
        currency: 'NOK',
        reason: 'not_final',
      }),
    ]);
    // Still asked about (two more looks), never flagged twice, and its amount cannot be refunded again meanwhile.
    const looks = async () => {
      const text = await (await fetch(`${engine.ingest.url}/metrics`)).text();
      return Number(/^payments_reconciler_payments_total\{[^}]*result="settled"[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
    };
    const before = await looks();
    await waitUntil(async () => (await looks()) >= before + 2, 30_000, 'two more looks by the reconciler');
    expect(await flags()).toHaveLength(1);
    expect((await get(`/v1/terminal-payments/${paymentId}`)).body).toMatchObject({
      refundedAmount: 0,
      refundableAmount: 6_000,
      refunds: [{ refundId, status: 'pending' }],
    });
    await engine.sim.control('PUT', `/terminals/${refundTerminal}/refund-mode`, {});
  });

  it('asks again, before its silence can be a no, about a refund whose answer never came and that Dintero made after a look', async () => {
    const { storeId, paymentId, refundTerminal } = await capturedPayment(10_000);
    const transactionId = await capturedTransactionId(paymentId);
    const payTerminal = `${storeId}-T1`;
    await engine.sim.control('PUT', '/chaos', { terminalId: payTerminal, dropRate: 1 });
    try {
      // The command service sent the refund 6 s ago; the reconciler looked, and Dintero had no trace of it yet.
      const refundId = randomUUID();
      const sent = new Date(Date.now() - 6_000).toISOString();
      const terminalId = refundTerminal;
      const refund = { refundId, amount: 2_500, terminalId, claimId: refundId, by: 'till-1', at: sent };
      await requestedAndSent(paymentId, refund, `unanswered-${refundId}`);
      const lease = () => reconcilerLease(paymentId);
      // It has looked once it holds the payment's lease past a plain take (`RECONCILER_LEASE_SECONDS`, 30 s).
      await waitUntil(async () => (await lease()).until > Date.now() + 33_000, 10_000, 'the reconciler’s first look');
      // Its call timed out: the outcome is unknown, and the payment due again. The reconciler looks, still no trace.
      const unknownAt = Date.now();
      await recordOnPayment(
        paymentId,
        {
          type: 'RecordRefundOutcome',
          data: {
            refundId,
            outcome: 'unknown',
            reason: 'timeout',
            source: 'command-service',
            at: new Date().toISOString(),
          },
        },
        `unanswered-${refundId}`,
      );
      await waitUntil(
        async () => {
          const { until, written } = await lease();
          return written > unknownAt && until > Date.now() + 33_000;
        },
        10_000,
        'the reconciler’s look at the unknown outcome',
      );
      // Dintero makes the refund now (late in the call's window): no delivery reaches ingest.
      const answer = await refundAtDintero(transactionId, 2_500, terminalId, refundId);
      expect(answer.kind).toBe('done');
      // Asked about again within seconds (the time since it was sent), not when its silence could be a no (sent + 60 s).
      await settledByReconciler(paymentId, refundId, 'the unknown refund settled by the reconciler');
    } finally {
      await engine.sim.control('PUT', '/chaos', { terminalId: payTerminal });
    }
  });

  it('finds a refund whose answer never came by its event_reference, and books it as made', async () => {
    const { paymentId, refundTerminal } = await capturedPayment(10_000);
    // Dintero is slow past the command service's timeout, and no webhook or callback reaches ingest:
    // only the reconciler's lookup can learn that the refund was made.
    await engine.sim.control('PUT', '/chaos', { apiLatencyMs: 1_000, dropRate: 1 });
    let unknown: Awaited<ReturnType<typeof refund>>;
    try {
      unknown = await refund(paymentId, { amount: 2_500, terminalId: refundTerminal });
    } finally {
      await waitUntil(
        async () => (await dinteroTransaction(paymentId))?.refunds.length === 1,
        10_000,
        'the refund at Dintero',
      );
      await engine.sim.control('PUT', '/chaos', {});
    }
    expect(unknown).toMatchObject({ status: 202, body: { status: 'unknown', final: false } });
    const refundId = unknown.body['refundId'] as string;
    expect((await dinteroTransaction(paymentId))?.refunds).toEqual([
      expect.objectContaining({ reference: refundId, success: true }),
    ]);
    const final = await get(`/v1/terminal-payments/${paymentId}/refunds/${refundId}?waitFor=final&timeout=30`);
    expect(final.body).toMatchObject({ status: 'succeeded', final: true });
    expect((await get(`/v1/terminal-payments/${paymentId}`)).body).toMatchObject({
      refundedAmount: 2_500,
      refundableAmount: 7_500,
    });
  });

  it('records a refund booked failed for Dintero’s silence that Dintero then makes, once, and counts it', async () => {
    const { paymentId, refundTerminal } = await capturedPayment(10_000);
    const refundId = randomUUID();
    await failedForSilence(paymentId, refundId, 2_000, refundTerminal);
    expect((await get(`/v1/terminal-payments/${paymentId}`)).body).toMatchObject({ refundableAmount: 10_000 });
    // Failed, as the engine concluded; but the POS is told it may yet be made, before it refunds the sale again.
    expect((await get(`/v1/terminal-payments/${paymentId}/refunds/${refundId}`)).body).toMatchObject({
      status: 'failed',
      final: true,
      mayStillSucceed: true,
    });
    // The held-up send reaches Dintero after all; its callback and webhook reach ingest.
    const transactionId = await capturedTransactionId(paymentId);
    await refundAtDintero(transactionId, 2_000, refundTerminal, refundId);
    await engine.waitForPayment(
      paymentId,
      (s) => s.status === 'captured' && s.refunds[refundId]?.status === 'succeeded',
      'the refund booked as made',
    );
    const types = (await engine.log.readStream(`payment-${paymentId}`)).map((e) => e.type);
    expect(types.filter((type) => type === 'LateRefundRecorded')).toHaveLength(1);
    expect(types).not.toContain('RefundSucceeded');
    expect((await get(`/v1/terminal-payments/${paymentId}`)).body).toMatchObject({
      refundedAmount: 2_000,
      refundableAmount: 8_000,
    });
    const made = (await get(`/v1/terminal-payments/${paymentId}/refunds/${refundId}`)).body;
    expect(made).toMatchObject({ status: 'succeeded', final: true });
    expect(made).not.toHaveProperty('mayStillSucceed');
  });

  it.each([
    [3_072, 'made'],
    [3_073, 'declined by the cardholder'],
  ] as const)(
    'asks Dintero about a refund failed for its silence that Dintero then takes (202, %i), until %s',
    async (amount, end) => {
      const made = end === 'made';
      const { paymentId, refundTerminal } = await capturedPayment(10_000);
      const refundId = randomUUID();
      await failedForSilence(paymentId, refundId, amount, refundTerminal);
      const transactionId = await capturedTransactionId(paymentId);
      // The held-up send reaches Dintero, which takes it to do at the terminal (202; amounts ending in 72 or 73), and
      // nothing of its result reaches ingest: only the reconciler, asking Dintero, can learn how it ended.
      await engine.sim.control('PUT', '/chaos', { dropRate: 1 });
      try {
        await refundAtDintero(transactionId, amount, refundTerminal, refundId);
        // Ingest reads the transaction while the cardholder is at the terminal (a delivery of another of its events):
        // it learns that Dintero took the refund.
        const { recorded } = await engine.ingest.app
          .get(PaymentFacts)
          .recordTransactionById(paymentId, transactionId, { source: 'webhook', correlationId: `seen-${refundId}` });
        expect(recorded).toEqual(['RefundAccepted']);
        // Taken by Dintero after all: still failed as booked, but not final while the engine asks how it ends.
        expect((await get(`/v1/terminal-payments/${paymentId}/refunds/${refundId}`)).body).toMatchObject({
          status: 'failed',
          final: false,
          mayStillSucceed: true,
        });
        // A POS waiting for the outcome is answered once Dintero has said it, not at once with the guess.
        const waited = get(`/v1/terminal-payments/${paymentId}/refunds/${refundId}?waitFor=final&timeout=20`);
        await engine.waitForPayment(
          paymentId,
          (s) =>
            s.status === 'captured' &&
            (made ? s.refunds[refundId]?.status === 'succeeded' : s.refunds[refundId]?.noTrace === undefined),
          `the refund ${end}, as the reconciler learnt`,
        );
        expect((await waited).body).toMatchObject({ status: made ? 'succeeded' : 'failed', final: true });
      } finally {
        await engine.sim.control('PUT', '/chaos', {});
      }
      const events = await engine.log.readStream(`payment-${paymentId}`);
      const ends = events.filter((e) => ['LateRefundRecorded', 'RefundFailed'].includes(e.type)).slice(1);
      expect(ends.map((e) => [e.type, e.data])).toEqual([
        [made ? 'LateRefundRecorded' : 'RefundFailed', expect.objectContaining({ refundId, source: 'reconciler' })],
      ]);
      expect((await get(`/v1/terminal-payments/${paymentId}`)).body).toMatchObject({
        refundedAmount: made ? amount : 0,
        refundableAmount: made ? 10_000 - amount : 10_000,
      });
    },
  );

  it('records a refund made at Dintero by no refund of ours, once: it counts against what is left and in the day', async () => {
    const { storeId, paymentId, refundTerminal } = await capturedPayment(10_000);
    const transactionId = await capturedTransactionId(paymentId);
    // Refunded at Dintero under another reference (its Backoffice, say): the webhook of the transaction reaches ingest.
    await refundAtDintero(transactionId, 2_500, refundTerminal, 'backoffice-1');
    await engine.waitForPayment(
      paymentId,
      (s) => s.status === 'captured' && s.refundedElsewhere === 2_500,
      'the refund made elsewhere recorded',
    );
    // Read again (a redelivery, the reconciler): nothing new.
    const { recorded } = await engine.ingest.app
      .get(PaymentFacts)
      .recordTransactionById(paymentId, transactionId, { source: 'webhook', correlationId: `again-${paymentId}` });
    expect(recorded).toEqual([]);
    const types = (await engine.log.readStream(`payment-${paymentId}`)).map((e) => e.type);
    expect(types.filter((type) => type === 'ExternalRefundRecorded')).toHaveLength(1);
    expect((await get(`/v1/terminal-payments/${paymentId}`)).body).toMatchObject({
      refundedAmount: 2_500,
      refundedElsewhere: 2_500,
      refundableAmount: 7_500,
    });
    // The POS cannot refund what Dintero has refunded already.
    expect(await refund(paymentId, { amount: 8_000, terminalId: refundTerminal })).toMatchObject({
      status: 422,
      body: { code: 'REFUND_EXCEEDS_CAPTURED' },
    });
    // Finance sees it in the store's day.
    const days = await new Kvm(engine.nats).open(natsNames(engine.prefix).buckets.storeDays);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Oslo' }).format(new Date());
    await waitUntil(
      async () => {
        const day = (await days.get(`${storeId}.${today}`))?.json<{
          currencies: Record<string, { refundedAmount: number }>;
        }>();
        return day?.currencies['NOK']?.refundedAmount === 2_500;
      },
      20_000,
      'the store day with the refund made elsewhere',
    );
  });

  it('records a refund made at Dintero by no refund of ours from the first delivery that shows the capture', async () => {
    const storeId = `rd-${++n}`;
    const [payTerminal, refundTerminal] = [`${storeId}-T1`, `${storeId}-T2`];
    await engine.terminals(storeId, payTerminal, refundTerminal);
    const { paymentId } = await engine.start(storeId, payTerminal, 10_000);
    // Dintero's callback and webhooks lost: the engine hears of the capture only when it asks.
    await engine.sim.control('PUT', '/chaos', { dropRate: 1 });
    try {
      await engine.sim.control('POST', `/terminals/${payTerminal}/present`, {});
      let transactionId = '';
      await waitUntil(
        async () => {
          transactionId = ((await dinteroTransaction(paymentId as string)) as { id?: string } | undefined)?.id ?? '';
          return transactionId !== '';
        },
        10_000,
        'the capture at Dintero',
      );
      await refundAtDintero(transactionId, 2_500, refundTerminal, 'backoffice-first');
      await waitUntil(
        async () =>
          (await dinteroTransaction(paymentId as string))?.refunds.some(
            (made) => made.reference === 'backoffice-first' && made.success,
          ) === true,
        10_000,
        'the refund at Dintero',
      );
      const { recorded } = await engine.ingest.app
        .get(PaymentFacts)
        .recordTransactionById(paymentId as string, transactionId, { source: 'webhook', correlationId: `first-${n}` });
      expect(recorded).toEqual(expect.arrayContaining(['PaymentCaptured', 'ExternalRefundRecorded']));
    } finally {
      await engine.sim.control('PUT', '/chaos', {});
    }
    expect((await get(`/v1/terminal-payments/${paymentId as string}`)).body).toMatchObject({
      status: 'captured',
      refundedElsewhere: 2_500,
      refundableAmount: 7_500,
    });
  });

  it('answers an unknown refund and a malformed refund id with clear errors', async () => {
    const { paymentId } = await capturedPayment(10_000);
    expect((await get(`/v1/terminal-payments/${paymentId}/refunds/${randomUUID()}`)).body).toMatchObject({
      code: 'UNKNOWN_REFUND',
    });
    expect((await get(`/v1/terminal-payments/${paymentId}/refunds/nope`)).status).toBe(400);
  });
});
