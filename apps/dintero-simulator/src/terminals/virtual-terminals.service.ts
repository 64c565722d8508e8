import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DeliveryService } from '../delivery/delivery.service';
import { SIMULATOR_CONFIG, type DinteroSimulatorConfig } from '../dintero-simulator.config';
import { SimulatorClock } from '../state/clock';
import { SimulatorRandom } from '../state/random';
import { SimulatorStateWrites } from '../state/state-writes';
import { randomUUID } from 'node:crypto';
import {
  SimulatorState,
  type SimSession,
  type RefundMode,
  type SimTerminal,
  type SimTransaction,
  type TransactionEvent,
  sessionAsRead,
  statusAfterRefund,
} from '../state/simulator-state';
import { outcomeForAmount, parseOutcome, type TerminalOutcome } from './amount-table';
import { addToBatch } from '../fleet/terminal-batch';
import { seitatechMetadata, type TerminalAnswer } from './seitatech-metadata';

/**
 * The virtual terminals: a session prompts on its terminal; after the configured delay (or when a test
 * presents the card) the outcome the amount picks happens, Dintero's records change, and the callback
 * and webhooks go out. A session left unanswered expires at its `expires_at` and frees the terminal.
 */
@Injectable()
export class VirtualTerminalsService implements OnModuleInit, OnApplicationShutdown {
  private readonly prompts = new Map<string, NodeJS.Timeout>();
  private expirySweep: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: DinteroSimulatorConfig,
    private readonly state: SimulatorState,
    private readonly delivery: DeliveryService,
    private readonly random: SimulatorRandom,
    private readonly clock: SimulatorClock,
    private readonly writes: SimulatorStateWrites,
  ) {}

  onModuleInit(): void {
    this.expirySweep = setInterval(() => this.expireSessions(), 250);
    this.expirySweep.unref();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearInterval(this.expirySweep);
    this.reset();
  }

  /** Nothing scheduled goes on (`/_control/reset`): a prompt of a session before it never presents a later one's card. */
  reset(): void {
    for (const timer of this.prompts.values()) clearTimeout(timer);
    this.prompts.clear();
  }

  /**
   * Timers of a stopped simulator never fire; unref'd, since the HTTP server keeps a running one alive. What one
   * changed goes to the state file (no request waits for it).
   */
  private schedule(key: string, delayMs: number, action: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.prompts.delete(key);
      action();
      this.writes.changed();
    }, delayMs);
    timer.unref();
    this.prompts.set(key, timer);
  }

  prompt(session: SimSession): void {
    const terminal = this.state.terminals.get(session.order.store.terminal_id)!;
    terminal.activeSessionId = session.id;
    session.events.push({ name: 'INITIATED', created_at: this.clock.stamp() });
    this.state.touchPayment(session);
    if (!terminal.unattended)
      this.schedule(session.id, this.config.terminalDelayMs, () => {
        if (terminal.activeSessionId === session.id) this.present(terminal.terminal_id);
      });
  }

  /** The customer presents a card now. Returns false when nothing is prompting. */
  present(terminalId: string, override?: TerminalOutcome): boolean {
    const terminal = this.state.terminals.get(terminalId);
    const session = terminal?.activeSessionId ? this.state.sessions.get(terminal.activeSessionId) : undefined;
    if (!terminal || !session) return false;
    this.state.touchPayment(session);
    clearTimeout(this.prompts.get(session.id));
    this.prompts.delete(session.id);
    const outcome = override ?? parseOutcome(terminal.nextOutcome) ?? outcomeForAmount(session.order.amount);
    terminal.nextOutcome = undefined;
    if (outcome.kind === 'no_answer') return true; // prompts on until the session expires
    terminal.activeSessionId = undefined;
    this.apply(session, outcome);
    return true;
  }

  /** Cancel while prompting: the terminal drops the prompt (our choice: Dintero does not say, §3). */
  abort(session: SimSession): void {
    clearTimeout(this.prompts.get(session.id));
    this.prompts.delete(session.id);
    const terminal = this.state.terminals.get(session.order.store.terminal_id);
    if (terminal?.activeSessionId === session.id) terminal.activeSessionId = undefined;
    this.state.touchPayment(session);
  }

  private apply(session: SimSession, outcome: TerminalOutcome): void {
    const terminal = this.state.terminals.get(session.order.store.terminal_id)!;
    const answered = (tx: SimTransaction, answer: TerminalAnswer) => ({
      metadata: seitatechMetadata(terminal, tx, 'PURCHASE', answer),
    });
    switch (outcome.kind) {
      case 'approved': {
        const tx = this.transaction(
          session,
          'CAPTURED',
          this.card(outcome.brand, outcome.cardType, outcome.entryMethod),
        );
        tx.events.push(
          this.txEvent('AUTHORIZE', 'AUTHORIZED', true, tx.amount, answered(tx, { approved: true })),
          this.txEvent('CAPTURE', 'CAPTURED', true, tx.amount),
        );
        tx.capturedAmount = tx.amount;
        addToBatch(terminal, 'purchase', tx.amount, tx.updated_at);
        session.events.push(
          { name: 'AUTHORIZED', created_at: this.clock.stamp() },
          { name: 'COMPLETED', created_at: this.clock.stamp() },
        );
        return this.report(session, tx, undefined, undefined, { authorization: true });
      }
      case 'declined': {
        const tx = this.transaction(session, 'DECLINED');
        tx.events.push(
          this.txEvent('AUTHORIZE', 'DECLINED', false, tx.amount, {
            ...answered(tx, { approved: false, reason: outcome.errorType, responseCode: '05' }),
            error: { code: outcome.errorType, message: outcome.message, type: [outcome.errorType] },
          }),
        );
        session.events.push({
          name: 'DECLINED',
          created_at: this.clock.stamp(),
          details: { error: outcome.errorType },
        });
        return this.report(session, tx, 'authorization', undefined, { authorization: true });
      }
      case 'failed': {
        const tx = this.transaction(session, 'FAILED');
        tx.events.push(
          this.txEvent('AUTHORIZE', 'FAILED', false, tx.amount, {
            ...answered(tx, { approved: false, reason: 'ERROR', responseCode: '96' }),
            error: { code: 'ERROR', message: outcome.message, type: ['ERROR'] },
          }),
        );
        session.events.push({ name: 'FAILED', created_at: this.clock.stamp() });
        return this.report(session, tx, 'failed', undefined, { authorization: true });
      }
      case 'unknown': {
        const tx = this.transaction(session, 'UNKNOWN');
        session.events.push({ name: 'UNKNOWN', created_at: this.clock.stamp() });
        return this.report(session, tx, undefined);
      }
      case 'on_hold_then_approved': {
        // The card was read before the payment went on hold: the transaction has it from the start.
        const tx = this.transaction(session, 'ON_HOLD', this.card('Visa', 'Debit', 'contactless'));
        this.report(session, tx, undefined);
        // "For an ON_HOLD transaction, a second callback follows when its status changes" (§4).
        this.schedule(`${session.id}:hold`, this.config.holdMs, () => {
          tx.status = 'CAPTURED';
          tx.capturedAmount = tx.amount;
          tx.updated_at = this.clock.stamp();
          addToBatch(terminal, 'purchase', tx.amount, tx.updated_at);
          tx.events.push(
            this.txEvent('AUTHORIZE', 'AUTHORIZED', true, tx.amount, answered(tx, { approved: true })),
            this.txEvent('CAPTURE', 'CAPTURED', true, tx.amount),
          );
          // The session as an approved one's: authorised, then completed.
          session.events.push(
            { name: 'AUTHORIZED', created_at: this.clock.stamp() },
            { name: 'COMPLETED', created_at: this.clock.stamp() },
          );
          this.report(session, tx, undefined, undefined, { authorization: true });
        });
        return;
      }
      case 'on_hold_then_failed': {
        // ON_HOLD "will later be updated with a final payment status AUTHORIZED or FAILED" (the specification).
        const tx = this.transaction(session, 'ON_HOLD', this.card('Visa', 'Debit', 'contactless'));
        this.report(session, tx, undefined);
        this.schedule(`${session.id}:hold`, this.config.holdMs, () => {
          tx.status = 'FAILED';
          tx.updated_at = this.clock.stamp();
          tx.events.push(
            this.txEvent('AUTHORIZE', 'FAILED', false, tx.amount, {
              ...answered(tx, { approved: false, reason: 'ERROR', responseCode: '96' }),
              error: { code: 'ERROR', message: 'Failed after review', type: ['ERROR'] },
            }),
          );
          session.events.push({ name: 'FAILED', created_at: this.clock.stamp() });
          this.report(session, tx, 'failed', undefined, { authorization: true });
        });
        return;
      }
      case 'authorized_then_captured': {
        const tx = this.transaction(session, 'AUTHORIZED', this.card('MasterCard', 'Credit', 'chip'));
        tx.events.push(this.txEvent('AUTHORIZE', 'AUTHORIZED', true, tx.amount, answered(tx, { approved: true })));
        session.events.push({ name: 'AUTHORIZED', created_at: this.clock.stamp() });
        // With auto-capture "the callback is delayed until the transaction is CAPTURED" (§2); the webhooks say now.
        this.report(session, tx, undefined, undefined, { callback: false, authorization: true });
        return this.captureLater(tx);
      }
      case 'cancelled': {
        session.cancelled_at = this.clock.stamp();
        session.cancelled_by = 'customer';
        session.events.push({ name: 'CANCELLED', created_at: this.clock.stamp() });
        return this.reportCancelled(session);
      }
      case 'no_answer':
        return;
    }
  }

  /** The card as Dintero shows it on a transaction: its brand, type, entry method and masked number. */
  private card(brand: string, type: string, entryMethod: string) {
    const bin = brand === 'MasterCard' ? '535310' : '476173';
    return {
      brand,
      masked_pan: `${bin}******${String(this.random.between(1000, 9999))}`,
      type,
      entry_method: entryMethod,
    };
  }

  /**
   * Callback (unless left out) and `checkout_transaction` webhook for a transaction's new status; for the terminal's
   * answer to the card (authorised, declined or failed), a `checkout_authorization` webhook too, which Dintero sends
   * with the callback's facts (§5).
   */
  report(
    session: SimSession,
    tx: SimTransaction,
    error: string | undefined,
    /** A transaction event applied (`report_event`): `event` and `event_id` on the callback's query. */
    applied?: { readonly event: string; readonly event_id?: string },
    { callback = true, authorization = false } = {},
  ): void {
    const terminalId = session.order.store.terminal_id;
    // Every change to a payment is reported: its records are marked here too (a mark twice is one record written).
    this.state.touchPayment(session, tx);
    const transaction = structuredClone(withoutInternals(tx));
    if (callback)
      this.delivery.callback(
        tx.url.callback_url,
        { ...this.callbackParams(session, tx, error), ...applied },
        terminalId,
        transaction,
        () => structuredClone(sessionAsRead(session)),
      );
    if (authorization)
      this.delivery.webhook(
        'checkout_authorization',
        {
          authorization: {
            merchant_reference: session.order.merchant_reference,
            session_id: session.id,
            transaction_id: tx.id,
            ...(error ? { error } : {}),
          },
          transaction,
        },
        terminalId,
      );
    this.delivery.webhook('checkout_transaction', { transaction }, terminalId);
  }

  /**
   * Dintero's automatic capture of an in-person transaction left `AUTHORIZED`, after `SIM_CAPTURE_DELAY_MS`: then the
   * callback and the `checkout_transaction` webhook. A cancel of its session meanwhile voided it, and nothing happens.
   * Also called for such a transaction read back after a restart: Dintero's capture does not depend on the terminal,
   * and it comes when it was due (at once if that was while the simulator was down), not a whole delay after the start.
   */
  captureLater(tx: SimTransaction): void {
    tx.captureDueAt ??= Date.now() + this.config.captureDelayMs;
    this.state.touch('transactions', tx.id);
    this.schedule(`${tx.id}:capture`, Math.max(0, tx.captureDueAt - Date.now()), () => {
      const session = this.state.sessions.get(tx.session_id);
      const current = this.state.transactions.get(tx.id);
      if (!session || current !== tx || tx.status !== 'AUTHORIZED') return;
      this.state.touchPayment(session, tx);
      delete tx.captureDueAt;
      tx.status = 'CAPTURED';
      tx.capturedAmount = tx.amount;
      tx.updated_at = this.clock.stamp();
      tx.events.push(this.txEvent('CAPTURE', 'CAPTURED', true, tx.amount));
      session.events.push({ name: 'COMPLETED', created_at: this.clock.stamp() });
      const terminal = this.state.terminals.get(tx.store.terminal_id);
      if (terminal) addToBatch(terminal, 'purchase', tx.amount, tx.updated_at);
      this.report(session, tx, undefined);
    });
  }

  /**
   * A capture, refund or void: the webhook always, the callback only if `report_event` asked for it (§4), with the
   * event applied (`event`) and its id (`event_id`), the query parameters the specification's session callback lists
   * for it. The event is the last of its kind: each caller has just added it.
   */
  reportEvent(tx: SimTransaction, event: 'CAPTURE' | 'REFUND' | 'VOID'): void {
    this.state.touchPayment(undefined, tx);
    const session = this.state.sessions.get(tx.session_id);
    if (!session) return; // the simulator was reset since (`/_control/reset`): nobody to tell

    const wanted = tx.url.callback_url ? new URL(tx.url.callback_url).searchParams.getAll('report_event') : [];
    const applied = tx.events.findLast((each) => each.event === event);
    this.report(
      session,
      tx,
      undefined,
      { event, ...(applied ? { event_id: applied.id } : {}) },
      {
        callback: wanted.includes(event),
      },
    );
  }

  /**
   * A session cancelled before any card (by the customer, or by the merchant's cancel): the callback
   * carries `error=cancelled` and no transaction, and `checkout_authorization` says the same (§3, §5).
   */
  reportCancelled(session: SimSession): void {
    this.state.touchPayment(session);
    const terminalId = session.order.store.terminal_id;
    this.delivery.callback(session.url.callback_url, this.callbackParams(session, undefined, 'cancelled'), terminalId);
    this.delivery.webhook(
      'checkout_authorization',
      {
        authorization: {
          merchant_reference: session.order.merchant_reference,
          session_id: session.id,
          error: 'cancelled',
        },
      },
      terminalId,
    );
  }

  callbackParams(
    session: SimSession,
    tx: SimTransaction | undefined,
    error: string | undefined,
  ): Record<string, string | undefined> {
    return {
      transaction_id: tx?.id,
      session_id: session.id,
      merchant_reference: session.order.merchant_reference,
      // "For when the transaction was created" (the spec's callback query), not when it is sent; without a
      // transaction, when the session was cancelled.
      time: tx?.created_at ?? session.cancelled_at ?? this.clock.stamp(),
      error,
    };
  }

  txEvent(
    event: string,
    status: string,
    success: boolean,
    amount?: number,
    extra?: Partial<
      Pick<TransactionEvent, 'event_reference' | 'request_id' | 'correlation_request_id' | 'error' | 'metadata'>
    >,
  ): TransactionEvent {
    return {
      id: this.random.id(this.config.accountId),
      event,
      transaction_status: status,
      success,
      created_at: this.clock.stamp(),
      ...(amount === undefined ? {} : { amount }),
      ...extra,
    };
  }

  /**
   * A refund Dintero accepted (202): the `INITIATE_REFUND` event now, the terminal busy while the cardholder
   * confirms it, and after `refundDelayMs` the `REFUND` event (approved or declined) whose
   * `correlation_request_id` is the request's id, reported like any refund. The amount is held meanwhile.
   * `async_stall`: the terminal died mid-refund, and Dintero never finishes it (the amount stays held, the terminal
   * is free again after the delay).
   */
  refundLater(
    tx: SimTransaction,
    terminal: SimTerminal,
    amount: number,
    reference: string | undefined,
    mode: Exclude<RefundMode, 'sync'>,
  ) {
    const requestId = randomUUID();
    const ref = reference === undefined ? {} : { event_reference: reference };
    tx.events.push(this.txEvent('INITIATE_REFUND', tx.status, true, amount, { ...ref, request_id: requestId }));
    tx.updated_at = this.clock.stamp();
    tx.refundingAmount += amount;
    this.state.touchPayment(undefined, tx);
    this.state.touch('terminals', terminal.terminal_id);
    // The transaction was updated: `checkout_transaction` is sent (no callback: `report_event` names no initiation).
    this.delivery.webhook(
      'checkout_transaction',
      { transaction: structuredClone(withoutInternals(tx)) },
      tx.store.terminal_id,
    );
    terminal.activeRefund = { transactionId: tx.id, requestId };
    const approve = mode === 'async_approve';
    if (mode === 'async_stall') {
      this.schedule(`refund:${requestId}`, this.config.refundDelayMs, () => {
        if (terminal.activeRefund?.requestId === requestId) terminal.activeRefund = undefined;
        this.state.touch('terminals', terminal.terminal_id);
      });
      return requestId;
    }
    this.schedule(`refund:${requestId}`, this.config.refundDelayMs, () => {
      tx.refundingAmount -= amount;
      if (terminal.activeRefund?.requestId === requestId) terminal.activeRefund = undefined;
      this.state.touchPayment(undefined, tx);
      this.state.touch('terminals', terminal.terminal_id);
      if (approve) {
        tx.refundedAmount += amount;
        tx.status = statusAfterRefund(tx);
        addToBatch(terminal, 'reversal', amount, this.clock.stamp());
      }
      const done = this.txEvent('REFUND', tx.status, approve, amount, {
        ...ref,
        correlation_request_id: requestId,
        metadata: seitatechMetadata(
          terminal,
          tx,
          'REFUND',
          approve ? { approved: true } : { approved: false, reason: 'CANCELLED_BY_CARDHOLDER', responseCode: '17' },
          amount,
        ),
        ...(approve
          ? {}
          : { error: { code: 'DECLINED', message: 'The cardholder did not confirm the refund', type: ['DECLINED'] } }),
      });
      tx.events.push(done);
      tx.updated_at = done.created_at;
      this.reportEvent(tx, 'REFUND');
    });
    return requestId;
  }

  private transaction(session: SimSession, status: string, card?: SimTransaction['card']): SimTransaction {
    const created = this.clock.stamp();
    const tx: SimTransaction = {
      id: this.random.id(this.config.accountId),
      session_id: session.id,
      status,
      amount: session.order.amount,
      currency: session.order.currency,
      merchant_reference: session.order.merchant_reference,
      ...(session.order.merchant_reference_2 === undefined
        ? {}
        : { merchant_reference_2: session.order.merchant_reference_2 }),
      payment_product: 'seitatech',
      payment_product_type: 'seitatech.in_person',
      channel: 'in_store',
      payout_destination_id: session.order.store.payout_destination_id,
      store: session.order.store,
      ...(card ? { card } : {}),
      url: { ...(session.url.callback_url ? { callback_url: session.url.callback_url } : {}) },
      created_at: created,
      updated_at: created,
      events: [this.txEvent('INITIALIZE', 'INITIATED', true, session.order.amount)],
      capturedAmount: 0,
      refundedAmount: 0,
      refundingAmount: 0,
    };
    this.state.transactions.set(tx.id, tx);
    session.transaction_id = tx.id;
    this.state.touchPayment(session, tx);
    return tx;
  }

  private expireSessions(): void {
    const time = Date.now();
    let expired = false;
    for (const terminal of this.state.terminals.values()) {
      const session = terminal.activeSessionId ? this.state.sessions.get(terminal.activeSessionId) : undefined;
      // The specification's session events have no expiry: a session past its `expires_at` says it by that.
      if (session && Date.parse(session.expires_at) <= time) {
        this.abort(session);
        expired = true;
      }
    }
    if (expired) this.writes.changed();
  }
}

/** The transaction as Dintero's API shows it, without the simulator's bookkeeping. */
export function withoutInternals(
  tx: SimTransaction,
): Omit<SimTransaction, 'capturedAmount' | 'refundedAmount' | 'refundingAmount' | 'refundReasons' | 'captureDueAt'> {
  const {
    capturedAmount: _c,
    refundedAmount: _r,
    refundingAmount: _p,
    refundReasons: _w,
    captureDueAt: _d,
    ...visible
  } = tx;
  return visible;
}
