import { Body, Controller, HttpCode, Inject, Logger, Post, Req, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { setTimeout as pause } from 'node:timers/promises';
import { DINTERO_CLIENT, type DinteroClient } from '@app/dintero';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import type { Registry } from 'prom-client';
import {
  ENGINE_STARTING_DOC,
  ApiProblems,
  countedFromZero,
  METRICS_REGISTRY,
  paymentMetrics,
  RequestValidationError,
  type PaymentMetrics,
} from '@app/platform';
import { paymentStream } from '@app/payment-domain';
import { PaymentFacts, type FactContext, type Ignored, type Recorded } from '../facts/payment-facts.service';
import { WEBHOOK_PATH } from '../delivery-signatures';
import { INGEST_CONFIG, type IngestServiceConfig } from '../ingest-service.config';
import { isPaymentNotInLog, PaymentNotInLogError } from '../payment-not-in-log.error';
import { dinteroInput } from '../dintero-input';
import { header } from '../request-header';
import { WebhookSignatureGuard } from './webhook-signature.guard';
import { WebhookPayload } from './webhook.payload';
import { madeByThisEngine, ourOrigin, type OurOrigin } from './our-callback-url';
import { withinDeadline, type Deadline } from '../delivery-deadline';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The pauses between reads of a payment the log does not show yet: doubling from this, to at most the second. */
const FIRST_LOG_PAUSE_MS = 25;
const MAX_LOG_PAUSE_MS = 1_000;
/** What the wait for a lagging log leaves of `WEBHOOK_DEADLINE_MS` for the record after it and the answer. */
const LOG_WAIT_RESERVE_MS = 500;

type Answer = Recorded | Ignored;

/**
 * Dintero's webhooks (docs/dintero.md §5): `checkout_transaction` and `checkout_authorization` become
 * the same facts as callbacks do; the payment is the transaction's `merchant_reference_2`. Events that are
 * not ours (pings, other channels' transactions, another system's payments) are answered 200 and ignored, since
 * failures can get the subscription deleted. One about a payment this engine made that its log does not show is
 * waited for, and then answered 503 (`ifOurs`).
 */
@ApiTags('dintero')
@ApiProblems({
  400: 'VALIDATION_FAILED: not a webhook this endpoint takes',
  401: 'INVALID_SIGNATURE: the signature is missing or wrong',
  422: 'DINTERO_NOT_FOUND: Dintero does not know the transaction named; TRANSACTION_OF_ANOTHER_PAYMENT: the transaction names another payment',
  413: 'PAYLOAD_TOO_LARGE: a body over the limit (HTTP_BODY_LIMIT)',
  415: 'UNSUPPORTED_MEDIA_TYPE: a body that is not JSON',
  502: 'DINTERO_LOOKUP_REFUSED: Dintero refused the lookup of the transaction',
  503: `WEBHOOK_DEADLINE_EXCEEDED: not handled within WEBHOOK_DEADLINE_MS (Dintero or the log hung; a fetch from Dintero under way is cut off); PAYMENT_NOT_IN_LOG: a payment this engine made (its callback URL on the transaction or session) that the log did not show within WEBHOOK_LOG_WAIT_MS; DINTERO_UNAVAILABLE, EVENT_STORE_UNAVAILABLE, UNRECOGNISED_DINTERO_STATUS, CONCURRENT_UPDATE or RATE_LIMITED: not recorded, or (the log did not answer) maybe; Dintero retries, and its retry is recorded once; ${ENGINE_STARTING_DOC}`,
})
@Controller(WEBHOOK_PATH)
@UseGuards(WebhookSignatureGuard)
export class WebhookController {
  private readonly logger = new Logger(WebhookController.name);

  private readonly metrics: PaymentMetrics;
  private readonly ourOrigin: OurOrigin;

  constructor(
    private readonly facts: PaymentFacts,
    @Inject(DINTERO_CLIENT) private readonly dintero: DinteroClient,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(INGEST_CONFIG) private readonly config: IngestServiceConfig,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.metrics = paymentMetrics(registry);
    // Ingest's: callbacks and webhooks come here, and the reconciler's lookups record through the same facts.
    countedFromZero(registry, ['deliveries']);
    this.ourOrigin = ourOrigin(config.ingestPublicUrl);
  }

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ description: 'Recorded, already known, or ignored as not ours' })
  async receive(@Body(dinteroInput) body: WebhookPayload, @Req() request: FastifyRequest): Promise<Answer> {
    // Dintero gives up on an answer after a minute at worst (docs/dintero.md §5), and one after that counts as a
    // failure however it ends: a fetch from Dintero that hangs gets a 503 in time, and Dintero delivers again.
    // At the deadline, what is under way stops where it safely can (`Deadline.signal`).
    return withinDeadline('webhook', this.config.webhookDeadlineMs, (deadline) => this.handle(body, request, deadline));
  }

  private async handle(body: WebhookPayload, request: FastifyRequest, deadline: Deadline): Promise<Answer> {
    const deliveryId = body.event_delivery ?? header(request, 'event-delivery');
    const context: FactContext = {
      source: 'webhook',
      correlationId: String(request.id),
      ...(deliveryId ? { deliveryId } : {}),
      signal: deadline.signal,
    };
    // Dintero names the event in the `event` header of every delivery, and a checkout event in its body too; a
    // ping's body (the subscription) has none. The body's is taken first: the signature covers it, not the header.
    const event = body.event ?? header(request, 'event');
    if (event === undefined)
      throw new RequestValidationError([
        { field: 'event', message: 'a webhook names its event in the `event` header (or the body’s `event`)' },
      ]);
    switch (event) {
      case 'checkout_transaction':
        if (!body.transaction)
          throw new RequestValidationError([
            { field: 'transaction', message: 'checkout_transaction carries a transaction' },
          ]);
        return this.transaction(body.transaction.id, context, claimOf(request, body.transaction.id), deadline.at);
      case 'checkout_authorization':
        return this.authorization(body, context, request, deadline.at);
      default:
        this.metrics.deliveries.inc({ source: 'webhook', result: 'ignored' });
        return { ignored: `event ${event}` };
    }
  }

  /**
   * The transaction as Dintero has it now, recorded against the payment it names; or, when the body's claim of it is
   * exactly what this process last fetched and recorded, with nothing written since, answered as the duplicate it is
   * without asking Dintero again (`PaymentFacts.alreadyRecorded`).
   */
  private async transaction(
    transactionId: string,
    context: FactContext,
    claimed: unknown,
    deadline: number,
  ): Promise<Answer> {
    if (claimed !== undefined) {
      const known = await this.facts.alreadyRecorded(transactionId, claimed, context);
      if (known) return known;
    }
    return this.facts.fetching(transactionId, async () => {
      const tx = await this.dintero.getTransaction(transactionId, { signal: context.signal });
      const paymentId = tx.merchant_reference_2;
      if (!paymentId || !UUID.test(paymentId)) {
        this.logger.log({ transactionId, correlationId: context.correlationId }, 'webhook for a transaction not ours');
        this.metrics.deliveries.inc({ source: 'webhook', result: 'ignored' });
        return { ignored: `transaction ${transactionId} is not a payment of this engine` };
      }
      const record = () => this.facts.recordTransaction(paymentId, tx, context);
      return this.ifOurs(paymentId, tx.url?.callback_url, record, context, deadline);
    });
  }

  /** With a transaction, as `checkout_transaction`; without one (the customer cancelled), via the session. */
  private async authorization(
    body: WebhookPayload,
    context: FactContext,
    request: FastifyRequest,
    deadline: number,
  ): Promise<Answer> {
    const authorization = body.authorization;
    if (!authorization)
      throw new RequestValidationError([
        { field: 'authorization', message: 'checkout_authorization carries an authorization' },
      ]);
    const transactionId = authorization.transaction_id ?? body.transaction?.id;
    if (transactionId) return this.transaction(transactionId, context, claimOf(request, transactionId), deadline);
    if (!authorization.session_id || !authorization.error)
      throw new RequestValidationError([
        { field: 'authorization', message: 'an authorization without a transaction names its session_id and error' },
      ]);
    const session = await this.dintero.getSession(authorization.session_id, { signal: context.signal });
    const paymentId = session.order.merchant_reference_2;
    if (!paymentId || !UUID.test(paymentId)) {
      this.logger.log(
        { sessionId: session.id, correlationId: context.correlationId },
        'webhook for a session not ours',
      );
      this.metrics.deliveries.inc({ source: 'webhook', result: 'ignored' });
      return { ignored: `session ${session.id} is not a payment of this engine` };
    }
    const error = authorization.error;
    // With the session at hand: when it has a transaction by now, the payment is what that transaction is.
    const record = () => this.facts.recordReportedError(paymentId, error, context, session);
    return this.ifOurs(paymentId, session.url?.callback_url, record, context, deadline);
  }

  /**
   * Records a fact of a payment this engine may not know: the subscription covers the whole Dintero account, and
   * another system of it (a web shop, another environment's engine) may put a UUID in `merchant_reference_2` too.
   * Such a delivery is answered 200 and ignored, like any other that is not ours: a 404 would make Dintero count
   * it as failed, retry it, and in the end maybe delete the subscription.
   *
   * A payment this engine made (the transaction or session carries its callback URL naming the payment,
   * `madeByThisEngine`) is in its log before its session exists, so before any webhook about it; the log not showing
   * it means a read that lags (KurrentDB's followers), or a log restored without it. Answered 200 and ignored, the
   * fact would rest on the callback and the reconciler alone, and a Backoffice refund that only this webhook tells
   * of would be lost. So, on a log whose reads may lag (`EventStore.readsMayLag`: KurrentDB's), the log is read again
   * until it shows the payment, for up to `WEBHOOK_LOG_WAIT_MS`, and the fact is recorded; still missing, the answer
   * is 503 `PAYMENT_NOT_IN_LOG`, and Dintero delivers it again. On the embedded log, whose reads never lag, the 503
   * comes at once: the payment is not coming, and a wait would only put it off. A 5xx risks the subscription
   * (Dintero may delete one after consecutive failures), which is why it comes only for payments provably ours: a lag longer than the wait is an outage of the log's followers,
   * when callbacks get the same 503; every other delivery between them keeps succeeding.
   */
  private async ifOurs(
    paymentId: string,
    callbackUrl: string | undefined,
    record: () => Promise<Answer>,
    context: FactContext,
    deadline: number,
  ): Promise<Answer> {
    try {
      return await record();
    } catch (error) {
      if (!isPaymentNotInLog(error)) throw error;
    }
    const ids = { paymentId, correlationId: context.correlationId };
    if (!madeByThisEngine(callbackUrl, paymentId, this.ourOrigin)) {
      this.logger.log(ids, 'webhook for a payment not in this log');
      this.metrics.deliveries.inc({ source: 'webhook', result: 'ignored' });
      return { ignored: `payment ${paymentId} is not in this engine's log` };
    }
    // The embedded log's reads never lag a committed append: there a payment it does not show is not coming (a log
    // restored without it), and a wait would only put off the 503.
    if (!this.store.readsMayLag) {
      this.logger.warn(ids, 'webhook for a payment this engine made that the log does not have: 503, Dintero retries');
      throw new PaymentNotInLogError(paymentId);
    }
    this.logger.warn(ids, 'webhook for a payment this engine made that the log does not show yet: waiting for it');
    // The wait ends before the webhook's deadline, so that the answer is this one's 503, which says why.
    const waitUntil = Math.min(Date.now() + this.config.webhookLogWaitMs, deadline - LOG_WAIT_RESERVE_MS);
    if (await this.inLogBy(paymentId, waitUntil, context.signal))
      try {
        return await record();
      } catch (error) {
        if (!isPaymentNotInLog(error)) throw error;
      }
    this.logger.warn(ids, 'webhook for a payment this engine made that the log does not show: 503, Dintero retries');
    throw new PaymentNotInLogError(paymentId);
  }

  /**
   * Whether the log shows the payment by `deadline`, read again after doubling pauses (a lagging read catches up); a
   * pause ends early, failing, when the webhook's answer has gone (`signal`).
   */
  private async inLogBy(paymentId: string, deadline: number, signal?: AbortSignal): Promise<boolean> {
    this.metrics.webhooksAwaitingLog.inc();
    try {
      for (let pauseMs = FIRST_LOG_PAUSE_MS; ; pauseMs = Math.min(pauseMs * 2, MAX_LOG_PAUSE_MS)) {
        if ((await this.store.readStream(paymentStream(paymentId), { limit: 1 })).length > 0) return true;
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await pause(Math.min(pauseMs, left), undefined, { signal });
      }
    } finally {
      this.metrics.webhooksAwaitingLog.dec();
    }
  }
}

/**
 * The transaction the body carries, as sent (the validated payload keeps only what this service reads), when it is
 * the one named: what the delivery claims of it. Nothing is taken from it as a fact; it is only compared.
 */
function claimOf(request: FastifyRequest, transactionId: string): unknown {
  const sent = (request.body as { transaction?: unknown } | null | undefined)?.transaction;
  return typeof sent === 'object' && sent !== null && (sent as { id?: unknown }).id === transactionId
    ? sent
    : undefined;
}
