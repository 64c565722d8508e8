import { randomUUID } from 'node:crypto';
import { HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import { DINTERO_CLIENT, DinteroRejectedError, DinteroUnavailableError, type DinteroClient } from '@app/dintero';
import { SessionNotSent, tokenForDintero } from '../../dintero-unreachable';
import { EVENT_STORE, handleCommand, readState, type EventStore } from '@app/event-store';
import {
  existingPayment,
  DomainError,
  assertAcceptedCurrency,
  dinteroTerminalOf,
  paymentDecider,
  paymentStream,
  terminalDecider,
  terminalStream,
  type PaymentCommand,
  type PaymentRequestedData,
  type PaymentState,
  isOpen,
  SESSION_NOT_SENT,
} from '@app/payment-domain';
import { aimedAt, claimTerminal, deviceUnderClaim, recordUnderClaim, releaseClaim } from '@app/platform';
import { COMMAND_CONFIG, type CommandServiceConfig } from '../../command-service.config';
import { paymentView, type PaymentView } from '../payment.view';
import { dinteroMetadata, type StartTerminalPaymentDto } from './start-terminal-payment.dto';
import { commandMetadata, type CommandContext } from '../command-context';
import { now } from '../../clock';
import { FaultPoints } from '../../fault-points';
import { UsableTerminals } from '../../registry/usable-terminals.service';
import { CancelTerminalPaymentHandler } from '../cancel/cancel-terminal-payment.handler';
import type { IdempotentSteps } from '../../idempotency/idempotent-requests.service';

/** A start that passed every check: the request as it will be recorded, and what claiming needs besides. */
export interface PreparedStart {
  readonly requestPayment: Extract<PaymentCommand, { type: 'RequestPayment' }>;
  readonly claimExpiresAt: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly log: Readonly<Record<string, string>>;
}

export type StartOutcome = {
  /** `created`: the terminal prompts (or the payment went further); `outcome_unknown`: Dintero's answer is not known. */
  readonly kind: 'created' | 'outcome_unknown';
  readonly payment: PaymentView;
  /** How long Dintero took to answer the session creation (for `Server-Timing`), when it was asked here. */
  readonly dinteroMs?: number;
};

/** The POS's answer to a start: 201 once the session exists, 202 while its creation's outcome is unknown. */
export const startAnswer = (outcome: StartOutcome) => ({
  status: outcome.kind === 'created' ? 201 : 202,
  body: outcome.payment,
});

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
    private readonly faults: FaultPoints,
    private readonly terminals: UsableTerminals,
    private readonly canceller: CancelTerminalPaymentHandler,
  ) {}

  /** Everything that can refuse the request without writing: registry, terminal, and the domain's rules. */
  async prepare(
    request: StartTerminalPaymentDto,
    context: CommandContext,
    paymentId: string = randomUUID(),
  ): Promise<PreparedStart> {
    const { storeId, terminalId } = request;
    context.client.assertStore(storeId);
    const { store, dinteroTerminalId } = await this.usableTerminal(storeId, terminalId, context);
    assertAcceptedCurrency(store, request.currency);
    const requestedAt = new Date();
    const expiresAt = new Date(requestedAt.getTime() + this.config.sessionTtlSeconds * 1000).toISOString();
    const claimExpiresAt = new Date(
      requestedAt.getTime() + (this.config.sessionTtlSeconds + this.config.claimMarginSeconds) * 1000,
    ).toISOString();
    const metadata = commandMetadata(context, { paymentId, storeId, terminalId }, requestedAt.toISOString());
    const log = { paymentId, storeId, terminalId, correlationId: context.correlationId };

    const requestPayment: PreparedStart['requestPayment'] = {
      type: 'RequestPayment',
      data: {
        paymentId,
        storeId,
        terminalId,
        // Always, its own name too: the projections count its sales in that device's batch by it, where the instants
        // (Dintero's clock against the engine's swap) may misread them.
        dinteroTerminalId,
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
    await tokenForDintero(this.dintero, 'getting a token to create the session');
    return { requestPayment, claimExpiresAt, metadata, log };
  }

  /**
   * The start as idempotent steps (see `IdempotentRequests`), the same over HTTP and NATS; `observe` sees each
   * outcome (HTTP reports Dintero's time in `Server-Timing`).
   */
  steps(
    request: StartTerminalPaymentDto,
    context: CommandContext,
    observe?: (outcome: StartOutcome) => void,
  ): IdempotentSteps<PreparedStart> {
    const answer = (outcome: StartOutcome) => {
      observe?.(outcome);
      return startAnswer(outcome);
    };
    return {
      admit: async () => context.client.assertStore(request.storeId),
      prepare: (paymentId) => this.prepare(request, context, paymentId),
      execute: async (prepared) => answer(await this.execute(prepared)),
      resume: async (paymentId) =>
        answer(await this.resume(paymentId, () => this.prepare(request, context, paymentId), context)),
      beforeAnswer: 'start:before-answer',
    };
  }

  /** Claims the terminal, records the request, creates the Dintero session and records what Dintero answered. */
  async execute(prepared: PreparedStart): Promise<StartOutcome> {
    const { requestPayment, claimExpiresAt, metadata } = prepared;
    const { paymentId, storeId, terminalId, requestedAt } = requestPayment.data;
    await claimTerminal(
      this.store,
      {
        terminalId,
        claimId: paymentId,
        kind: 'payment',
        paymentId,
        storeId,
        claimedAt: requestedAt,
        expiresAt: claimExpiresAt,
      },
      metadata,
    );
    this.faults.reach('start:after-claim');
    const { state } = await recordUnderClaim(this.store, { terminalId, claimId: paymentId }, metadata, async () => {
      // The device the name has now that the terminal is held: a device change since `prepare` looked goes first.
      const device = await deviceUnderClaim(this.store, storeId, terminalId);
      const request = { ...requestPayment, data: aimedAt(requestPayment.data, device) };
      // A new payment's stream: not read before it is written (a resumed request's is, after the append fails).
      return handleCommand(this.store, paymentStream(paymentId), paymentDecider, request, {
        metadata,
        expectNew: true,
      });
    });
    this.faults.reach('start:after-request');
    return this.createSession(existingPayment(state), metadata, requestPayment.data.metadata);
  }

  /**
   * The same start, taken over after its first run died (the key's lease ran out): from the last step the
   * log shows. Nothing recorded: the whole start again, with the same payment id (the same claim again, extended
   * to what this run starts).
   * The request recorded: the session is created unless a creation had begun, whose outcome is unknown
   * then (a second session is never created; the reconciler and Dintero's reports settle it). Further on,
   * the payment as it stands.
   */
  async resume(paymentId: string, prepareAgain: () => Promise<PreparedStart>, context: CommandContext) {
    const { state } = await readState(this.store, paymentStream(paymentId), paymentDecider);
    if (state.status === 'none') return this.execute(await prepareAgain());
    const metadata = commandMetadata(context, state, now());
    this.logger.log(
      {
        paymentId,
        storeId: state.storeId,
        terminalId: state.terminalId,
        status: state.status,
        correlationId: context.correlationId,
      },
      'resuming an interrupted start',
    );
    if (state.status === 'requested')
      return this.createSession(state, metadata, (await this.recordedRequest(paymentId)).metadata);
    if (state.status === 'rejected') {
      // Dintero refused it, and the first run died before it answered: the same refusal, the terminal freed.
      await releaseClaim(
        this.store,
        { terminalId: state.terminalId, claimId: paymentId, reason: 'rejected', at: now() },
        metadata,
      );
      throw new DinteroRefusedPayment(paymentView(state), state.dinteroStatus ?? 422, state.reason ?? 'REJECTED');
    }
    if (state.status === 'failed' && state.reason === SESSION_NOT_SENT) {
      // Its session was never sent, and the first run died before it answered: the same answer, the terminal freed.
      await releaseClaim(
        this.store,
        { terminalId: state.terminalId, claimId: paymentId, reason: 'finished', at: now() },
        metadata,
      );
      throw new SessionNotSent(paymentView(state), 'no connection could be made');
    }
    return this.asItStands(state);
  }

  /**
   * A start's answer from the payment as the log has it: `created` (201) once a session or a transaction is
   * known, otherwise `outcome_unknown` (202), whether it is still being settled or ended without one.
   */
  private asItStands(payment: Exclude<PaymentState, { status: 'none' }>): StartOutcome {
    const created = payment.sessionId !== undefined || payment.transactionId !== undefined;
    return { kind: created ? 'created' : 'outcome_unknown', payment: paymentView(payment) };
  }

  /**
   * Creates the Dintero session once: the first to record that the creation begins makes the call. One that
   * finds it begun and unanswered does not know Dintero's answer, and records that.
   */
  private async createSession(
    payment: Exclude<PaymentState, { status: 'none' }>,
    metadata: Readonly<Record<string, string>>,
    posMetadata: Readonly<Record<string, string>> | undefined,
  ): Promise<StartOutcome> {
    const { paymentId, storeId, terminalId, payoutDestinationId, expiresAt } = payment;
    const log = { paymentId, storeId, terminalId, correlationId: metadata.correlationId };
    const stream = paymentStream(paymentId);
    const begun = await handleCommand(
      this.store,
      stream,
      paymentDecider,
      { type: 'BeginSessionCreation', data: { at: now() } },
      { metadata },
    );
    if (begun.events[0]?.type !== 'SessionCreationStarted') {
      let { state } = begun;
      if (state.status === 'requested' && state.sessionCreationStartedAt !== undefined) {
        // Another run of this request began the creation and did not record Dintero's answer: unknown.
        ({ state } = await handleCommand(
          this.store,
          stream,
          paymentDecider,
          {
            type: 'RecordSessionOutcomeUnknown',
            data: { reason: 'the request creating the session was interrupted', at: now() },
          },
          { metadata },
        ));
        if (state.status === 'outcome_unknown') this.logger.warn(log, 'session creation interrupted: outcome unknown');
      }
      const current = existingPayment(state);
      // Cancelled by the POS before any session existed: nothing prompts, the terminal is free again.
      if (!isOpen(current))
        await releaseClaim(this.store, { terminalId, claimId: paymentId, reason: 'finished', at: now() }, metadata);
      return this.asItStands(current);
    }
    const sent = performance.now();
    try {
      const session = await this.dintero.createTerminalSession({
        profileId: this.config.dinteroProfileId,
        paymentId,
        amount: payment.amount,
        currency: payment.currency,
        merchantReference: payment.merchantReference,
        storeId,
        terminalId: dinteroTerminalOf(payment),
        payoutDestinationId,
        callbackUrl: this.callbackUrl(paymentId),
        returnUrl: this.config.returnUrl,
        expiresAt,
        ...(posMetadata ? { metadata: dinteroMetadata(posMetadata) } : {}),
      });
      const dinteroMs = performance.now() - sent;
      this.faults.reach('start:after-session');
      const { state } = await handleCommand(
        this.store,
        stream,
        paymentDecider,
        { type: 'RecordSessionCreated', data: { sessionId: session.id, expiresAt, at: now() } },
        { metadata },
      );
      this.logger.log({ ...log, sessionId: session.id }, 'terminal payment started');
      // The POS asked to cancel while Dintero created the session: nothing else would cancel it now.
      const cancelled = await this.canceller.cancelRequestedSession(state, metadata);
      return { kind: 'created', payment: cancelled ?? paymentView(existingPayment(state)), dinteroMs };
    } catch (error) {
      if (error instanceof DinteroRejectedError) {
        const { state } = await handleCommand(
          this.store,
          stream,
          paymentDecider,
          {
            type: 'RecordSessionRejected',
            data: { code: error.code, message: error.message, httpStatus: error.status, at: now() },
          },
          { metadata },
        );
        if (state.status !== 'rejected') {
          // Not recorded as refused: its transaction was reported meanwhile (the terminal prompted after all), or it
          // ended otherwise. Released as refused, it would count as no use of the terminal (the nightly close's
          // give-up of its day): it goes on as it stands, its terminal freed only once it has ended.
          const current = existingPayment(state);
          if (!isOpen(current))
            await releaseClaim(this.store, { terminalId, claimId: paymentId, reason: 'finished', at: now() }, metadata);
          this.logger.warn(
            { ...log, dinteroCode: error.code, status: current.status },
            'Dintero refused the session of a payment its transaction was reported of: kept as it stands',
          );
          return this.asItStands(current);
        }
        await releaseClaim(this.store, { terminalId, claimId: paymentId, reason: 'rejected', at: now() }, metadata);
        this.logger.warn({ ...log, dinteroCode: error.code }, 'Dintero refused the session');
        await this.terminals.refresh(storeId, terminalId, metadata.correlationId);
        throw new DinteroRefusedPayment(paymentView(existingPayment(state)), error.status, error.code);
      }
      if (error instanceof DinteroUnavailableError && error.notSent)
        return this.sessionNotSent(payment, error, metadata);
      if (error instanceof DinteroUnavailableError) {
        // Dintero may or may not have created the session: record that we do not know, keep the
        // terminal claimed, and let the reconciler find out (docs/design.md: never assume failure).
        const { state } = await handleCommand(
          this.store,
          stream,
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
   * No connection to Dintero could be made: the session was never sent, so nothing prompts and there is nothing for
   * the reconciler to find. The payment ends now and the terminal is free, rather than held until silence is taken
   * for a no. A payment the POS asked to cancel meanwhile ends cancelled, and is answered as it stands.
   */
  private async sessionNotSent(
    payment: Exclude<PaymentState, { status: 'none' }>,
    error: DinteroUnavailableError,
    metadata: Readonly<Record<string, string>>,
  ): Promise<StartOutcome> {
    const { paymentId, storeId, terminalId } = payment;
    const { state } = await handleCommand(
      this.store,
      paymentStream(paymentId),
      paymentDecider,
      { type: 'RecordSessionNotSent', data: { reason: error.message, at: now() } },
      { metadata },
    );
    const current = existingPayment(state);
    if (!isOpen(current))
      await releaseClaim(this.store, { terminalId, claimId: paymentId, reason: 'finished', at: now() }, metadata);
    this.logger.warn(
      { paymentId, storeId, terminalId, correlationId: metadata.correlationId, reason: error.message },
      'Dintero could not be reached: the session was never sent',
    );
    if (current.status === 'failed' && current.reason === SESSION_NOT_SENT)
      throw new SessionNotSent(paymentView(current), error.message);
    return this.asItStands(current);
  }

  /** The POS's metadata, which the payment's state does not keep: from its `PaymentRequested`. */
  private async recordedRequest(paymentId: string): Promise<Pick<PaymentRequestedData, 'metadata'>> {
    const [requested] = await this.store.readStream(paymentStream(paymentId), { limit: 1 });
    if (requested?.type !== 'PaymentRequested') throw new Error(`Payment ${paymentId} has no PaymentRequested first`);
    return requested.data as PaymentRequestedData;
  }

  /**
   * The store's details when the terminal is registered to it and active. A terminal registered to another
   * store is `TERMINAL_OF_OTHER_STORE` when the key may use that store too, and when it may not, `UNKNOWN_TERMINAL`
   * as a name never registered is: a 403 would tell the key that the name is another store's terminal.
   */
  private async usableTerminal(storeId: string, terminalId: string, context: CommandContext) {
    try {
      return await this.terminals.usable(storeId, terminalId, context.correlationId);
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'UNKNOWN_TERMINAL') throw error;
      const terminal = (await readState(this.store, terminalStream(terminalId), terminalDecider)).state;
      if (terminal.storeId === undefined || terminal.storeId === storeId || !context.client.mayUse(terminal.storeId))
        throw error;
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
