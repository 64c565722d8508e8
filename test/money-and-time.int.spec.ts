import { randomUUID } from 'node:crypto';
import { DINTERO_CLIENT, DinteroUnavailableError, type DinteroClient } from '@app/dintero';
import { handleCommand } from '@app/event-store';
import { paymentStream, terminalDecider, terminalStream, type PaymentState } from '@app/payment-domain';
import { RefundTerminalPaymentHandler } from '../apps/command-service/src/payments/refund/refund-terminal-payment.handler';
import { localDate } from '@app/payment-domain';
import { PosClient } from '../apps/command-service/src/auth/pos-client';
import { waitUntil } from './support/app-process';
import { startEngine, type Engine } from './support/engine';
import { latestLocalMidnight } from './support/local-time';
import { bucketContents } from './support/projections';

/**
 * The money-and-time defects an independent check found, each against the real apps on one SQLite file, the
 * simulator as Dintero and the real NATS server: refund claims left behind by refusals, the business day of a
 * capture heard of after midnight, the card lost when a capture beats a cancel, and UNKNOWN transactions.
 */
describe('money and time as Dintero has them', () => {
  let engine: Engine;
  let n = 0;
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    engine = await startEngine({
      projections: true,
      command: { SESSION_TTL_SECONDS: '10', CLAIM_MARGIN_SECONDS: '60' },
      ingest: {
        RECONCILER_GRACE_SECONDS: '0',
        RECONCILER_UNKNOWN_DELAY_SECONDS: '0',
        RECONCILER_ORPHAN_CLAIM_SECONDS: '1',
        RECONCILER_REVIEW_AFTER_SECONDS: '1',
      },
    });
  });
  afterAll(() => engine.close());

  /** A store of its own in `timeZone`, with `count` terminals registered here and at the simulator. */
  const storeWith = async (timeZone: string, count: number) => {
    const storeId = `mt-${++n}`;
    const terminals = Array.from({ length: count }, (_, i) => `${storeId}-T${i + 1}`);
    // Dintero has the store and its terminals (its Backoffice); the engine registers them by their ids.
    await engine.sim.control('POST', '/seed', {
      stores: [{ id: storeId, payout_destination_id: 'seller-1' }],
      terminals: terminals.map((terminal_id) => ({ terminal_id, store_id: storeId })),
    });
    const put = await engine.command.fetch(`/v1/stores/${storeId}`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ name: storeId, payoutDestinationId: 'seller-1', timeZone, currencies: ['NOK'] }),
    });
    expect(put.status).toBeLessThan(300);
    for (const terminalId of terminals) {
      const registered = await engine.command.fetch(`/v1/stores/${storeId}/terminals/${terminalId}`, {
        method: 'PUT',
        headers: json,
        body: '{}',
      });
      expect(registered.status).toBeLessThan(300);
    }
    return { storeId, terminals };
  };
  const captured = async (storeId: string, terminalId: string, amount: number) => {
    const { paymentId } = await engine.start(storeId, terminalId, amount);
    await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
    await engine.waitForPayment(paymentId as string, (s) => s.status === 'captured', 'the capture');
    await engine.terminalFree(terminalId);
    return paymentId as string;
  };
  const lastTerminalEvent = async (terminalId: string) =>
    (await engine.log.readStream(terminalStream(terminalId))).at(-1);
  const terminalDoc = async (storeId: string, terminalId: string) =>
    (await bucketContents(engine.prefix, 'terminals'))[`${storeId}.${terminalId}`] as Record<string, unknown>;
  const storeDoc = async (storeId: string) =>
    (await bucketContents(engine.prefix, 'stores'))[storeId] as Record<string, unknown> | undefined;
  const storeDay = async (storeId: string, date: string) =>
    (await bucketContents(engine.prefix, 'storeDays'))[`${storeId}.${date}`] as
      { currencies: Record<string, { capturedAmount: number; refundedAmount: number }> } | undefined;

  describe('a refund refused by the domain leaves no claim behind', () => {
    it('releases the loser of two refunds that together exceed the capture, in the log and in the read models', async () => {
      const { storeId, terminals } = await storeWith('Europe/Oslo', 3);
      const [payTerminal, refundA, refundB] = terminals as [string, string, string];
      const paymentId = await captured(storeId, payTerminal, 10_000);
      // Both refunds pass the check before anything is written; the log lets one of them take the amount.
      const handler = engine.command.app.get(RefundTerminalPaymentHandler);
      const context = { client: new PosClient('hq', '*', true), correlationId: `race-${randomUUID()}` };
      const [a, b] = await Promise.all([
        handler.prepare(paymentId, { amount: 6_000, terminalId: refundA }, context),
        handler.prepare(paymentId, { amount: 6_000, terminalId: refundB }, context),
      ]);
      const results = await Promise.allSettled([handler.execute(a), handler.execute(b)]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      expect(refused.reason).toMatchObject({ code: 'REFUND_EXCEEDS_CAPTURED' });
      for (const terminalId of [refundA, refundB]) {
        expect(await lastTerminalEvent(terminalId)).toMatchObject({ type: 'TerminalReleased', data: { storeId } });
        await waitUntil(
          async () => (await terminalDoc(storeId, terminalId))?.status === 'idle',
          10_000,
          `the read model frees ${terminalId}`,
        );
      }
      await waitUntil(async () => (await storeDoc(storeId))?.terminals !== undefined, 10_000, 'the store document');
      expect((await storeDoc(storeId))?.terminals).toEqual({ busy: 0, idle: 3, deactivated: 0 });
    });

    it('answers the same race over HTTP with one 201 and one 422, and both terminals free', async () => {
      const { storeId, terminals } = await storeWith('Europe/Oslo', 3);
      const [payTerminal, refundA, refundB] = terminals as [string, string, string];
      const paymentId = await captured(storeId, payTerminal, 10_000);
      const refund = (terminalId: string) =>
        engine.command.fetch(`/v1/terminal-payments/${paymentId}/refunds`, {
          method: 'POST',
          headers: { ...json, 'idempotency-key': randomUUID() },
          body: JSON.stringify({ amount: 6_000, terminalId }),
        });
      const statuses = (await Promise.all([refund(refundA), refund(refundB)])).map((r) => r.status).sort();
      expect(statuses).toEqual([201, 422]);
      for (const terminalId of [refundA, refundB])
        expect(await lastTerminalEvent(terminalId)).toMatchObject({ type: 'TerminalReleased' });
    });

    it('releases, after a short grace, a claim whose refund was never recorded (a crash in between)', async () => {
      const { storeId, terminals } = await storeWith('Europe/Oslo', 2);
      const [payTerminal, refundTerminal] = terminals as [string, string];
      const paymentId = await captured(storeId, payTerminal, 10_000);
      // What the command service leaves when it dies between claiming the terminal and recording the refund.
      const claimedAt = new Date();
      await handleCommand(
        engine.log,
        terminalStream(refundTerminal),
        terminalDecider,
        {
          type: 'ClaimTerminal',
          data: {
            terminalId: refundTerminal,
            claimId: randomUUID(),
            kind: 'refund',
            paymentId,
            storeId,
            claimedAt: claimedAt.toISOString(),
            expiresAt: new Date(claimedAt.getTime() + 600_000).toISOString(),
          },
        },
        { metadata: { correlationId: 'crashed-refund' } },
      );
      await waitUntil(
        async () => (await lastTerminalEvent(refundTerminal))?.type === 'TerminalReleased',
        15_000,
        'the reconciler releasing the orphan claim',
      );
      expect(await lastTerminalEvent(refundTerminal)).toMatchObject({ data: { reason: 'reconciled', storeId } });
      await waitUntil(
        async () => (await terminalDoc(storeId, refundTerminal))?.status === 'idle',
        10_000,
        'the read model freeing the terminal',
      );
    });
  });

  describe('the business day is the day Dintero captured', () => {
    /** Dintero's record clock set to 5 s before the store's latest local midnight, which is already past. */
    const fiveSecondsBeforeMidnight = async (timeZone: string) => {
      const midnight = latestLocalMidnight(timeZone, Date.now());
      await engine.sim.control('PUT', '/clock', { offsetMs: midnight - 5_000 - Date.now() });
      return { day: localDate(new Date(midnight - 5_000).toISOString(), timeZone), midnight };
    };
    afterEach(() => engine.sim.control('PUT', '/clock', { offsetMs: 0 }));

    // East of UTC+12 and west of UTC−10, where the local day is furthest from UTC's.
    it.each(['Pacific/Kiritimati', 'Pacific/Pago_Pago'])(
      'counts a capture and a refund 5 s before midnight in %s, reported after it by callback, on the day before',
      async (timeZone) => {
        const { storeId, terminals } = await storeWith(timeZone, 2);
        const [payTerminal, refundTerminal] = terminals as [string, string];
        const { day } = await fiveSecondsBeforeMidnight(timeZone);
        const paymentId = await captured(storeId, payTerminal, 10_000);
        const refund = await engine.command.fetch(`/v1/terminal-payments/${paymentId}/refunds`, {
          method: 'POST',
          headers: { ...json, 'idempotency-key': randomUUID() },
          body: JSON.stringify({ amount: 1_000, terminalId: refundTerminal }),
        });
        expect(refund.status).toBe(201);
        const events = await engine.log.readStream(paymentStream(paymentId));
        const capture = events.find((e) => e.type === 'PaymentCaptured')!.data as { at: string; dinteroAt: string };
        expect(localDate(capture.dinteroAt, timeZone)).toBe(day);
        // The engine heard of it after midnight: by the receipt time it would be the next day's.
        expect(localDate(capture.at, timeZone)).not.toBe(day);
        await waitUntil(
          async () => (await storeDay(storeId, day))?.currencies.NOK?.refundedAmount === 1_000,
          10_000,
          `the store-day ${day}`,
        );
        expect((await storeDay(storeId, day))?.currencies.NOK).toMatchObject({
          capturedAmount: 10_000,
          refundedAmount: 1_000,
        });
        expect(await storeDay(storeId, localDate(capture.at, timeZone))).toBeUndefined();
        expect(await storeDay(storeId, day)).toMatchObject({ timeZone });
      },
    );

    it('counts a capture 5 s before midnight on the day before when only the reconciler learns of it', async () => {
      const timeZone = 'Pacific/Kiritimati';
      const { storeId, terminals } = await storeWith(timeZone, 1);
      const [terminalId] = terminals as [string];
      await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
      const { day } = await fiveSecondsBeforeMidnight(timeZone);
      const { paymentId } = await engine.start(storeId, terminalId, 10_000);
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      await engine.waitForPayment(paymentId as string, (s) => s.status === 'captured', 'the reconciler');
      const capture = (await engine.log.readStream(paymentStream(paymentId as string))).find(
        (e) => e.type === 'PaymentCaptured',
      )!.data as { source: string; dinteroAt: string };
      expect(capture.source).toBe('reconciler');
      expect(localDate(capture.dinteroAt, timeZone)).toBe(day);
      await waitUntil(
        async () => (await storeDay(storeId, day))?.currencies.NOK?.capturedAmount === 10_000,
        10_000,
        `the store-day ${day}`,
      );
    });
  });

  it('keeps the card and Dintero’s time when a capture wins the race against a POS cancel', async () => {
    const { storeId, terminals } = await storeWith('Europe/Oslo', 1);
    const [terminalId] = terminals as [string];
    // Dintero's reports of the capture never arrive: the cancel is the first to learn of it.
    await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
    const { paymentId } = await engine.start(storeId, terminalId, 10_000);
    await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
    const cancel = await engine.command.fetch(`/v1/terminal-payments/${String(paymentId)}/cancel`, {
      method: 'POST',
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(cancel.status).toBe(409);
    expect(await cancel.json()).toMatchObject({ code: 'PAYMENT_FINISHED' });
    const capture = (await engine.log.readStream(paymentStream(paymentId as string))).find(
      (e) => e.type === 'PaymentCaptured',
    )!;
    expect(capture.data).toMatchObject({
      source: 'command-service',
      card: { brand: expect.any(String), entryMethod: expect.any(String), maskedPan: expect.stringContaining('*') },
      dinteroAt: expect.any(String),
    });
  });

  it('asks Dintero again to cancel a session when its answer to the POS cancel never came, before a card can pay', async () => {
    const { storeId, terminals } = await storeWith('Europe/Oslo', 1);
    const [terminalId] = terminals as [string];
    const { paymentId } = await engine.start(storeId, terminalId, 10_000);
    // The command service's call times out, with nothing done at Dintero; Dintero answers every call after it.
    const dintero = engine.command.app.get<DinteroClient>(DINTERO_CLIENT);
    const cancelSession = dintero.cancelSession.bind(dintero);
    dintero.cancelSession = () => {
      dintero.cancelSession = cancelSession;
      return Promise.reject(new DinteroUnavailableError('timed out'));
    };
    const cancel = await engine.command.fetch(`/v1/terminal-payments/${String(paymentId)}/cancel`, {
      method: 'POST',
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(cancel.status).toBe(202);
    expect(await cancel.json()).toMatchObject({ status: 'awaiting_card', cancellationRequested: true, final: false });
    // The reconciler carries the cancel to Dintero within the session (10 s here), not after it.
    const ended = await engine.waitForPayment(String(paymentId), (state) => state.status !== 'awaiting_card', 'an end');
    expect(ended).toMatchObject({ status: 'cancelled' });
    expect(Date.now()).toBeLessThan(Date.parse(ended.status === 'cancelled' ? ended.expiresAt : ''));
    const cancelled = (await engine.log.readStream(paymentStream(String(paymentId)))).find(
      (e) => e.type === 'PaymentCancelled',
    )!;
    expect(cancelled.data).toMatchObject({ by: 'pos', source: 'reconciler' });
    // The terminal prompts no more: a card presented now is not taken.
    await expect(engine.sim.control('POST', `/terminals/${terminalId}/present`, {})).rejects.toThrow(/NOT_PROMPTING/);
    await engine.terminalFree(terminalId);
  });

  it('gives an UNKNOWN transaction a status, frees its terminal once the session ended, and flags it for a person', async () => {
    const { storeId, terminals } = await storeWith('Europe/Oslo', 1);
    const [terminalId] = terminals as [string];
    // An amount ending in 50: the virtual terminal reports the transaction as UNKNOWN.
    const { paymentId } = await engine.start(storeId, terminalId, 10_050);
    await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
    const state = await engine.waitForPayment(
      paymentId as string,
      (s: PaymentState) => s.status === 'outcome_unknown' && s.flaggedForReviewAt !== undefined,
      'the payment flagged for review',
    );
    expect(state).toMatchObject({ status: 'outcome_unknown', transactionId: expect.any(String) });
    // The session is over once the transaction exists: the flag does not wait for its expiry (10 s here).
    const { flaggedForReviewAt, unknownSince } = state as { flaggedForReviewAt: string; unknownSince: string };
    expect(Date.parse(flaggedForReviewAt) - Date.parse(unknownSince)).toBeLessThan(5_000);
    const view = (await (await engine.command.fetch(`/v1/terminal-payments/${String(paymentId)}`)).json()) as Record<
      string,
      unknown
    >;
    expect(view).toMatchObject({ status: 'outcome_unknown', transactionId: expect.any(String) });
    expect(await lastTerminalEvent(terminalId)).toMatchObject({
      type: 'TerminalReleased',
      data: { reason: 'reconciled' },
    });
    await waitUntil(
      async () => ((await storeDoc(storeId))?.review as unknown[] | undefined)?.length === 1,
      10_000,
      'the store document listing the payment for review',
    );
    expect((await storeDoc(storeId))?.review).toEqual([
      expect.objectContaining({ paymentId, terminalId, reason: 'outcome_unknown' }),
    ]);
    const metrics = await (await fetch(`${engine.ingest.url}/metrics`)).text();
    expect(metrics).toMatch(/^payments_flagged_for_review_total\{[^}]*\} [1-9]/m);
    // The next customer can pay on that terminal.
    const next = await engine.start(storeId, terminalId, 10_000);
    expect(next.status).toBe('awaiting_card');
  });
});
