import { Body, Controller, HttpCode, Inject, Logger, Post, Req, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { DINTERO_CLIENT, type DinteroClient } from '@app/dintero';
import type { Registry } from 'prom-client';
import {
  ApiProblems,
  METRICS_REGISTRY,
  paymentMetrics,
  RequestValidationError,
  type PaymentMetrics,
} from '@app/platform';
import { DomainError } from '@app/payment-domain';
import { PaymentFacts, type FactContext, type Ignored, type Recorded } from '../facts/payment-facts.service';
import { WEBHOOK_PATH } from '../delivery-signatures';
import { dinteroInput } from '../dintero-input';
import { header } from '../request-header';
import { WebhookSignatureGuard } from './webhook-signature.guard';
import { WebhookPayload } from './webhook.payload';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Answer = Recorded | Ignored;

/**
 * Dintero's webhooks (docs/dintero.md §5): `checkout_transaction` and `checkout_authorization` become
 * the same facts as callbacks do; the payment is the transaction's `merchant_reference_2`. Events that are
 * not ours (pings, other channels' transactions) are answered 200 and ignored, since failures can get the
 * subscription deleted.
 */
@ApiTags('dintero')
@ApiProblems({
  400: 'VALIDATION_FAILED: not a webhook this endpoint takes',
  401: 'INVALID_SIGNATURE: the signature is missing or wrong',
  422: 'DINTERO_NOT_FOUND: Dintero does not know the transaction named; TRANSACTION_OF_ANOTHER_PAYMENT: the transaction names another payment',
  413: 'PAYLOAD_TOO_LARGE: a body over the limit (HTTP_BODY_LIMIT)',
  415: 'UNSUPPORTED_MEDIA_TYPE: a body that is not JSON',
  502: 'DINTERO_LOOKUP_REFUSED: Dintero refused the lookup of the transaction',
  503: 'DINTERO_UNAVAILABLE, EVENT_STORE_UNAVAILABLE, UNRECOGNISED_DINTERO_STATUS, CONCURRENT_UPDATE or RATE_LIMITED: not recorded, or (the log did not answer) maybe; Dintero retries, and its retry is recorded once',
})
@Controller(WEBHOOK_PATH)
@UseGuards(WebhookSignatureGuard)
export class WebhookController {
  private readonly logger = new Logger(WebhookController.name);

  private readonly metrics: PaymentMetrics;

  constructor(
    private readonly facts: PaymentFacts,
    @Inject(DINTERO_CLIENT) private readonly dintero: DinteroClient,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.metrics = paymentMetrics(registry);
  }

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ description: 'Recorded, already known, or ignored as not ours' })
  async receive(@Body(dinteroInput) body: WebhookPayload, @Req() request: FastifyRequest): Promise<Answer> {
    const deliveryId = body.event_delivery ?? header(request, 'event-delivery');
    const context: FactContext = {
      source: 'webhook',
      correlationId: String(request.id),
      ...(deliveryId ? { deliveryId } : {}),
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
        return this.transaction(body.transaction.id, context);
      case 'checkout_authorization':
        return this.authorization(body, context);
      default:
        this.metrics.deliveries.inc({ source: 'webhook', result: 'ignored' });
        return { ignored: `event ${event}` };
    }
  }

  /** The transaction as Dintero has it now, recorded against the payment it names. */
  private async transaction(transactionId: string, context: FactContext): Promise<Answer> {
    const tx = await this.dintero.getTransaction(transactionId);
    const paymentId = tx.merchant_reference_2;
    if (!paymentId || !UUID.test(paymentId)) {
      this.logger.log({ transactionId, correlationId: context.correlationId }, 'webhook for a transaction not ours');
      this.metrics.deliveries.inc({ source: 'webhook', result: 'ignored' });
      return { ignored: `transaction ${transactionId} is not a payment of this engine` };
    }
    return this.ifOurs(paymentId, () => this.facts.recordTransaction(paymentId, tx, context), context);
  }

  /** With a transaction, as `checkout_transaction`; without one (the customer cancelled), via the session. */
  private async authorization(body: WebhookPayload, context: FactContext): Promise<Answer> {
    const authorization = body.authorization;
    if (!authorization)
      throw new RequestValidationError([
        { field: 'authorization', message: 'checkout_authorization carries an authorization' },
      ]);
    const transactionId = authorization.transaction_id ?? body.transaction?.id;
    if (transactionId) return this.transaction(transactionId, context);
    if (!authorization.session_id || !authorization.error)
      throw new RequestValidationError([
        { field: 'authorization', message: 'an authorization without a transaction names its session_id and error' },
      ]);
    const session = await this.dintero.getSession(authorization.session_id);
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
    return this.ifOurs(paymentId, () => this.facts.recordReportedError(paymentId, error, context, session), context);
  }

  /**
   * Records a fact of a payment this engine may not know: the subscription covers the whole Dintero account, and
   * another system of it (a web shop, another environment's engine) may put a UUID in `merchant_reference_2` too.
   * Such a delivery is answered 200 and ignored, like any other that is not ours: a 404 would make Dintero count
   * it as failed, retry it, and in the end maybe delete the subscription. A payment of this engine is in its log
   * before its session exists, so before any webhook about it.
   */
  private async ifOurs(paymentId: string, record: () => Promise<Answer>, context: FactContext): Promise<Answer> {
    try {
      return await record();
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'PAYMENT_NOT_FOUND') throw error;
      this.logger.log({ paymentId, correlationId: context.correlationId }, 'webhook for a payment not in this log');
      this.metrics.deliveries.inc({ source: 'webhook', result: 'ignored' });
      return { ignored: `payment ${paymentId} is not in this engine's log` };
    }
  }
}
