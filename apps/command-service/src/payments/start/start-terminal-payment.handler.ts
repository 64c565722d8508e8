import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DinteroRejectedError, DinteroUnavailableError, type DinteroClient } from '@app/dintero';
import { EVENT_STORE, handleCommand, readState, type EventStore } from '@app/event-store';
import {
  assertUsableTerminal,
  paymentDecider,
  paymentStream,
  storeDecider,
  storeStream,
  terminalDecider,
  terminalStream,
  type PaymentCommand,
} from '@app/payment-domain';
import type { CommandServiceConfig } from '../../command-service.config';
import { COMMAND_CONFIG, DINTERO_CLIENT } from '../dintero.provider';
import { paymentView, type PaymentView } from '../payment.view';
import type { StartTerminalPaymentDto } from './start-terminal-payment.dto';
import { now, existingPayment } from '../../clock';

export interface StartContext {
  readonly correlationId: string;
  readonly posClientId: string;
}

/** A start that passed every check: the request as it will be recorded, and what claiming needs besides. */
export interface PreparedStart {
  readonly requestPayment: Extract<PaymentCommand, { type: 'RequestPayment' }>;
  readonly claimExpiresAt: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly log: Readonly<Record<string, string>>;
}

export type StartOutcome = { readonly kind: 'created' | 'outcome_unknown'; readonly payment: PaymentView };

/** Dintero said no: the payment ended as rejected and the terminal was released. */
export class DinteroRefusedPayment extends Error {
  constructor(
    readonly payment: PaymentView,
    readonly dinteroStatus: number,
    readonly dinteroCode: string,
  ) {
    super(`Dintero refused the session: ${dinteroCode}`);
  }
}

/**
 * Start: check the registry, claim the terminal, record the request, create the Dintero session, record
 * what Dintero answered. Each step is a fact in the log before the next one starts, so a crash at any
 * point leaves a state the reconciler can settle.
 */
@Injectable()
export class StartTerminalPaymentHandler {
  private readonly logger = new Logger(StartTerminalPaymentHandler.name);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DINTERO_CLIENT) private readonly dintero: DinteroClient,
    @Inject(COMMAND_CONFIG) private readonly config: CommandServiceConfig,
  ) {}

  /** Everything that can refuse the request without writing: registry, terminal, and the domain's rules. */
  async prepare(request: StartTerminalPaymentDto, context: StartContext): Promise<PreparedStart> {
    const { storeId, terminalId } = request;
    const { state: storeState } = await readState(this.store, storeStream(storeId), storeDecider);
    const store = assertUsableTerminal(storeState, storeId, terminalId);
    const paymentId = randomUUID();
    const requestedAt = new Date();
    const expiresAt = new Date(requestedAt.getTime() + this.config.sessionTtlSeconds * 1000).toISOString();
    const claimExpiresAt = new Date(
      requestedAt.getTime() + (this.config.sessionTtlSeconds + this.config.claimMarginSeconds) * 1000,
    ).toISOString();
    const metadata = {
      correlationId: context.correlationId,
      causationId: context.correlationId,
      occurredAt: requestedAt.toISOString(),
      paymentId,
      storeId,
      terminalId,
      posClientId: context.posClientId,
    };
    const log = { paymentId, storeId, terminalId, correlationId: context.correlationId };

    const requestPayment: PreparedStart['requestPayment'] = {
      type: 'RequestPayment',
      data: {
        paymentId,
        storeId,
        terminalId,
        payoutDestinationId: store.payoutDestinationId,
        amount: request.amount,
        currency: request.currency,
        merchantReference: request.merchantReference,
        ...(request.metadata ? { metadata: request.metadata } : {}),
        posClientId: context.posClientId,
        claimId: paymentId,
        requestedAt: requestedAt.toISOString(),
        expiresAt,
      },
    };
    // The domain's rules refuse bad input before the terminal is claimed, so a refused request writes nothing.
    paymentDecider.decide(requestPayment, paymentDecider.initialState);
    return { requestPayment, claimExpiresAt, metadata, log };
  }

  /** Claims the terminal, records the request, creates the Dintero session and records what Dintero answered. */
  async execute(prepared: PreparedStart): Promise<StartOutcome> {
    const { requestPayment, claimExpiresAt, metadata, log } = prepared;
    const request = requestPayment.data;
    const { paymentId, storeId, terminalId, payoutDestinationId, requestedAt, expiresAt } = request;

    await handleCommand(
      this.store,
      terminalStream(terminalId),
      terminalDecider,
      {
        type: 'ClaimTerminal',
        data: {
          terminalId,
          claimId: paymentId,
          kind: 'payment',
          paymentId,
          storeId,
          claimedAt: requestedAt,
          expiresAt: claimExpiresAt,
        },
      },
      { metadata },
    );
    const payment = paymentStream(paymentId);
    await handleCommand(this.store, payment, paymentDecider, requestPayment, { metadata });

    try {
      const session = await this.dintero.createTerminalSession({
        profileId: this.config.dinteroProfileId,
        paymentId,
        amount: request.amount,
        currency: request.currency,
        merchantReference: request.merchantReference,
        storeId,
        terminalId,
        payoutDestinationId,
        callbackUrl: this.callbackUrl(paymentId),
        returnUrl: this.config.returnUrl,
        expiresAt,
        ...(request.metadata ? { metadata: request.metadata } : {}),
      });
      const { state } = await handleCommand(
        this.store,
        payment,
        paymentDecider,
        { type: 'RecordSessionCreated', data: { sessionId: session.id, expiresAt, at: now() } },
        { metadata },
      );
      this.logger.log({ ...log, sessionId: session.id }, 'terminal payment started');
      return { kind: 'created', payment: paymentView(existingPayment(state)) };
    } catch (error) {
      if (error instanceof DinteroRejectedError) {
        const { state } = await handleCommand(
          this.store,
          payment,
          paymentDecider,
          {
            type: 'RecordSessionRejected',
            data: { code: error.code, message: error.message, httpStatus: error.status, at: now() },
          },
          { metadata },
        );
        await handleCommand(
          this.store,
          terminalStream(terminalId),
          terminalDecider,
          { type: 'ReleaseTerminal', data: { terminalId, claimId: paymentId, reason: 'rejected', at: now() } },
          { metadata },
        );
        this.logger.warn({ ...log, dinteroCode: error.code }, 'Dintero refused the session');
        throw new DinteroRefusedPayment(paymentView(existingPayment(state)), error.status, error.code);
      }
      if (error instanceof DinteroUnavailableError) {
        // Dintero may or may not have created the session: record that we do not know, keep the
        // terminal claimed, and let the reconciler find out (DESIGN.md: never assume failure).
        const { state } = await handleCommand(
          this.store,
          payment,
          paymentDecider,
          { type: 'RecordSessionOutcomeUnknown', data: { reason: error.message, at: now() } },
          { metadata },
        );
        this.logger.warn({ ...log, reason: error.message }, 'session creation outcome unknown');
        return { kind: 'outcome_unknown', payment: paymentView(existingPayment(state)) };
      }
      throw error;
    }
  }

  private callbackUrl(paymentId: string): string {
    const url = new URL('/v1/dintero/callback', this.config.ingestPublicUrl);
    url.searchParams.set('payment_id', paymentId);
    url.searchParams.set('report_error', 'true');
    url.searchParams.append('report_event', 'REFUND');
    url.searchParams.append('report_event', 'VOID');
    return url.href;
  }
}
