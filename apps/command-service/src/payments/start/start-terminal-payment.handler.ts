import { randomUUID } from 'node:crypto';
import { HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import { DINTERO_CLIENT, DinteroRejectedError, DinteroUnavailableError, type DinteroClient } from '@app/dintero';
import { EVENT_STORE, handleCommand, readState, type EventStore } from '@app/event-store';
import {
  existingPayment,
  DomainError,
  assertUsableTerminal,
  paymentDecider,
  paymentStream,
  storeDecider,
  storeStream,
  terminalDecider,
  terminalStream,
  type PaymentCommand,
} from '@app/payment-domain';
import { recordUnderClaim, releaseClaim } from '@app/platform';
import { COMMAND_CONFIG, type CommandServiceConfig } from '../../command-service.config';
import { paymentView, type PaymentView } from '../payment.view';
import { dinteroMetadata, type StartTerminalPaymentDto } from './start-terminal-payment.dto';
import type { CommandContext } from '../command-context';
import { now } from '../../clock';

/** A start that passed every check: the request as it will be recorded, and what claiming needs besides. */
export interface PreparedStart {
  readonly requestPayment: Extract<PaymentCommand, { type: 'RequestPayment' }>;
  readonly claimExpiresAt: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly log: Readonly<Record<string, string>>;
}

export type StartOutcome = {
  readonly kind: 'created' | 'outcome_unknown';
  readonly payment: PaymentView;
  /** How long Dintero took to answer the session creation (for `Server-Timing`). */
  readonly dinteroMs: number;
};

/**
 * Dintero said no: the payment ended as rejected and the terminal was released. Dintero's 409 (a terminal
 * busy on its side) stays a conflict; any other refusal is unprocessable.
 */
export class DinteroRefusedPayment extends HttpException {
  constructor(payment: PaymentView, dinteroStatus: number, dinteroCode: string) {
    super(
      { code: 'DINTERO_REJECTED', detail: `Dintero refused the session: ${dinteroCode}`, dinteroCode, payment },
      dinteroStatus === 409 ? 409 : 422,
    );
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
  async prepare(request: StartTerminalPaymentDto, context: CommandContext): Promise<PreparedStart> {
    const { storeId, terminalId } = request;
    context.client.assertStore(storeId);
    const store = await this.usableTerminal(storeId, terminalId, context);
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
      posClientId: context.client.id,
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
        posClientId: context.client.id,
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
    await recordUnderClaim(this.store, { terminalId, claimId: paymentId }, metadata, () =>
      handleCommand(this.store, payment, paymentDecider, requestPayment, { metadata }),
    );

    const sent = performance.now();
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
        ...(request.metadata ? { metadata: dinteroMetadata(request.metadata) } : {}),
      });
      const dinteroMs = performance.now() - sent;
      const { state } = await handleCommand(
        this.store,
        payment,
        paymentDecider,
        { type: 'RecordSessionCreated', data: { sessionId: session.id, expiresAt, at: now() } },
        { metadata },
      );
      this.logger.log({ ...log, sessionId: session.id }, 'terminal payment started');
      return { kind: 'created', payment: paymentView(existingPayment(state)), dinteroMs };
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
        await releaseClaim(this.store, { terminalId, claimId: paymentId, reason: 'rejected', at: now() }, metadata);
        this.logger.warn({ ...log, dinteroCode: error.code }, 'Dintero refused the session');
        throw new DinteroRefusedPayment(paymentView(existingPayment(state)), error.status, error.code);
      }
      if (error instanceof DinteroUnavailableError) {
        // Dintero may or may not have created the session: record that we do not know, keep the
        // terminal claimed, and let the reconciler find out (docs/design.md: never assume failure).
        const { state } = await handleCommand(
          this.store,
          payment,
          paymentDecider,
          { type: 'RecordSessionOutcomeUnknown', data: { reason: error.message, at: now() } },
          { metadata },
        );
        this.logger.warn({ ...log, reason: error.message }, 'session creation outcome unknown');
        return {
          kind: 'outcome_unknown',
          payment: paymentView(existingPayment(state)),
          dinteroMs: performance.now() - sent,
        };
      }
      throw error;
    }
  }

  /**
   * The store's details when the terminal is registered to it and active. A terminal registered to another
   * store is `TERMINAL_OF_OTHER_STORE` when the key may use that store too, and `403` when it may not.
   */
  private async usableTerminal(storeId: string, terminalId: string, context: CommandContext) {
    const { state } = await readState(this.store, storeStream(storeId), storeDecider);
    try {
      return assertUsableTerminal(state, storeId, terminalId);
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'UNKNOWN_TERMINAL') throw error;
      const terminal = (await readState(this.store, terminalStream(terminalId), terminalDecider)).state;
      if (terminal.storeId === undefined || terminal.storeId === storeId) throw error;
      context.client.assertStore(terminal.storeId);
      throw new DomainError('TERMINAL_OF_OTHER_STORE', `Terminal ${terminalId} belongs to store ${terminal.storeId}`, {
        storeId,
        terminalId,
        terminalStoreId: terminal.storeId,
      });
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
