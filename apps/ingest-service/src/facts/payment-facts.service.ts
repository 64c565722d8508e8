import { HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import {
  DINTERO_CLIENT,
  externalRefunds,
  refundOutcomes,
  sessionErrorTime,
  transactionFact,
  type DinteroClient,
  type DinteroSession,
  type DinteroTransaction,
} from '@app/dintero';
import { EVENT_STORE, handleCommand, readState, type EventStore } from '@app/event-store';
import {
  DomainError,
  endedClaims,
  existingPayment,
  isDinteroErrorKind,
  isOpen,
  paymentDecider,
  paymentStream,
  refundOf,
  type DinteroErrorKind,
  type FactSource,
  type PaymentCommand,
  type PaymentEvent,
  type PaymentState,
} from '@app/payment-domain';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY, paymentMetrics, releaseClaim, type PaymentMetrics } from '@app/platform';
import { INGEST_CONFIG, type IngestServiceConfig } from '../ingest-service.config';
import { ourOrigin } from '../webhook/our-callback-url';
import { CallbackOriginCheck } from './callback-origin-check';
import { HeardTransactions } from './heard-transactions';

/**
 * Facts of money that moved against what the books said (a capture after the payment ended, a refund made after
 * it was booked failed, a refund made at Dintero by no refund of ours): each is logged as a warning, for a person
 * to act on.
 */
const MONEY_FOR_A_PERSON: ReadonlySet<string> = new Set([
  'LateCaptureRecorded',
  'LateRefundRecorded',
  'ExternalRefundRecorded',
]);

export type IngestSource = Exclude<FactSource, 'command-service'>;

export interface FactContext {
  readonly source: IngestSource;
  readonly correlationId: string;
  /** Dintero's delivery id (`event-delivery`), when the fact came in a delivery. */
  readonly deliveryId?: string;
  /**
   * Aborted once the delivery's answer has gone (its deadline, `Deadline.signal`): a Dintero call under way is cut
   * off, and no write to the log starts after it. One already begun is finished, all of its commands: the log
   * never holds half a fact (a capture without the refunds the same transaction shows, or without its claim
   * released) for want of a retry, and a retry that comes records nothing twice.
   */
  readonly signal?: AbortSignal;
}

/** A delivery answered 200 that records nothing, and why. */
export interface Ignored {
  readonly ignored: string;
}

export interface Recorded {
  readonly paymentId: string;
  /** Event types this fact added; empty when it was already known (a duplicate). */
  readonly recorded: readonly string[];
  readonly status: PaymentState['status'];
}

/** A transaction that does not name this payment (`merchant_reference_2`): never recorded against it. */
export class ForeignTransactionError extends HttpException {
  constructor(paymentId: string, transactionId: string) {
    super(
      {
        code: 'TRANSACTION_OF_ANOTHER_PAYMENT',
        detail: `Transaction ${transactionId} does not belong to payment ${paymentId}`,
      },
      422,
    );
  }
}

/**
 * The one way Dintero's facts enter the log, whichever path brought them (callback, webhook, reconciler):
 * through the payment decider, which makes a repeated or reordered fact a no-op (invariant 3). When the
 * payment or a refund has ended, its terminal claim is released here too.
 */
@Injectable()
export class PaymentFacts {
  private readonly logger = new Logger(PaymentFacts.name);

  private readonly metrics: PaymentMetrics;

  /** The transactions this process fetched and recorded, for the deliveries that claim them (`alreadyRecorded`). */
  private readonly heard = new HeardTransactions();

  private readonly callbackOrigins: CallbackOriginCheck;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DINTERO_CLIENT) private readonly dintero: DinteroClient,
    @Inject(METRICS_REGISTRY) registry: Registry,
    @Inject(INGEST_CONFIG) config: IngestServiceConfig,
  ) {
    this.metrics = paymentMetrics(registry);
    this.callbackOrigins = new CallbackOriginCheck(ourOrigin(config.ingestPublicUrl), this.metrics, this.logger);
  }

  /** Fetches the transaction from Dintero (never trusting what a delivery says) and records it. */
  recordTransactionById(paymentId: string, transactionId: string, context: FactContext): Promise<Recorded> {
    return this.fetching(transactionId, async () => {
      const tx = await this.dintero.getTransaction(transactionId, { signal: context.signal });
      return this.recordTransaction(paymentId, tx, context);
    });
  }

  /**
   * Runs `work`, a fetch of the transaction from Dintero and its recording, as under way: a delivery claiming the
   * transaction meanwhile waits for it before it compares its claim (`alreadyRecorded`).
   */
  fetching<T>(transactionId: string, work: () => Promise<T>): Promise<T> {
    return this.heard.fetching(transactionId, work);
  }

  /**
   * Records a transaction as Dintero's API answered it: never a delivery's claim (`alreadyRecorded` compares one
   * with what this records).
   */
  async recordTransaction(paymentId: string, tx: DinteroTransaction, context: FactContext): Promise<Recorded> {
    if (tx.merchant_reference_2 !== paymentId) {
      this.logger.warn({ paymentId, transactionId: tx.id, ...this.ids(context) }, 'transaction of another payment');
      throw new ForeignTransactionError(paymentId, tx.id);
    }
    const digest = HeardTransactions.digest(tx);
    const { revision, ...recorded } = await this.recordSteps(
      paymentId,
      context,
      ...transactionSteps(tx, context.source, new Date().toISOString()),
    ).catch((error: unknown) => this.refusedInOtherCurrency(paymentId, tx, context, error));
    // Only once all of it is durable, the ended claims released too: a failure before fetches again.
    this.heard.remember(tx.id, { paymentId, digest, revision });
    // The log has the payment (recording it would have failed otherwise): this engine made it.
    this.callbackOrigins.check(paymentId, tx, context.correlationId);
    return recorded;
  }

  /**
   * Throws `error` again; first, when it refused the transaction as money in another currency than its payment's
   * (`TRANSACTION_IN_OTHER_CURRENCY`: Dintero is answered 503 and reports it again), hands a further capture of a
   * captured payment's own transaction to a person, once (`FlagUnbookableCapture`): the reconciler, which does so
   * for an open payment, looks at no captured one. A flag that cannot be recorded now is at Dintero's next report.
   */
  private async refusedInOtherCurrency(
    paymentId: string,
    tx: DinteroTransaction,
    context: FactContext,
    error: unknown,
  ): Promise<never> {
    if (!(error instanceof DomainError) || error.code !== 'TRANSACTION_IN_OTHER_CURRENCY') throw error;
    const ids = { paymentId, transactionId: tx.id, currency: tx.currency, ...this.ids(context) };
    try {
      const stream = paymentStream(paymentId);
      const payment = existingPayment((await readState(this.store, stream, paymentDecider)).state, paymentId);
      const command: PaymentCommand = {
        type: 'FlagUnbookableCapture',
        data: { transaction: transactionFact(tx), at: new Date().toISOString() },
      };
      const metadata = {
        ...this.metadata(context),
        paymentId,
        storeId: payment.storeId,
        terminalId: payment.terminalId,
      };
      const { events } = await handleCommand(this.store, stream, paymentDecider, command, { metadata });
      if (events.length > 0) {
        this.metrics.flaggedForReview.inc();
        this.logger.warn(
          { ...ids, storeId: payment.storeId, terminalId: payment.terminalId },
          'Dintero shows more of a captured payment’s transaction captured in another currency: not booked, flagged for a person',
        );
      }
    } catch (flagError) {
      this.logger.warn({ ...ids, err: flagError }, 'could not flag a capture in another currency yet');
    }
    throw error;
  }

  /**
   * The answer to a delivery that claims the transaction (a webhook's body) when the claim carries no news: it is
   * exactly, every field, what this process last fetched from Dintero and recorded, the payment has had nothing
   * written since, and recording it would decide nothing. Dintero reports a change by a delivery sent after it, whose
   * claim shows it; a claim equal to what the log was made from therefore has nothing the log lacks, and a forged one
   * records nothing either, as a fetch would have recorded nothing new. Otherwise (nothing known of the transaction,
   * any field apart, a write since, another process's or a restart's) nothing: the delivery fetches. A fetch of the
   * transaction under way is waited for first; its result is never shared with a delivery that came after it
   * started, which the change it reports may postdate.
   */
  async alreadyRecorded(transactionId: string, claimed: unknown, context: FactContext): Promise<Recorded | undefined> {
    if (!this.heard.knows(transactionId)) return undefined;
    await this.heard.settled(transactionId);
    const heard = this.heard.get(transactionId);
    if (heard === undefined || HeardTransactions.digest(claimed) !== heard.digest) return undefined;
    const { state, revision } = await readState(this.store, paymentStream(heard.paymentId), paymentDecider);
    if (revision !== heard.revision || state.status === 'none') return undefined;
    try {
      const steps = transactionSteps(claimed as DinteroTransaction, context.source, new Date().toISOString());
      if (steps.some((step) => step(state).some((command) => paymentDecider.decide(command, state).length > 0)))
        return undefined;
    } catch {
      return undefined; // refused as it stands: the fetch's recording says why
    }
    this.metrics.deliveries.inc({ source: context.source, result: 'duplicate' });
    return { paymentId: heard.paymentId, recorded: [], status: state.status };
  }

  /**
   * An `error` Dintero reported without a transaction. Dintero's code is a free string: one the decider does not
   * know (a new code, say) tells nothing this engine can record on trust, and is answered 200, said and counted,
   * rather than refused: a 4xx would make Dintero give the delivery up, and what happened is Dintero's to tell
   * the reconciler, which asks about every open payment once its session is over.
   */
  async recordReportedError(
    paymentId: string,
    code: string,
    context: FactContext,
    session?: DinteroSession,
    namedSessionId?: string,
  ): Promise<Recorded | Ignored> {
    if (isDinteroErrorKind(code)) return this.recordError(paymentId, code, context, session, namedSessionId);
    this.logger.warn(
      { ...this.ids(context), paymentId, dinteroError: code },
      'Dintero reported an error this engine does not know, without a transaction: left to the reconciler',
    );
    this.metrics.deliveries.inc({ source: context.source, result: 'ignored' });
    return { ignored: `error ${code} is not one this engine records; it asks Dintero about the payment` };
  }

  /**
   * `error=cancelled|authorization|failed` without a transaction. The payment's session is asked first (`session`,
   * when the caller has it already): when it has a transaction, the error was an earlier attempt's, delivered after
   * that transaction's (a retry, a delay), and the payment is what the transaction is. Recorded on the error alone,
   * a capture Dintero made would be a sale the POS was told failed. Otherwise the error is dated by the session's
   * own event (`dinteroAt`), so that a cancel just before midnight counts on its day. `namedSessionId` is the session
   * the delivery names (a callback's `session_id`), asked when the payment has recorded none.
   */
  async recordError(
    paymentId: string,
    error: DinteroErrorKind,
    context: FactContext,
    session?: DinteroSession,
    namedSessionId?: string,
  ): Promise<Recorded> {
    const current = session ?? (await this.openSession(paymentId, namedSessionId, context.signal));
    if (current?.transaction_id) return this.recordTransactionById(paymentId, current.transaction_id, context);
    const at = new Date().toISOString();
    const dinteroAt = current && sessionErrorTime(current, error);
    return this.record(paymentId, context, () => [
      { type: 'RecordDinteroError', data: { error, source: context.source, at, ...(dinteroAt ? { dinteroAt } : {}) } },
    ]);
  }

  /**
   * An open payment's session, as Dintero has it now: the one it recorded, or else the one the delivery names. A
   * payment records none when Dintero's answer to the session's creation was lost (a 503 after it took effect, the
   * command service killed before recording it), and the customer may have paid through it all the same. A named
   * session is taken only if it is this payment's. None when Dintero does not know it (404): the error is then
   * recorded as reported, as before the session was asked.
   */
  private async openSession(
    paymentId: string,
    namedSessionId: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<DinteroSession | undefined> {
    const state = existingPayment(
      (await readState(this.store, paymentStream(paymentId), paymentDecider)).state,
      paymentId,
    );
    if (!isOpen(state)) return undefined;
    if (state.sessionId !== undefined) return this.dintero.findSession(state.sessionId, { signal });
    if (namedSessionId === undefined) return undefined;
    const named = await this.dintero.findSession(namedSessionId, { signal });
    return named?.order.merchant_reference_2 === paymentId ? named : undefined;
  }

  /** The session ran out with nothing paid (the decider refuses before `expiresAt`). */
  expire(paymentId: string, context: FactContext) {
    const at = new Date().toISOString();
    return this.record(paymentId, context, () => [{ type: 'ExpireSession', data: { source: context.source, at } }]);
  }

  /**
   * A refund Dintero has no trace of after its claim lapsed: taken as not made. Should Dintero show it made later
   * (a send delayed past every deadline), the domain records that too.
   */
  failRefundForSilence(paymentId: string, refundId: string, context: FactContext) {
    const at = new Date().toISOString();
    const reason = 'no trace at Dintero';
    return this.record(paymentId, context, () => [
      {
        type: 'RecordRefundOutcome',
        data: { refundId, outcome: 'failed', reason, noTrace: true, source: context.source, at },
      },
    ]);
  }

  /**
   * Hands a refund without an outcome to a person (once; the domain decides): one Dintero accepted and has not
   * finished, or, with `problem`, one the reconciler cannot settle, and why.
   */
  flagRefundForReview(paymentId: string, refundId: string, context: FactContext, problem?: string) {
    const at = new Date().toISOString();
    return this.record(paymentId, context, () => [
      { type: 'FlagRefundForReview', data: { refundId, at, ...(problem === undefined ? {} : { problem }) } },
    ]);
  }

  /**
   * Hands a payment still open past its deadline to a person (once; the domain decides): with `problem`, one the
   * reconciler cannot settle, and why.
   */
  flagForReview(paymentId: string, context: FactContext, problem?: string) {
    const at = new Date().toISOString();
    return this.record(paymentId, context, () => [
      { type: 'FlagForReview', data: { at, ...(problem === undefined ? {} : { problem }) } },
    ]);
  }

  /**
   * Releases the terminal claims of a payment that ended and of refunds that ended. Each release is a
   * no-op when the claim was already released or replaced, so every path may call it.
   */
  async releaseEnded(state: PaymentState, context: FactContext): Promise<void> {
    if (state.status === 'none') return;
    for (const claim of endedClaims(state)) {
      await releaseClaim(
        this.store,
        { ...claim, reason: 'finished', at: new Date().toISOString() },
        { ...this.metadata(context), paymentId: state.paymentId, storeId: state.storeId, terminalId: claim.terminalId },
      );
    }
  }

  private async record(paymentId: string, context: FactContext, ...steps: readonly Step[]): Promise<Recorded> {
    const { revision: _revision, ...recorded } = await this.recordSteps(paymentId, context, ...steps);
    return recorded;
  }

  /** The commands of each step, decided in turn; with the payment stream's revision the last decision was on. */
  private async recordSteps(
    paymentId: string,
    context: FactContext,
    ...steps: readonly Step[]
  ): Promise<Recorded & { revision: number }> {
    // The delivery's answer has gone (its deadline): nothing is written for it, and its retry records the fact.
    context.signal?.throwIfAborted();
    const stream = paymentStream(paymentId);
    const read = await readState(this.store, stream, paymentDecider);
    const found = existingPayment(read.state, paymentId);
    // A payment found has a stream, so a revision.
    let revision = read.revision ?? -1;
    let state: PaymentState = found;
    const metadata = {
      ...this.metadata(context),
      paymentId,
      storeId: found.storeId,
      terminalId: found.terminalId,
    };
    const recorded: string[] = [];
    for (const step of steps) {
      const commands: readonly PaymentCommand[] = step(state);
      for (const command of commands) {
        const handled = await handleCommand(this.store, stream, paymentDecider, command, {
          metadata,
          metadataOf: (event, decidedOn) => refundMetadata(event, decidedOn, metadata),
        });
        recorded.push(...handled.events.map((event) => event.type));
        state = handled.state;
        revision = handled.nextRevision ?? revision;
      }
    }
    if (recorded.length > 0) this.logger.log({ ...metadata, recorded, status: state.status }, 'Dintero fact recorded');
    const toLookAt = recorded.filter((type) => MONEY_FOR_A_PERSON.has(type));
    if (toLookAt.length > 0)
      this.logger.warn({ ...metadata, recorded: toLookAt }, 'money moved after the payment or refund was booked ended');
    this.metrics.deliveries.inc({ source: context.source, result: recorded.length > 0 ? 'recorded' : 'duplicate' });
    for (const type of recorded) this.metrics.facts.inc({ source: context.source, type });
    // Also for a duplicate: the delivery that recorded the end may have stopped before releasing.
    await this.releaseEnded(state, context);
    return { paymentId, recorded, status: state.status, revision };
  }

  private metadata(context: FactContext) {
    return {
      correlationId: context.correlationId,
      causationId: context.deliveryId ?? context.correlationId,
      occurredAt: new Date().toISOString(),
      source: context.source,
    };
  }

  private ids(context: FactContext) {
    return { correlationId: context.correlationId, source: context.source };
  }
}

type Step = (state: PaymentState) => readonly PaymentCommand[];

/**
 * What a transaction of Dintero's says, as commands. Each step decides on the payment as the steps before it left
 * it: the delivery that first shows the capture (the callback lost, say) also shows the refunds made on it, ours and
 * others'.
 */
function transactionSteps(tx: DinteroTransaction, source: IngestSource, at: string): Step[] {
  const fact = transactionFact(tx);
  return [
    () => [{ type: 'RecordDinteroTransaction', data: { transaction: fact, source, at } }],
    (state) => learnedSession(tx, state, at),
    (state) => refundOutcomes(tx, state, source, at),
    // After our refunds' own outcomes: the same delivery's refund of ours is never taken for another's.
    (state) => [externalRefunds(tx, state, source, at)].filter((command) => command !== undefined),
  ];
}

/**
 * The session the transaction names, of a payment still open that recorded none: Dintero's answer to its creation was
 * lost (a 503 or a timeout after it took effect), so only a transaction of it, found by our reference or named by a
 * delivery, tells the session. Learned, a cancel the POS asks for (or asked for meanwhile: the reconciler sends it)
 * reaches it, and the reconciler asks Dintero about the session rather than search for it. The session expires when
 * the payment said it would (the engine sent its `expiresAt`).
 */
function learnedSession(tx: DinteroTransaction, state: PaymentState, at: string): PaymentCommand[] {
  if (tx.session_id === undefined || !isOpen(state) || state.sessionId !== undefined) return [];
  return [{ type: 'RecordSessionCreated', data: { sessionId: tx.session_id, expiresAt: state.expiresAt, at } }];
}

/**
 * A refund's facts name the terminal the refund was done at, as the command service records them when Dintero
 * answers at once: the event feed publishes them under it (a refund at another store's terminal stays under the
 * payment's store), and a consumer following that terminal sees the result of the refund it saw requested.
 */
function refundMetadata<Metadata extends { terminalId: string }>(
  event: PaymentEvent,
  state: PaymentState,
  metadata: Metadata,
): Metadata {
  const refundId = 'refundId' in event.data ? event.data.refundId : undefined;
  const refund = refundId !== undefined ? refundOf(state, refundId) : undefined;
  return refund && refund.terminalId !== metadata.terminalId
    ? { ...metadata, terminalId: refund.terminalId }
    : metadata;
}
