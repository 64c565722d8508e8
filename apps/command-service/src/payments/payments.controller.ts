import { Body, Controller, Get, Headers, Inject, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EVENT_STORE, readState, type EventStore } from '@app/event-store';
import { DomainError, paymentDecider, paymentStream } from '@app/payment-domain';
import { IdempotentRequests } from '../idempotency/idempotent-requests.service';
import { RequestValidationError } from '../problem-details/problem-details.filter';
import { GetPaymentQuery } from './get/get-payment.query';
import { waitForFinal } from './get/wait-for-final';
import { PaymentView, paymentView } from './payment.view';
import { CancelTerminalPaymentHandler } from './cancel/cancel-terminal-payment.handler';
import { RefundTerminalPaymentDto, RefundView } from './refund/refund-terminal-payment.dto';
import { RefundTerminalPaymentHandler } from './refund/refund-terminal-payment.handler';
import { StartTerminalPaymentDto } from './start/start-terminal-payment.dto';
import { StartTerminalPaymentHandler } from './start/start-terminal-payment.handler';

@ApiTags('terminal payments')
@Controller('v1/terminal-payments')
export class PaymentsController {
  constructor(
    private readonly starter: StartTerminalPaymentHandler,
    private readonly idempotency: IdempotentRequests,
    private readonly canceller: CancelTerminalPaymentHandler,
    private readonly refunder: RefundTerminalPaymentHandler,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /**
   * Starts a payment: 201 when the terminal prompts; 202 when Dintero did not answer and the outcome is
   * being settled; Problem Details otherwise (TERMINAL_BUSY names the payment holding the terminal).
   */
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
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const correlationId = String(request.id);
    // POS credentials are not in place yet: the client is recorded as unauthenticated, and keys share one scope.
    const posClientId = 'unauthenticated';
    const answer = await this.idempotency.run(
      posClientId,
      key,
      request.body,
      { correlationId, instance: request.url },
      () => this.starter.prepare(body, { correlationId, posClientId }),
      async (prepared) => {
        const outcome = await this.starter.execute(prepared);
        return { status: outcome.kind === 'created' ? 201 : 202, body: outcome.payment };
      },
    );
    void reply.status(answer.status);
    if (answer.problem) void reply.header('content-type', 'application/problem+json');
    return answer.body;
  }

  /** `?waitFor=final&timeout=30` holds the answer until the payment is final or the timeout (at most 60 s) runs out. */
  @Get(':paymentId')
  @ApiOkResponse({ type: PaymentView })
  async get(
    @Param(
      'paymentId',
      new ParseUUIDPipe({ exceptionFactory: () => new RequestValidationError(['paymentId must be a UUID']) }),
    )
    paymentId: string,
    @Query() query: GetPaymentQuery,
  ): Promise<PaymentView> {
    const state =
      query.waitFor === 'final'
        ? await waitForFinal(this.store, paymentId, (query.timeout ?? 30) * 1000)
        : (await readState(this.store, paymentStream(paymentId), paymentDecider)).state;
    if (state.status === 'none')
      throw new DomainError('PAYMENT_NOT_FOUND', `Payment ${paymentId} not found`, { paymentId });
    return paymentView(state);
  }

  /**
   * 200 when cancelled (or already ended without money), 202 while Dintero has not confirmed, and
   * 409 PAYMENT_FINISHED when the capture won the race (the payment in the body).
   */
  @Post(':paymentId/cancel')
  @ApiOkResponse({ type: PaymentView })
  async cancel(
    @Param(
      'paymentId',
      new ParseUUIDPipe({ exceptionFactory: () => new RequestValidationError(['paymentId must be a UUID']) }),
    )
    paymentId: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PaymentView> {
    const outcome = await this.canceller.cancel(paymentId, {
      correlationId: String(request.id),
      posClientId: 'unauthenticated',
    });
    void reply.status(outcome.kind === 'pending' ? 202 : 200);
    return outcome.payment;
  }

  /** 201 with the refund's outcome (`succeeded`, `failed`, or `unknown` while Dintero has not answered). */
  @Post(':paymentId/refunds')
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  @ApiCreatedResponse({ type: RefundView })
  async refund(
    @Param(
      'paymentId',
      new ParseUUIDPipe({ exceptionFactory: () => new RequestValidationError(['paymentId must be a UUID']) }),
    )
    paymentId: string,
    @Body() body: RefundTerminalPaymentDto,
    @Headers('idempotency-key') key: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const context = { correlationId: String(request.id), posClientId: 'unauthenticated' };
    const answer = await this.idempotency.run(
      context.posClientId,
      key,
      { paymentId, ...(request.body as object) },
      { correlationId: context.correlationId, instance: request.url },
      () => this.refunder.prepare(paymentId, body, context),
      async (prepared) => ({ status: 201, body: await this.refunder.execute(prepared) }),
    );
    void reply.status(answer.status);
    if (answer.problem) void reply.header('content-type', 'application/problem+json');
    return answer.body;
  }
}
