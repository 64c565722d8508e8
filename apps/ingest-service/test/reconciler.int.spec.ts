import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { Kvm } from '@nats-io/kv';
import { natsNames } from '@app/messaging';
import type { SqliteEventStore } from '@app/event-store';
import { isOpen, paymentStream, type PaymentState } from '@app/payment-domain';
import { SimulatorState } from '../../dintero-simulator/src/state/simulator-state';
import { TransactionRecords } from '../../dintero-simulator/src/terminals/transaction-records';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { sideBySide } from '../../../test/support/side-by-side';

const OPEN = ['requested', 'awaiting_card', 'outcome_unknown', 'on_hold', 'authorized'];
const final = (state: PaymentState) => state.status !== 'none' && !OPEN.includes(state.status);

describe('ingest: nothing is left open when Dintero’s reports never arrive', () => {
  let engine: Engine;
  let terminalNo = 0;

  beforeAll(async () => {
    engine = await startEngine({
      // Short sessions, and the reconciler asks Dintero as soon as a session is over.
      command: { SESSION_TTL_SECONDS: '10', CLAIM_MARGIN_SECONDS: '30' },
      ingest: {
        RECONCILER_GRACE_SECONDS: '0',
        RECONCILER_UNKNOWN_DELAY_SECONDS: '0',
        RECONCILER_REVIEW_AFTER_SECONDS: '1',
      },
      // A payment put ON_HOLD stays so until a test captures it at the simulator itself; one authorised is captured
      // only after 10 min, so that a cancel meanwhile voids it.
      sim: { SIM_HOLD_MS: '600000', SIM_CAPTURE_DELAY_MS: '600000' },
    });
  });
  afterAll(() => engine.close());

  const silentTerminal = async () => {
    const terminalId = `R-${++terminalNo}`;
    await engine.terminals('bergen', terminalId);
    // Every callback and webhook of this terminal is dropped: only the reconciler can learn the outcome.
    await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
    return terminalId;
  };
  /** Dintero captures the payment's ON_HOLD transaction at last, as the simulator would after its hold. */
  const captureAtDintero = (paymentId: string) => {
    const simulator = engine.sim.app.get(SimulatorState);
    const records = engine.sim.app.get(TransactionRecords);
    const tx = [...simulator.transactions.values()].find((t) => t.merchant_reference_2 === paymentId)!;
    tx.status = 'CAPTURED';
    tx.capturedAmount = tx.amount;
    tx.events.push(
      records.txEvent('AUTHORIZE', 'AUTHORIZED', true, tx.amount),
      records.txEvent('CAPTURE', 'CAPTURED', true, tx.amount),
    );
    return tx;
  };
  const types = async (stream: string) => (await engine.log.readStream(stream)).map((event) => event.type);

  // Each of these waits out a session (10 s) or more, on terminals of their own: they run side by side. None changes
  // what every payment sees (Dintero's API chaos, the log's write lock): the tests that do come after them.
  describe('cases that each wait out a session, side by side', () => {
    const together = sideBySide();

    together('settles every outcome by asking Dintero, and frees every terminal', async () => {
      const cases = [
        { amount: 10_000, status: 'captured' },
        { amount: 10_005, status: 'declined' },
        { amount: 10_010, status: 'cancelled' },
        { amount: 10_020, status: 'failed' },
        { amount: 10_030, status: 'expired' },
      ];
      const started = await Promise.all(
        cases.map(async ({ amount, status }) => {
          const terminalId = await silentTerminal();
          const payment = await engine.start('bergen', terminalId, amount);
          await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
          return { terminalId, paymentId: payment.paymentId as string, status };
        }),
      );
      for (const { terminalId, paymentId, status } of started) {
        const state = await engine.waitForPayment(paymentId, final, `the reconciler settling ${status}`);
        expect(state.status).toBe(status);
        const events = await engine.log.readStream(paymentStream(paymentId));
        const ending = events.at(-1)!;
        expect((ending.data as { source?: string }).source).toBe('reconciler');
        await engine.terminalFree(terminalId);
      }
    });

    together(
      'settles a session Dintero shows refused without a transaction as what it shows, not as expired',
      async () => {
        // Dintero's session has no `transaction_id` when no authorised transaction exists: its events tell the refusal
        // (a declined card, a customer's cancel shown by its event alone), as the callback that never came would have.
        const simulator = engine.sim.app.get(SimulatorState);
        const cases = [
          { amount: 10_005, event: 'DECLINED', status: 'declined' },
          { amount: 10_020, event: 'FAILED', status: 'failed' },
          { amount: 10_010, event: 'CANCELLED', status: 'cancelled' },
        ];
        // The three side by side, each on a terminal of its own: each waits out a session (10 s).
        const settle = async ({ amount, event, status }: (typeof cases)[number]) => {
          const terminalId = await silentTerminal();
          const { paymentId } = (await engine.start('bergen', terminalId, amount)) as { paymentId: string };
          // Presented before the reconciler's first look (it is due once the session is over, 10 s on).
          await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
          const session = [...simulator.sessions.values()].find((s) => s.order.merchant_reference_2 === paymentId)!;
          expect(session.events.map((e) => e.name)).toContain(event);
          if (session.transaction_id) simulator.transactions.delete(session.transaction_id);
          delete session.transaction_id;
          delete session.cancelled_at;
          const state = await engine.waitForPayment(paymentId, final, `the reconciler settling ${status}`);
          expect(state.status).toBe(status);
          expect(await types(paymentStream(paymentId))).not.toContain('PaymentExpired');
          await engine.terminalFree(terminalId);
        };
        await Promise.all(cases.map(settle));
      },
    );

    describe('a payment whose first try Dintero could not tell of, where the session names a later try', () => {
      /**
       * A payment whose transaction was UNKNOWN (amounts ending in 50), then, at Dintero, its first try ended `first`
       * and a later try the session names ended `later`.
       */
      const settleTries = async (first: 'CAPTURED' | 'FAILED', later: 'CAPTURED' | 'DECLINED') => {
        const terminalId = await silentTerminal();
        const { paymentId } = (await engine.start('bergen', terminalId, 10_050)) as { paymentId: string };
        await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
        const unknown = await engine.waitForPayment(
          paymentId,
          (s) => s.status === 'outcome_unknown',
          'UNKNOWN recorded',
        );
        const own = (unknown as { transactionId?: string }).transactionId!;
        const simulator = engine.sim.app.get(SimulatorState);
        const records = engine.sim.app.get(TransactionRecords);
        const tx = simulator.transactions.get(own)!;
        const ended = (status: 'CAPTURED' | 'FAILED' | 'DECLINED') =>
          status === 'CAPTURED'
            ? {
                status,
                capturedAmount: tx.amount,
                events: [
                  records.txEvent('AUTHORIZE', 'AUTHORIZED', true, tx.amount),
                  records.txEvent('CAPTURE', 'CAPTURED', true, tx.amount),
                ],
              }
            : { status, events: [records.txEvent('AUTHORIZE', status, false, tx.amount)] };
        const { events: firstEvents, ...firstEnd } = ended(first);
        const second = { ...tx, id: `${own}-2`, ...ended(later) };
        simulator.transactions.set(second.id, second);
        Object.assign(tx, firstEnd);
        tx.events.push(...firstEvents);
        simulator.sessions.get(tx.session_id)!.transaction_id = second.id;
        const state = await engine.waitForPayment(paymentId, final, 'the reconciler settling the tries');
        return { paymentId, own, later: second.id, state };
      };

      together(
        'asks about the first when the later was refused: the first, captured after all, is the sale',
        async () => {
          const { own, state } = await settleTries('CAPTURED', 'DECLINED');
          expect(state).toMatchObject({ status: 'captured', transactionId: own });
        },
      );

      together('ends on the later when it was captured, whatever became of the first', async () => {
        const { paymentId, later, state } = await settleTries('FAILED', 'CAPTURED');
        expect(state).toMatchObject({ status: 'captured', transactionId: later });
        expect(await types(paymentStream(paymentId))).not.toContain('LateCaptureRecorded');
      });

      together('records the first captured too, when the later was: money taken twice', async () => {
        const { paymentId, later, state } = await settleTries('CAPTURED', 'CAPTURED');
        expect(state).toMatchObject({ status: 'captured', transactionId: later });
        await waitUntil(
          async () => (await types(paymentStream(paymentId))).includes('LateCaptureRecorded'),
          10_000,
          'the first try recorded as money taken twice',
        );
      });
    });

    together('keeps settling after its subscription to the log drops, and says so in its metrics', async () => {
      // As KurrentDB ends every subscription on a restart or a leader change.
      (engine.log as SqliteEventStore).dropSubscriptions();
      const terminalId = await silentTerminal();
      const { paymentId } = (await engine.start('bergen', terminalId, 10_000)) as { paymentId: string };
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      const state = await engine.waitForPayment(paymentId, final, 'the reconciler settling after the drop');
      expect(state.status).toBe('captured');
      const metrics = await (await fetch(`${engine.ingest.url}/metrics`)).text();
      expect(metrics).toMatch(/^event_log_subscription_drops_total\{[^}]*subscriber="reconciler"[^}]*\} 1$/m);
      expect(metrics).toMatch(/^event_log_subscription_up\{[^}]*subscriber="reconciler"[^}]*\} 1$/m);
      const health = await fetch(`${engine.ingest.url}/health`);
      expect(health.status).toBe(200);
      await engine.terminalFree(terminalId);
    });

    together(
      'asks about a transaction it was told of by its id, when Dintero no longer knows the session',
      async () => {
        const terminalId = `R-${++terminalNo}`;
        await engine.terminals('bergen', terminalId);
        // Amounts ending in 40: ON_HOLD, reported (and captured only when this test says so).
        const { paymentId } = (await engine.start('bergen', terminalId, 10_040)) as { paymentId: string };
        await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
        await engine.waitForPayment(paymentId, (state) => state.status === 'on_hold', 'the ON_HOLD callback');
        // Every delivery of the ON_HOLD report made; none of what follows is reported.
        await engine.sim.control('POST', '/idle');
        await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
        // Dintero captures it, answers 404 for the session, and a search by our reference would not find the
        // transaction: only a lookup by the id the callback named can.
        const simulator = engine.sim.app.get(SimulatorState);
        const session = [...simulator.sessions.values()].find((s) => s.order.merchant_reference_2 === paymentId)!;
        const tx = captureAtDintero(paymentId);
        simulator.sessions.delete(session.id);
        (tx as { merchant_reference: string }).merchant_reference = 'not-ours-any-longer';
        const state = await engine.waitForPayment(paymentId, final, 'the reconciler asking by the transaction’s id');
        expect(state.status).toBe('captured');
        const ending = (await engine.log.readStream(paymentStream(paymentId))).at(-1)!;
        expect((ending.data as { source?: string }).source).toBe('reconciler');
        await engine.terminalFree(terminalId);
      },
    );

    together(
      'hands a person a payment whose session is over while Dintero keeps its transaction on hold, and goes on asking',
      async () => {
        const terminalId = `R-${++terminalNo}`;
        await engine.terminals('bergen', terminalId);
        // Amounts ending in 40: ON_HOLD, and captured only when this test says so.
        const { paymentId } = (await engine.start('bergen', terminalId, 10_040)) as { paymentId: string };
        await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
        const flagged = await engine.waitForPayment(
          paymentId,
          (state) => state.status === 'on_hold' && state.flaggedForReviewAt !== undefined,
          'the payment flagged for a person once its session was over (10 s) and the review time (1 s) passed',
        );
        const flags = (await engine.log.readStream(paymentStream(paymentId))).filter(
          (event) => event.type === 'PaymentFlaggedForReview',
        );
        expect(flags).toEqual([
          expect.objectContaining({
            data: expect.objectContaining({ reason: 'not_final', since: (flagged as { expiresAt: string }).expiresAt }),
          }),
        ]);
        expect(Date.parse((flagged as { flaggedForReviewAt: string }).flaggedForReviewAt)).toBeGreaterThanOrEqual(
          Date.parse((flagged as { expiresAt: string }).expiresAt) + 1_000,
        );
        const metrics = await (await fetch(`${engine.ingest.url}/metrics`)).text();
        expect(metrics).toMatch(/^payments_flagged_for_review_total\{[^}]*\} [1-9]/m);
        // Dintero captures it at last, and tells no one: the reconciler, still asking, records it.
        await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
        captureAtDintero(paymentId);
        const state = await engine.waitForPayment(paymentId, final, 'the reconciler recording the capture');
        expect(state.status).toBe('captured');
      },
    );

    together(
      'hands a person a payment it cannot settle (a status it does not know), says why, and settles it once it can',
      async () => {
        const terminalId = await silentTerminal();
        // Amounts ending in 40: ON_HOLD at first; then Dintero answers with a status this engine was never taught.
        const { paymentId } = (await engine.start('bergen', terminalId, 10_040)) as { paymentId: string };
        await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
        const simulator = engine.sim.app.get(SimulatorState);
        const tx = [...simulator.transactions.values()].find((t) => t.merchant_reference_2 === paymentId)!;
        (tx as { status: string }).status = 'PENDING_REVIEW';
        const flagged = await engine.waitForPayment(
          paymentId,
          (state) => isOpen(state) && state.flaggedForReviewAt !== undefined,
          'the payment flagged for a person once its session was over (10 s) and the review time (1 s) passed',
        );
        expect(flagged.status).toBe('awaiting_card');
        const flags = (await engine.log.readStream(paymentStream(paymentId))).filter(
          (event) => event.type === 'PaymentFlaggedForReview',
        );
        expect(flags).toEqual([
          expect.objectContaining({
            data: expect.objectContaining({
              reason: 'not_settleable',
              problem: 'Dintero transaction status "PENDING_REVIEW" is not one this engine knows',
              since: (flagged as { expiresAt: string }).expiresAt,
            }),
          }),
        ]);
        // Dintero captures it, and the reconciler, still asking, records the capture.
        captureAtDintero(paymentId);
        const state = await engine.waitForPayment(paymentId, final, 'the reconciler recording the capture');
        expect(state.status).toBe('captured');
      },
    );

    together(
      "finds a payment's transaction by its payment id, where the POS's reference names a hundred newer ones",
      async () => {
        const terminalId = `R-${++terminalNo}`;
        await engine.terminals('bergen', terminalId);
        await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
        const { paymentId } = (await engine.start('bergen', terminalId, 10_000)) as { paymentId: string };
        await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
        // Captured at Dintero, and nothing reported. Dintero no longer knows the session, and the POS gave the same
        // reference to 120 payments after this one on the terminal: a search by that reference, newest first, a
        // hundred at most, would not reach this transaction, and the payment would be taken for expired.
        const simulator = engine.sim.app.get(SimulatorState);
        const session = [...simulator.sessions.values()].find((s) => s.order.merchant_reference_2 === paymentId)!;
        const tx = [...simulator.transactions.values()].find((t) => t.merchant_reference_2 === paymentId)!;
        await waitUntil(() => tx.status === 'CAPTURED', 10_000, 'the capture at Dintero');
        for (let i = 0; i < 120; i++) {
          const id = `${tx.id}-later-${i}`;
          simulator.transactions.set(id, { ...structuredClone(tx), id, merchant_reference_2: randomUUID() });
        }
        simulator.sessions.delete(session.id);
        const state = await engine.waitForPayment(paymentId, final, 'the reconciler finding the transaction');
        expect(state.status).toBe('captured');
        for (let i = 0; i < 120; i++) simulator.transactions.delete(`${tx.id}-later-${i}`);
        await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 0 });
        await engine.terminalFree(terminalId);
      },
    );
  });

  it('settles a session creation whose outcome is unknown, by our reference at Dintero', async () => {
    const terminalId = await silentTerminal();
    // Dintero answers 503 to the session creation: half the time after creating it (the customer can pay).
    await engine.sim.control('PUT', '/chaos', { api5xxRate: 1 });
    const response = await engine.command.fetch('/v1/terminal-payments', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `unknown-${terminalId}` },
      body: JSON.stringify({
        storeId: 'bergen',
        terminalId,
        amount: 10_000,
        currency: 'NOK',
        merchantReference: `REF-${terminalId}`,
      }),
    });
    await engine.sim.control('PUT', '/chaos', { api5xxRate: 0 });
    expect(response.status).toBe(202);
    const { paymentId } = (await response.json()) as { paymentId: string };
    const created = [...engine.sim.app.get(SimulatorState).sessions.values()].some(
      (session) => session.order.merchant_reference_2 === paymentId,
    );
    if (created) await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
    const state = await engine.waitForPayment(paymentId, final, 'the unknown session creation settled');
    expect(state.status).toBe(created ? 'captured' : 'expired');
    await engine.terminalFree(terminalId);
  });

  /**
   * A payment whose session Dintero created and answered 503 (after it took effect), on a silent terminal: Dintero
   * fails half its 503s before the request takes effect, so payments are started until one's session exists.
   */
  const sessionCreatedAnswerLost = async (amount: number) => {
    const simulator = engine.sim.app.get(SimulatorState);
    for (let attempt = 0; attempt < 16; attempt++) {
      const terminalId = await silentTerminal();
      await engine.sim.control('PUT', '/chaos', { api5xxRate: 1 });
      const response = await engine.command.fetch('/v1/terminal-payments', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `lost-${terminalId}` },
        body: JSON.stringify({ storeId: 'bergen', terminalId, amount, currency: 'NOK', merchantReference: terminalId }),
      });
      await engine.sim.control('PUT', '/chaos', { api5xxRate: 0 });
      expect(response.status).toBe(202);
      const { paymentId } = (await response.json()) as { paymentId: string };
      const created = [...simulator.sessions.values()].some((s) => s.order.merchant_reference_2 === paymentId);
      if (created) return { terminalId, paymentId };
    }
    throw new Error('no session created in 16 tries');
  };
  /**
   * Waits for the reconciler's first look at the payment to end: it then holds the payment's lease until its next look
   * and a lease past it (`holdUntilNextLook`), longer than a plain take (RECONCILER_LEASE_SECONDS, 30 s).
   */
  const firstLookDone = (paymentId: string) =>
    waitUntil(
      async () => {
        const leases = await new Kvm(engine.nats).open(natsNames(engine.prefix).buckets.reconcilerLeases);
        const entry = await leases.get(paymentId);
        const until = Number(entry?.string().split('|').at(-1));
        return entry !== null && until - entry.created.getTime() >= 30_500;
      },
      10_000,
      'the reconciler’s first look at the unknown session creation',
    );

  it('settles, well before the session’s end, a session Dintero created whose answer and every callback were lost', async () => {
    const { terminalId, paymentId } = await sessionCreatedAnswerLost(10_000);
    // The reconciler looked, and Dintero showed no transaction yet: the customer had not paid.
    await firstLookDone(paymentId);
    await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
    const state = await engine.waitForPayment(paymentId, final, 'the unknown session creation settled');
    if (state.status !== 'captured') throw new Error(`settled as ${state.status}`);
    // Asked again within seconds (the time since the session was sent, from 1 s), not at its end (10 s after the start).
    const events = await engine.log.readStream(paymentStream(paymentId));
    const capture = events.find((event) => event.type === 'PaymentCaptured')!;
    expect(capture.data).toMatchObject({ source: 'reconciler' });
    expect(Date.parse((capture.data as { at: string }).at)).toBeLessThan(Date.parse(state.expiresAt) - 3_000);
    await engine.terminalFree(terminalId);
  });

  it('learns the session of an unknown session creation from its transaction, and sends it the cancel the POS asked for meanwhile', async () => {
    // Amounts ending in 45: authorised, and captured only after SIM_CAPTURE_DELAY_MS.
    const { terminalId, paymentId } = await sessionCreatedAnswerLost(10_045);
    // The POS cancels: the engine knows no session to cancel yet, so the cancel waits (202).
    const cancel = await engine.command.fetch(`/v1/terminal-payments/${paymentId}/cancel`, {
      method: 'POST',
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(cancel.status).toBe(202);
    // The terminal prompts all the same, and the customer pays: Dintero authorises, and every delivery is lost.
    await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
    // A look finds the transaction by our reference, and with it the session; the next sends the cancel, which voids it.
    const state = await engine.waitForPayment(paymentId, final, 'the cancel sent to the session found');
    expect(state.status).toBe('voided');
    const session = [...engine.sim.app.get(SimulatorState).sessions.values()].find(
      (s) => s.order.merchant_reference_2 === paymentId,
    )!;
    expect(session.cancelled_at).toBeDefined();
    const events = await engine.log.readStream(paymentStream(paymentId));
    expect(events.find((event) => event.type === 'SessionCreated')?.data).toMatchObject({ sessionId: session.id });
    await engine.terminalFree(terminalId);
  });

  it('answers 503 while the log cannot be written, and the retried delivery lands once', async () => {
    const terminalId = `R-${++terminalNo}`;
    await engine.terminals('bergen', terminalId);
    const { paymentId } = await engine.start('bergen', terminalId, 10_000);
    // Another connection holds the log's write lock: ingest's appends time out (busy) and fail.
    const blocker = new Database(engine.eventStoreFile);
    blocker.exec('BEGIN IMMEDIATE');
    try {
      await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
      await waitForFailedDelivery(engine, terminalId);
    } finally {
      blocker.exec('COMMIT');
      blocker.close();
    }
    const state = await engine.waitForPayment(paymentId as string, final, 'the retried delivery recorded');
    expect(state.status).toBe('captured');
    await engine.sim.control('POST', '/idle');
    expect((await types(paymentStream(paymentId as string))).filter((t) => t === 'PaymentCaptured')).toHaveLength(1);
  });
});

/** Until the simulator has seen a delivery answered 503 (ingest could not write). */
async function waitForFailedDelivery(engine: Engine, terminalId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const deliveries = await engine.sim.control<{ terminalId?: string; lastStatus?: number }[]>('GET', '/deliveries');
    if (deliveries.some((delivery) => delivery.terminalId === terminalId && delivery.lastStatus === 503)) return;
    if (Date.now() > deadline) throw new Error('no delivery was answered 503');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
