import {
  Body,
  Controller,
  UseInterceptors,
  Get,
  Headers,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { IdempotencyKeyInterceptor } from '../idempotency/idempotency-key.interceptor';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Pos, PosAuthGuard } from '../auth/pos-auth.guard';
import type { PosClient } from '../auth/pos-client';
import { ApiProblems, ENGINE_STARTING_DOC } from '@app/platform';
import { IdempotentRequests } from '../idempotency/idempotent-requests.service';
import { GetPaymentQuery } from './get/get-payment.query';
import { ListPaymentsQuery } from './list/list-payments.query';
import { PaymentLookup, PaymentPage } from './list/payment-lookup.service';
import { PaymentView } from './payment.view';
import { OutcomeReader } from './get/outcome-reader.service';
import { CancelTerminalPaymentHandler } from './cancel/cancel-terminal-payment.handler';
import { RefundTerminalPaymentDto, refundAsTaken } from './refund/refund-terminal-payment.dto';
import { RefundView } from './refund/refund.view';
import { RefundTerminalPaymentHandler } from './refund/refund-terminal-payment.handler';
import { StartTerminalPaymentDto } from './start/start-terminal-payment.dto';
import { StartTerminalPaymentHandler } from './start/start-terminal-payment.handler';
import { uuidParam } from './uuid-param';
import { hangUp } from './hang-up';

@ApiTags('terminal payments')
@ApiBearerAuth()
@ApiProblems({
  400: 'VALIDATION_FAILED, MALFORMED_REQUEST: a bad body, query, id or Idempotency-Key; nothing written',
  401: 'UNAUTHENTICATED: no API key, or an unknown one',
  403: 'STORE_NOT_ALLOWED: the key may not act for the store it names',
  404: 'UNKNOWN_STORE, UNKNOWN_TERMINAL (also a terminal of a store the key may not use: answered as an unknown name), PAYMENT_NOT_FOUND (also a payment of a store the key may not use: answered as an unknown id), UNKNOWN_REFUND',
  409: 'TERMINAL_BUSY (names activePaymentId, or activeOperationId; none for activeKind device-change, nor for a refund of a payment of a store the key may not use), PAYMENT_FINISHED, NOT_REFUNDABLE, DINTERO_REJECTED (409 at Dintero), IDEMPOTENT_REQUEST_IN_PROGRESS, CONCURRENT_UPDATE',
  413: 'PAYLOAD_TOO_LARGE',
  422: 'TERMINAL_INACTIVE, TERMINAL_NOT_ACTIVE_AT_DINTERO (names dinteroStatus), TERMINAL_OF_OTHER_STORE, REFUND_EXCEEDS_CAPTURED, IDEMPOTENCY_KEY_REUSED, CURRENCY_NOT_ACCEPTED (names the accepted ones), REFUND_TERMINAL_OTHER_PAYOUT_DESTINATION, DINTERO_REJECTED (names dinteroCode)',
  415: 'UNSUPPORTED_MEDIA_TYPE: a body that is not application/json',
  429: 'RATE_LIMITED: more requests a minute than the key may make; retry after the time named',
  500: "EVENT_STORE_ACCESS_DENIED (the engine's log credentials), INTERNAL_ERROR",
  502: 'DINTERO_UNREACHABLE (a start): no connection to Dintero could be made, so the session was never sent; the payment (in the body) failed and the terminal is free. Start the sale again with a new Idempotency-Key',
  503: `EVENT_STORE_UNAVAILABLE: the log did not take or did not answer; DINTERO_UNAVAILABLE: no token could be got from Dintero, nothing was sent or written. Retry with the same Idempotency-Key; PAYMENT_INDEX_UNAVAILABLE (a listing): NATS does not answer, nothing changed, list again (Retry-After); ${ENGINE_STARTING_DOC}`,
})
@UseGuards(PosAuthGuard)
@Controller('v1/terminal-payments')
export class PaymentsController {
  constructor(
    private readonly starter: StartTerminalPaymentHandler,
    private readonly idempotency: IdempotentRequests,
    private readonly canceller: CancelTerminalPaymentHandler,
    private readonly refunder: RefundTerminalPaymentHandler,
    private readonly reader: OutcomeReader,
    private readonly lookup: PaymentLookup,
  ) {}

  /**
   * Starts a payment: 201 when the terminal prompts; 202 when Dintero did not answer and the outcome is
   * being settled; Problem Details otherwise (TERMINAL_BUSY names what holds the terminal).
   */
  @UseInterceptors(IdempotencyKeyInterceptor)
  @Post()
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description: 'The same key and body return the first answer for 24 hours',
  })
  @ApiCreatedResponse({ type: PaymentView })
  @ApiAcceptedResponse({ type: PaymentView, description: 'Dintero did not answer; the outcome is being reconciled' })
  async start(
    @Body() body: StartTerminalPaymentDto,
    @Headers('idempotency-key') key: string | undefined,
    @Pos() client: PosClient,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const context = { correlationId: String(request.id), client };
    return this.idempotency.overHttp(
      { request, reply },
      client.id,
      key,
      // As the engine takes it (`nok` is NOK), and as versions before compared it: the body as sent.
      { asTaken: body, asSentBefore: [request.body] },
      this.starter.steps(body, context, (outcome) => {
        // Server-Timing: the POS (and bench:command) can tell Dintero's time from ours.
        if (outcome.dinteroMs !== undefined)
          void reply.header('server-timing', `dintero;dur=${outcome.dinteroMs.toFixed(2)}`);
      }),
    );
  }

  /**
   * A store's payments, newest first: by the POS's `merchantReference` (a POS that lost a payment's id finds it
   * here), `terminalId` and a time window, in pages (`cursor`). An unknown reference is an empty list.
   */
  @Get()
  @ApiOkResponse({ type: PaymentPage })
  list(@Query() query: ListPaymentsQuery, @Pos() client: PosClient): Promise<PaymentPage> {
    return this.lookup.list(query, client);
  }

  /** `?waitFor=final&timeout=30` holds the answer until the payment is final or the timeout (at most 60 s) runs out. */
  @Get(':paymentId')
  @ApiOkResponse({ type: PaymentView })
  get(
    @Param('paymentId', uuidParam('paymentId')) paymentId: string,
    @Query() query: GetPaymentQuery,
    @Pos() client: PosClient,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PaymentView> {
    return this.reader.payment(paymentId, query, client, hangUp(reply));
  }

  /** One refund of the payment; `?waitFor=final&timeout=30` holds the answer until its outcome is known. */
  @Get(':paymentId/refunds/:refundId')
  @ApiOkResponse({ type: RefundView })
  getRefund(
    @Param('paymentId', uuidParam('paymentId')) paymentId: string,
    @Param('refundId', uuidParam('refundId')) refundId: string,
    @Query() query: GetPaymentQuery,
    @Pos() client: PosClient,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RefundView> {
    return this.reader.refund(paymentId, refundId, query, client, hangUp(reply));
  }

  /**
   * 200 when cancelled (or already ended without money), 202 while Dintero has not confirmed, and
   * 409 PAYMENT_FINISHED when the capture won the race (the payment in the body).
   */
  @Post(':paymentId/cancel')
  @ApiOkResponse({ type: PaymentView, description: 'Cancelled, or ended already' })
  @ApiAcceptedResponse({
    type: PaymentView,
    description: 'Not confirmed by Dintero yet (`cancellationRequested`): the outcome follows on the payment',
  })
  async cancel(
    @Param('paymentId', uuidParam('paymentId')) paymentId: string,
    @Pos() client: PosClient,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PaymentView> {
    const outcome = await this.canceller.cancel(paymentId, { correlationId: String(request.id), client });
    void reply.status(outcome.kind === 'pending' ? 202 : 200);
    return outcome.payment;
  }

  /**
   * 201 with the refund once its outcome is known (`succeeded` or `failed`); 202 while it is not: `pending`
   * when Dintero is doing it at the terminal (its answer 202), `unknown` when Dintero did not answer. Follow
   * it with `GET …/refunds/{refundId}?waitFor=final`.
   */
  @UseInterceptors(IdempotencyKeyInterceptor)
  @Post(':paymentId/refunds')
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  @ApiCreatedResponse({ type: RefundView, description: 'The outcome is known' })
  @ApiAcceptedResponse({ type: RefundView, description: 'Pending at the terminal, or unknown' })
  async refund(
    @Param('paymentId', uuidParam('paymentId')) paymentId: string,
    @Body() body: RefundTerminalPaymentDto,
    @Headers('idempotency-key') key: string | undefined,
    @Pos() client: PosClient,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const context = { correlationId: String(request.id), client };
    return this.idempotency.overHttp(
      { request, reply },
      client.id,
      key,
      { asTaken: refundAsTaken(paymentId, body), asSentBefore: [{ paymentId, ...(request.body as object) }] },
      this.refunder.steps(paymentId, body, context),
    );
  }
}
