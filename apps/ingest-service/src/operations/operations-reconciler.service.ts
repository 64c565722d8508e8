import { Injectable, Logger } from '@nestjs/common';
import { handleCommand, readState, type RecordedEvent } from '@app/event-store';
import {
  DomainError,
  operationDecider,
  operationFinished,
  operationStream,
  type ExistingOperation,
  type OperationState,
} from '@app/payment-domain';
import {
  claimForOperation,
  operationMetadata,
  pollOperation,
  releaseClaim,
  releaseOperation,
  submitOperation,
} from '@app/platform';
import { LeasedLogDependencies, LeasedLogService } from '../fleet/leased-log-worker';
import { OpenOperations } from './open-operations';

const CORRELATION_ID = 'operations-reconciler';

/**
 * How long an operation Dintero took may stay `PENDING` there before it is taken as timed out here. Dintero ends
 * one the terminal does not answer with `TIMEOUT` itself; this bounds the asking should it never say.
 */
const GIVE_UP_PENDING_MS = 24 * 3_600_000;
/** The longest pause between looks at an operation Dintero still runs after its hold ran out. */
const MAX_PAST_HOLD_PAUSE_MS = 5 * 60_000;

/**
 * Takes every terminal operation to its end, as the reconciler does payments: sends again one whose sending
 * was cut off (a crash, Dintero silent) or that Dintero deferred (`409`, after `Retry-After`), with the same
 * `Idempotency-Key` so that Dintero runs it once; asks Dintero how a dispatched one stands every
 * `OPERATION_POLL_SECONDS` until `COMPLETED`, `FAILED` or `TIMEOUT`, and records it (past its hold, less often, the
 * terminal freed: `stillPendingPastHold`); gives up on one never dispatched once its hold on the terminal ran out
 * (`expired`), and sends one sent without an answer past its hold only once it holds the terminal again
 * (`sendAgainPastHold`); and frees the terminal when it ended. With
 * several ingest instances, the one holding an operation's lease looks at it.
 */
@Injectable()
export class OperationsReconciler extends LeasedLogService {
  private readonly open: OpenOperations;
  private readonly pollMs: number;
  /** Operations Dintero still ran after their hold: each one's terminal freed, and said, once. */
  private readonly pastHold = new Set<string>();

  constructor(dependencies: LeasedLogDependencies) {
    super(
      {
        name: 'operations-reconciler',
        streamPrefixes: ['operation-'],
        intervalMs: dependencies.config.reconcilerIntervalMs,
        natsPrefix: dependencies.config.natsPrefix,
        natsReplicas: dependencies.config.natsReplicas,
        leaseMs: dependencies.config.reconcilerLeaseSeconds * 1000,
      },
      dependencies,
      new Logger(OperationsReconciler.name),
    );
    this.pollMs = this.config.operationPollSeconds * 1000;
    this.open = new OpenOperations({ resendMs: this.config.operationResendSeconds * 1000, pollMs: this.pollMs });
  }

  protected get enabled(): boolean {
    return this.config.reconcilerEnabled;
  }

  protected onEvent(event: RecordedEvent): void {
    this.open.apply(event, Date.now());
  }

  protected async tick(): Promise<void> {
    const budget = Math.max(
      1,
      Math.floor((this.config.reconcilerMaxPerSecond * this.config.reconcilerIntervalMs) / 1000),
    );
    for (const operationId of this.open.takeDue(Date.now(), budget)) {
      if (this.worker.isStopped) return;
      if (!(await this.worker.mayTake(`operation.${operationId}`))) continue;
      try {
        await this.settle(operationId);
      } catch (error) {
        this.logger.warn(
          { err: error, operationId, correlationId: CORRELATION_ID },
          'could not settle a terminal operation; trying again',
        );
      }
    }
  }

  private async settle(operationId: string): Promise<void> {
    const { state } = await readState(this.store, operationStream(operationId), operationDecider);
    if (state.status === 'none') return this.open.forget(operationId);
    const metadata = operationMetadata(state, CORRELATION_ID);
    const log = { operationId, storeId: state.storeId, terminalId: state.terminalId, correlationId: CORRELATION_ID };
    if (operationFinished(state)) {
      await releaseOperation(this.store, state, metadata);
      this.pastHold.delete(operationId);
      return this.open.forget(operationId);
    }
    let next: OperationState = state;
    const holdOver = Date.now() >= Date.parse(state.expiresAt);
    if (state.status === 'pending') {
      next = await pollOperation(this.store, this.dintero, state, metadata);
      if (next.status === 'pending' && holdOver) next = await this.stillPendingPastHold(state, metadata);
    } else if (holdOver && (state.status === 'requested' || state.status === 'deferred'))
      // Never taken by Dintero (not sent, or refused as busy): given up. One sent without an answer is sent
      // again below instead, with the same key, since Dintero may have taken it.
      next = await this.end(
        state,
        'expired',
        'not dispatched at Dintero before its hold on the terminal ran out',
        metadata,
      );
    else if (holdOver && state.status === 'submitting') next = await this.sendAgainPastHold(state, metadata, log);
    else if (state.status !== 'deferred' || Date.now() >= Date.parse(state.retryAt ?? state.requestedAt)) {
      this.logger.log({ ...log, status: state.status }, 'sending a terminal operation again');
      next = await submitOperation(this.store, this.dintero, state, metadata);
    }
    if (operationFinished(next)) {
      this.logger.log({ ...log, status: next.status }, 'terminal operation ended');
      this.open.forget(operationId);
      this.pastHold.delete(operationId);
    }
  }

  /**
   * Dintero took the operation and still runs it when its hold on the terminal is over: a terminal slow to close
   * its day (its hold spent waiting on another operation), or offline. Its outcome is still waited for, less and
   * less often: a close it completes then carries the day's batch, which taking it as timed out here would lose,
   * and a nightly close sent again meanwhile (a new Idempotency-Key) would close the terminal a second time, on an
   * empty batch. The terminal is freed for payments (Dintero answers busy while it really is). Taken as timed out
   * only `GIVE_UP_PENDING_MS` after it was asked for.
   */
  private async stillPendingPastHold(
    state: ExistingOperation,
    metadata: ReturnType<typeof operationMetadata>,
  ): Promise<OperationState> {
    const { operationId, storeId, terminalId, requestedAt, expiresAt } = state;
    const now = Date.now();
    if (now >= Date.parse(requestedAt) + GIVE_UP_PENDING_MS)
      return this.end(state, 'timed_out', 'Dintero gave no outcome in 24 hours', metadata);
    const pause = Math.min(Math.max((now - Date.parse(expiresAt)) / 4, this.pollMs), MAX_PAST_HOLD_PAUSE_MS);
    this.open.schedule(operationId, now + pause);
    // Freed once here (again after a restart or on another instance: a release of a claim gone changes nothing).
    if (!this.pastHold.has(operationId)) {
      const { claimId } = state;
      await releaseClaim(
        this.store,
        { terminalId, claimId, reason: 'expired', at: new Date(now).toISOString() },
        metadata,
      );
      this.pastHold.add(operationId);
      this.logger.warn(
        { operationId, storeId, terminalId, operation: state.operation, correlationId: CORRELATION_ID },
        'Dintero still runs the terminal operation after its hold: the terminal is freed, its outcome still awaited',
      );
    }
    return state;
  }

  /**
   * An operation sent without an answer, whose hold on the terminal ran out: it is sent again (the same key, so that
   * Dintero runs it once) only once it holds the terminal again. Dintero may never have had it, and then runs it when
   * it comes: never while a payment or refund holds the terminal. While one does, it waits; and it lets the terminal go
   * again when this send gets no answer either. Given up as timed out
   * `GIVE_UP_PENDING_MS` after it was asked for, as one Dintero never ends, so that it stops being sent and the
   * nightly close tries that day again.
   */
  private async sendAgainPastHold(
    state: ExistingOperation,
    metadata: ReturnType<typeof operationMetadata>,
    log: Readonly<Record<string, string>>,
  ): Promise<OperationState> {
    const { terminalId, claimId, requestedAt, expiresAt } = state;
    const now = Date.now();
    if (now >= Date.parse(requestedAt) + GIVE_UP_PENDING_MS)
      return this.end(state, 'timed_out', 'Dintero gave no answer to its sending in 24 hours', metadata);
    const hold = Date.parse(expiresAt) - Date.parse(requestedAt);
    try {
      await claimForOperation(
        this.store,
        state,
        new Date(now).toISOString(),
        new Date(now + hold).toISOString(),
        metadata,
      );
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'TERMINAL_BUSY') throw error;
      this.logger.log(
        log,
        'a terminal operation sent without an answer waits for its terminal to be free before it is sent again',
      );
      return state;
    }
    this.logger.log({ ...log, status: state.status }, 'sending a terminal operation again, its terminal held again');
    const next = await submitOperation(this.store, this.dintero, state, metadata);
    // Still no answer (or Dintero busy): the terminal is held only while it is sent, never from one send to the next
    // past the hold, so that a Dintero down for hours does not keep the till from taking payments.
    if (next.status === 'submitting' || next.status === 'deferred')
      await releaseClaim(
        this.store,
        { terminalId, claimId, reason: 'expired', at: new Date().toISOString() },
        metadata,
      );
    return next;
  }

  /** Ended here, without Dintero's word: recorded, and the terminal freed. */
  private async end(
    state: ExistingOperation,
    outcome: 'expired' | 'timed_out',
    reason: string,
    metadata: ReturnType<typeof operationMetadata>,
  ): Promise<OperationState> {
    const { state: ended } = await handleCommand(
      this.store,
      operationStream(state.operationId),
      operationDecider,
      { type: 'RecordOperationOutcome', data: { outcome, reason, at: new Date().toISOString() } },
      { metadata },
    );
    await releaseOperation(this.store, ended as ExistingOperation, metadata);
    return ended;
  }
}
