import { Body, Controller, Get, Inject, Param, ParseUUIDPipe, Post, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EVENT_STORE, readState, type EventStore } from '@app/event-store';
import { DomainError, paymentDecider, paymentStream } from '@app/payment-domain';
import { RequestValidationError } from '../problem-details/problem-details.filter';
import { PaymentView, paymentView } from './payment.view';
import { StartTerminalPaymentDto } from './start/start-terminal-payment.dto';
import { StartTerminalPaymentHandler } from './start/start-terminal-payment.handler';

@ApiTags('terminal payments')
@Controller('v1/terminal-payments')
export class PaymentsController {
  constructor(
    private readonly starter: StartTerminalPaymentHandler,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /**
   * Starts a payment: 201 when the terminal prompts; 202 when Dintero did not answer and the outcome is
   * being settled; Problem Details otherwise (TERMINAL_BUSY names the payment holding the terminal).
   */
  @Post()
  @ApiCreatedResponse({ type: PaymentView })
  @ApiAcceptedResponse({ type: PaymentView, description: 'Dintero did not answer; the outcome is being reconciled' })
  async start(
    @Body() body: StartTerminalPaymentDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    // POS credentials are not in place yet: the client is recorded as unauthenticated.
    const outcome = await this.starter.start(body, {
      correlationId: String(request.id),
      posClientId: 'unauthenticated',
    });
    void reply.status(outcome.kind === 'created' ? 201 : 202);
    return outcome.payment;
  }

  @Get(':paymentId')
  @ApiOkResponse({ type: PaymentView })
  async get(
    @Param(
      'paymentId',
      new ParseUUIDPipe({ exceptionFactory: () => new RequestValidationError(['paymentId must be a UUID']) }),
    )
    paymentId: string,
  ): Promise<PaymentView> {
    const { state } = await readState(this.store, paymentStream(paymentId), paymentDecider);
    if (state.status === 'none')
      throw new DomainError('PAYMENT_NOT_FOUND', `Payment ${paymentId} not found`, { paymentId });
    return paymentView(state);
  }
}
