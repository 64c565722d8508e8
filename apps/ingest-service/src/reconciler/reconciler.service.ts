import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DINTERO_CLIENT, DinteroRejectedError, type DinteroClient } from '@app/dintero';
import { EVENT_STORE, handleCommand, readState, type EventStore, type EventSubscription } from '@app/event-store';
import {
  isOpen,
  paymentDecider,
  paymentStream,
  terminalDecider,
  terminalStream,
  type OpenPayment,
  type PaymentState,
} from '@app/payment-domain';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY, paymentMetrics, type PaymentMetrics } from '@app/platform';
import { INGEST_CONFIG, type IngestServiceConfig } from '../ingest-service.config';
import { PaymentFacts, type FactContext } from '../facts/payment-facts.service';
import { DuePayments } from './due-payments';

const CONTEXT: FactContext = { source: 'reconciler', correlationId: 'reconciler' };

/**
 * Settles what Dintero never reported (DESIGN.md invariant 7): payments past their session's expiry,
 * session creations and transactions with an unknown outcome, refunds without an outcome, and terminals
 * still claimed by payments that ended. It follows the log to know what is due, asks Dintero (session,
 * then transactions by our reference), and records the answer through the same path as callbacks.
 *
 * Several instances may run: each keeps its own index from the log, and whatever two of them record twice
 * is absorbed by the payment decider and the log's expected revisions, so it costs only a Dintero call.
 * Work is bounded: at most `RECONCILER_MAX_PER_SECOND` payments are looked at per second.
 */
@Injectable()
export class ReconcilerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReconcilerService.name);
  private readonly due: DuePayments;
  private readonly metrics: PaymentMetrics;
  private subscription: EventSubscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DINTERO_CLIENT) private readonly dintero: DinteroClient,
    @Inject(INGEST_CONFIG) private readonly config: IngestServiceConfig,
    private readonly facts: PaymentFacts,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.metrics = paymentMetrics(registry);
    this.due = new DuePayments({
      graceMs: config.reconcilerGraceSeconds * 1000,
      unknownDelayMs: config.reconcilerUnknownDelaySeconds * 1000,
      // The command service records a refund's outcome as soon as Dintero answers; past the terminal claim's
      // lifetime it never will.
      refundWaitMs: Math.max(config.reconcilerGraceSeconds, config.reconcilerUnknownDelaySeconds) * 1000,
    });
  }

  onApplicationBootstrap(): void {
    if (!this.config.reconcilerEnabled) return;
    const subscription = this.store.subscribeToAll({ streamPrefixes: ['payment-', 'terminal-'] });
    this.subscription = subscription;
    void (async () => {
      try {
        for await (const event of subscription) this.due.apply(event, Date.now());
      } catch (error) {
        if (!this.stopped) this.logger.error({ err: error }, 'the reconciler stopped following the log');
      }
    })();
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.subscription?.close();
    await this.running;
  }

  /** How long before a payment that could not be settled, or is still open at Dintero, is looked at again. */
  private get retryMs(): number {
    return Math.max(1_000, this.config.reconcilerGraceSeconds * 1000);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => this.schedule());
    }, this.config.reconcilerIntervalMs);
  }

  /** One round: the payments due now, as many as the rate allows, one after another. */
  private async tick(): Promise<void> {
    const budget = Math.max(
      1,
      Math.floor((this.config.reconcilerMaxPerSecond * this.config.reconcilerIntervalMs) / 1000),
    );
    for (const paymentId of this.due.takeDue(Date.now(), budget)) {
      if (this.stopped) return;
      try {
        await this.settle(paymentId);
      } catch (error) {
        this.metrics.reconciler.inc({ result: 'failed' });
        // Dintero or the log unreachable: try again later, nothing is lost.
        this.logger.warn({ err: error, paymentId }, 'could not settle the payment yet');
        this.due.schedule(paymentId, Date.now() + this.retryMs);
      }
    }
  }

  private async settle(paymentId: string): Promise<void> {
    const { state } = await readState(this.store, paymentStream(paymentId), paymentDecider);
    if (state.status === 'none') return this.releaseOrphanClaims(paymentId);
    const settled = isOpen(state) ? await this.settleOpen(state) : await this.settleRefunds(state);
    await this.facts.releaseEnded(settled, CONTEXT);
    this.metrics.reconciler.inc({ result: isOpen(settled) ? 'still_open' : 'settled' });
    if (isOpen(settled)) {
      this.logger.log({ paymentId, storeId: settled.storeId, terminalId: settled.terminalId }, 'still open at Dintero');
      const expiry = Date.parse(settled.expiresAt) + this.config.reconcilerGraceSeconds * 1000;
      this.due.schedule(paymentId, Math.max(expiry, Date.now() + this.retryMs));
    }
  }

  /** Asks Dintero: the session and its transaction, or, without a session, transactions by our reference. */
  private async settleOpen(state: OpenPayment): Promise<PaymentState> {
    const { paymentId } = state;
    let transactionId: string | undefined;
    let cancelled = false;
    const session = state.sessionId ? await this.sessionOrNone(state.sessionId) : undefined;
    if (session) {
      transactionId = session.transaction_id;
      cancelled = session.cancelled_at !== undefined;
    } else {
      const candidates = await this.dintero.listTransactions({
        merchantReference: state.merchantReference,
        storeId: [state.storeId],
        terminalId: [state.terminalId],
        limit: 100,
      });
      transactionId = candidates.find((tx) => tx.merchant_reference_2 === paymentId)?.id;
    }
    if (transactionId) await this.facts.recordTransactionById(paymentId, transactionId, CONTEXT);
    else if (cancelled) await this.facts.recordError(paymentId, 'cancelled', CONTEXT);
    else if (Date.now() >= Date.parse(state.expiresAt)) await this.facts.expire(paymentId, CONTEXT);
    return (await readState(this.store, paymentStream(paymentId), paymentDecider)).state;
  }

  /** The session, or undefined when Dintero does not know it (then nothing can have been paid through it). */
  private async sessionOrNone(sessionId: string) {
    try {
      return await this.dintero.getSession(sessionId);
    } catch (error) {
      if (error instanceof DinteroRejectedError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Refunds without an outcome: Dintero's transaction events name our refund id. A refund Dintero has
   * no trace of once the wait is over did not happen, and is recorded as failed.
   */
  private async settleRefunds(state: PaymentState): Promise<PaymentState> {
    if (state.status !== 'captured') return state;
    const open = Object.values(state.refunds).filter((r) => r.status === 'pending' || r.status === 'unknown');
    if (open.length === 0) return state;
    await this.facts.recordTransactionById(state.paymentId, state.transactionId, CONTEXT);
    let { state: after } = await readState(this.store, paymentStream(state.paymentId), paymentDecider);
    if (after.status !== 'captured') return after;
    for (const refund of Object.values(after.refunds)) {
      if (refund.status === 'pending' || refund.status === 'unknown')
        await this.facts.failRefund(state.paymentId, refund.refundId, 'no trace at Dintero', CONTEXT);
    }
    ({ state: after } = await readState(this.store, paymentStream(state.paymentId), paymentDecider));
    return after;
  }

  /** A terminal claimed for a payment that was never recorded (a crash in between): released once it lapsed. */
  private async releaseOrphanClaims(paymentId: string): Promise<void> {
    for (const [claimId, terminalId] of this.due.openClaims(paymentId)) {
      await handleCommand(
        this.store,
        terminalStream(terminalId),
        terminalDecider,
        { type: 'ReleaseTerminal', data: { terminalId, claimId, reason: 'reconciled', at: new Date().toISOString() } },
        { metadata: { correlationId: 'reconciler', occurredAt: new Date().toISOString(), paymentId, terminalId } },
      );
    }
  }
}
