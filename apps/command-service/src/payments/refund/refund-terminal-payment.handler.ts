import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DinteroRejectedError, DinteroUnavailableError, type DinteroClient } from '@app/dintero';
import { EVENT_STORE, handleCommand, readState, type EventStore } from '@app/event-store';
import {
  DomainError,
  paymentDecider,
  paymentStream,
  terminalDecider,
  terminalStream,
  type PaymentCommand,
} from '@app/payment-domain';
import type { CommandServiceConfig } from '../../command-service.config';
import { COMMAND_CONFIG, DINTERO_CLIENT } from '../dintero.provider';
import type { RefundTerminalPaymentDto, RefundView } from './refund-terminal-payment.dto';
import { now } from '../../clock';

export interface PreparedRefund {
  readonly paymentId: string;
  readonly storeId: string;
  readonly transactionId: string;
  readonly request: PaymentCommand & { type: 'RequestRefund' };
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * Refund on the terminal where the cardholder is: checked against what was captured before anything
 * is written, the terminal claimed for the refund, the request recorded, Dintero asked, the outcome
 * recorded (unknown when Dintero does not answer: then the amount stays committed, so that it can never
 * be refunded twice).
 */
@Injectable()
export class RefundTerminalPaymentHandler {
  private readonly logger = new Logger(RefundTerminalPaymentHandler.name);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DINTERO_CLIENT) private readonly dintero: DinteroClient,
    @Inject(COMMAND_CONFIG) private readonly config: CommandServiceConfig,
  ) {}

  async prepare(
    paymentId: string,
    body: RefundTerminalPaymentDto,
    context: { correlationId: string; posClientId: string },
  ): Promise<PreparedRefund> {
    const { state } = await readState(this.store, paymentStream(paymentId), paymentDecider);
    if (state.status === 'none')
      throw new DomainError('PAYMENT_NOT_FOUND', `Payment ${paymentId} not found`, { paymentId });
    const refundId = randomUUID();
    const request = {
      type: 'RequestRefund' as const,
      data: {
        refundId,
        amount: body.amount,
        terminalId: body.terminalId,
        claimId: refundId,
        ...(body.reason ? { reason: body.reason } : {}),
        by: context.posClientId,
        at: now(),
      },
    };
    // NOT_REFUNDABLE and REFUND_EXCEEDS_CAPTURED before anything is written.
    paymentDecider.decide(request, state);
    const transactionId = state.status === 'captured' ? state.transactionId : '';
    const metadata = {
      correlationId: context.correlationId,
      causationId: context.correlationId,
      occurredAt: now(),
      paymentId,
      refundId,
      terminalId: body.terminalId,
    };
    return { paymentId, storeId: state.storeId, transactionId, request, metadata };
  }

  async execute(prepared: PreparedRefund): Promise<RefundView> {
    const { paymentId, storeId, transactionId, request, metadata } = prepared;
    const { refundId, amount, terminalId } = request.data;
    const claimedAt = new Date();
    await handleCommand(
      this.store,
      terminalStream(terminalId),
      terminalDecider,
      {
        type: 'ClaimTerminal',
        data: {
          terminalId,
          claimId: refundId,
          kind: 'refund',
          paymentId,
          storeId,
          claimedAt: claimedAt.toISOString(),
          expiresAt: new Date(
            claimedAt.getTime() + (this.config.sessionTtlSeconds + this.config.claimMarginSeconds) * 1000,
          ).toISOString(),
        },
      },
      { metadata },
    );
    const stream = paymentStream(paymentId);
    await handleCommand(this.store, stream, paymentDecider, request, { metadata });

    let outcome: 'succeeded' | 'failed' | 'unknown';
    let reason: string | undefined;
    try {
      await this.dintero.refund(transactionId, {
        amount,
        terminalId,
        refundReference: refundId,
        ...(request.data.reason ? { reason: request.data.reason } : {}),
      });
      outcome = 'succeeded';
    } catch (error) {
      if (error instanceof DinteroRejectedError) [outcome, reason] = ['failed', error.code];
      else if (error instanceof DinteroUnavailableError) [outcome, reason] = ['unknown', error.message];
      else throw error;
    }
    await handleCommand(
      this.store,
      stream,
      paymentDecider,
      {
        type: 'RecordRefundOutcome',
        data: { refundId, outcome, ...(reason ? { reason } : {}), source: 'command-service', at: now() },
      },
      { metadata },
    );
    // An unknown outcome keeps the terminal until the claim expires: the cardholder may still be at it.
    if (outcome !== 'unknown') {
      await handleCommand(
        this.store,
        terminalStream(terminalId),
        terminalDecider,
        { type: 'ReleaseTerminal', data: { terminalId, claimId: refundId, reason: 'finished', at: now() } },
        { metadata },
      );
    }
    this.logger.log(
      { paymentId, refundId, terminalId, storeId, correlationId: metadata.correlationId, outcome },
      'refund',
    );
    return { refundId, paymentId, amount, terminalId, status: outcome };
  }
}
