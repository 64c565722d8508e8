import { Controller, Get, HttpCode, Inject, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiProblems, RequestValidationError, ENGINE_STARTING_DOC } from '@app/platform';
import { withinDeadline } from '../delivery-deadline';
import { CALLBACK_PATH } from '../delivery-signatures';
import { dinteroInput } from '../dintero-input';
import { INGEST_CONFIG, type IngestServiceConfig } from '../ingest-service.config';
import { header } from '../request-header';
import { isPaymentNotInLog, PaymentNotInLogError } from '../payment-not-in-log.error';
import { PaymentFacts, type Ignored, type Recorded } from '../facts/payment-facts.service';
import { CallbackSignatureGuard } from './callback-signature.guard';
import { CallbackQuery } from './callback.query';

/**
 * Dintero's `callback_url` (docs/dintero.md §4). The answer is 2xx only once the facts are durable,
 * so that a failure makes Dintero retry; the transaction is fetched from Dintero, never taken on trust.
 */
@ApiTags('dintero')
@ApiProblems({
  400: 'VALIDATION_FAILED: not a delivery this endpoint takes; Dintero does not retry it',
  401: 'INVALID_SIGNATURE: the signature is missing, wrong or too old',
  422: 'DINTERO_NOT_FOUND: Dintero does not know the transaction or session named; TRANSACTION_OF_ANOTHER_PAYMENT: the transaction names another payment',
  413: 'PAYLOAD_TOO_LARGE: a body over the limit (HTTP_BODY_LIMIT)',
  415: 'UNSUPPORTED_MEDIA_TYPE: a body that is not JSON',
  502: 'DINTERO_LOOKUP_REFUSED: Dintero refused the lookup of the transaction',
  503: `CALLBACK_DEADLINE_EXCEEDED: not handled within CALLBACK_DEADLINE_MS (Dintero or the log hung; a fetch from Dintero under way is cut off); PAYMENT_NOT_IN_LOG: the payment named is not in the log (yet); DINTERO_UNAVAILABLE, EVENT_STORE_UNAVAILABLE, UNRECOGNISED_DINTERO_STATUS, CONCURRENT_UPDATE or RATE_LIMITED: not recorded, or (the log did not answer) maybe; Dintero retries, and its retry is recorded once; ${ENGINE_STARTING_DOC}`,
})
@Controller(CALLBACK_PATH)
@UseGuards(CallbackSignatureGuard)
export class CallbackController {
  constructor(
    private readonly facts: PaymentFacts,
    @Inject(INGEST_CONFIG) private readonly config: IngestServiceConfig,
  ) {}

  @Get()
  @ApiOkResponse({ description: 'The facts are recorded (or were already), or ignored with the reason why' })
  get(@Query(dinteroInput) query: CallbackQuery, @Req() request: FastifyRequest): Promise<Recorded | Ignored> {
    return this.handle(query, request);
  }

  /** `method=POST`: the body is the transaction, which is fetched again rather than believed. */
  @Post()
  @HttpCode(200)
  @ApiOkResponse({ description: 'The facts are recorded (or were already), or ignored with the reason why' })
  post(@Query(dinteroInput) query: CallbackQuery, @Req() request: FastifyRequest): Promise<Recorded | Ignored> {
    return this.handle(query, request);
  }

  /**
   * Dintero counts a callback not answered within 10 s as failed however it ends (docs/dintero.md §4): a fetch from
   * Dintero or a log that hangs gets a 503 `CALLBACK_DEADLINE_EXCEEDED` in time, what is under way stops where it
   * safely can (`Deadline.signal`), and Dintero calls back again.
   */
  private handle(query: CallbackQuery, request: FastifyRequest): Promise<Recorded | Ignored> {
    return withinDeadline('callback', this.config.callbackDeadlineMs, (deadline) =>
      this.record(query, request, deadline.signal).catch((error: unknown) => {
        // Only this engine's sessions carry its callback URL, with a payment id it issued (`PaymentNotInLogError`).
        if (!isPaymentNotInLog(error)) throw error;
        throw new PaymentNotInLogError(query.payment_id);
      }),
    );
  }

  private async record(
    query: CallbackQuery,
    request: FastifyRequest,
    signal: AbortSignal,
  ): Promise<Recorded | Ignored> {
    const delivery = header(request, 'event-delivery');
    const context = {
      source: 'callback' as const,
      correlationId: String(request.id),
      ...(delivery ? { deliveryId: delivery } : {}),
      signal,
    };
    if (query.transaction_id) return this.facts.recordTransactionById(query.payment_id, query.transaction_id, context);
    if (query.error)
      return this.facts.recordReportedError(
        query.payment_id,
        query.error,
        context,
        undefined,
        query.session_id ?? query.sid,
      );
    throw new RequestValidationError([
      { field: 'transaction_id', message: 'a callback names a transaction_id, or an error when there is none' },
    ]);
  }
}
