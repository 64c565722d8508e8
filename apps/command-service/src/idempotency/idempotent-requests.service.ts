import { randomUUID } from 'node:crypto';
import { HttpException, Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, handleCommand, readState, type EventStore } from '@app/event-store';
import {
  DomainError,
  idempotencyDecider,
  idempotencyStream,
  resumable,
  type RecordedAnswer,
} from '@app/payment-domain';
import { ProblemDetailsFilter, RequestValidationError, type FieldError } from '@app/platform';
import { COMMAND_CONFIG, type CommandServiceConfig, type FaultPoint } from '../command-service.config';
import { FaultPoints } from '../fault-points';
import { fingerprintOf, sha256, type Fingerprint, type KeyedRequest } from './request-fingerprint';

/** Keys are held at least 24 hours (issue 4); a key older than that may start a new request. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const WAIT_FOR_FIRST_ANSWER_MS = 15_000;
/** An idempotency key: 1-255 visible ASCII characters (the `Idempotency-Key` header, or `idempotencyKey` over NATS). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Why an `Idempotency-Key` header is refused: missing, or not 1-255 visible ASCII characters. */
export const IDEMPOTENCY_KEY_REFUSED: FieldError = {
  field: 'Idempotency-Key',
  message: 'Idempotency-Key header: 1-255 visible ASCII characters, required',
};

export const isIdempotencyKey = (key: unknown): key is string => typeof key === 'string' && IDEMPOTENCY_KEY.test(key);

/** An answer and whether it is Problem Details (for the content type). */
export interface Answer extends RecordedAnswer {
  readonly problem: boolean;
}

/** An HTTP exchange as `overHttp` needs it: the request's id and URL, and the reply to set. */
interface HttpExchange {
  readonly request: { readonly id: unknown; readonly url: string };
  readonly reply: { status(code: number): unknown; header(name: string, value: string): unknown };
}

/**
 * What an idempotent request does, in steps:
 * - `prepare(resourceId)`: every check that needs no write, for the payment or refund `resourceId`;
 * - `execute(prepared)`: the request's effects, each step a fact in the log before the next;
 * - `resume(resourceId)`: the same request, taken over after its first run died: from the last step the
 *   log shows (which may be none), never repeating one whose outcome is unknown.
 */
export interface IdempotentSteps<Prepared> {
  /**
   * Refuses a key that may not use what the request names (its store, its payment), as `prepare` would: checked on
   * every run, the same request again with its key too. A store taken from a key is not answered with what the key
   * was told of it before.
   */
  readonly admit: () => Promise<void>;
  readonly prepare: (resourceId: string) => Promise<Prepared>;
  readonly execute: (prepared: Prepared) => Promise<RecordedAnswer>;
  readonly resume: (resourceId: string) => Promise<RecordedAnswer>;
  /** Where a test may kill the service between the request's effects and its recorded answer. */
  readonly beforeAnswer?: FaultPoint;
}

/** The first request with this key is still running: retry after `retryAfterSeconds`. */
export class RequestInProgressError extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      {
        code: 'IDEMPOTENT_REQUEST_IN_PROGRESS',
        detail: `The first request with this key is still running; retry in ${retryAfterSeconds} s with the same key`,
        retryAfterSeconds,
      },
      409,
    );
  }
}

/**
 * Runs a POS request at most once per `Idempotency-Key` (docs/design.md invariant 6), with the key's state in
 * the event log so that it holds across restarts and instances. The key's record names the payment or
 * refund before anything else is written, and holds a lease while the request runs. A retry with the same
 * key and body gets the recorded answer; within the lease, `409 IDEMPOTENT_REQUEST_IN_PROGRESS` with
 * `Retry-After`; after it (the first request's process died, or it failed with a server error) the retry
 * resumes the request from its last recorded step. Refusals (4xx) are answers too and are repeated, but for those
 * that only say "not now" (`TERMINAL_BUSY`, `CONCURRENT_UPDATE`): the same request is done once it can be (`own`).
 */
@Injectable()
export class IdempotentRequests {
  private readonly problems = new ProblemDetailsFilter();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(COMMAND_CONFIG) private readonly config: CommandServiceConfig,
    private readonly faults: FaultPoints,
  ) {}

  /**
   * `run` for an HTTP request: under the request's correlation id and URL, with the answer's status, Problem
   * Details' content type and body set on the reply. Each POS client has its own key space.
   */
  async overHttp<Prepared>(
    { request, reply }: HttpExchange,
    clientId: string,
    key: string | undefined,
    keyed: KeyedRequest,
    steps: IdempotentSteps<Prepared>,
  ): Promise<unknown> {
    const answer = await this.run(
      clientId,
      key,
      keyed,
      { correlationId: String(request.id), instance: request.url },
      steps,
    );
    void reply.status(answer.status);
    if (answer.problem) void reply.header('content-type', 'application/problem+json');
    return answer.body;
  }

  /**
   * 1. A key already answered (or running) with the same request gets that answer, waits, or resumes, once the POS
   *    client may still use what it names (`admit`); with another request, 422. The request is compared as the
   *    engine takes it (`KeyedRequest`), not as written. The checks only read.
   * 2. `prepare` runs the checks that need no write: a refused request writes nothing (invariant 9).
   * 3. The key is taken atomically, naming what the request creates, and `execute` runs.
   */
  async run<Prepared>(
    scope: string,
    key: string | undefined,
    request: KeyedRequest,
    context: { correlationId: string; instance: string },
    steps: IdempotentSteps<Prepared>,
  ): Promise<Answer> {
    if (!isIdempotencyKey(key)) throw new RequestValidationError([IDEMPOTENCY_KEY_REFUSED]);
    await steps.admit();
    const stream = idempotencyStream(scope, sha256(key).slice(0, 40));
    const fingerprint = fingerprintOf(request);
    const metadata = {
      correlationId: context.correlationId,
      causationId: context.correlationId,
      occurredAt: new Date().toISOString(),
    };
    const attemptId = randomUUID();
    const use = (resourceId: string, earlierHashes?: readonly string[]) => {
      const at = new Date();
      return {
        type: 'UseIdempotencyKey' as const,
        data: {
          bodyHash: fingerprint.bodyHash,
          ...(earlierHashes ? { earlierHashes } : {}),
          at: at.toISOString(),
          expiresAt: new Date(at.getTime() + IDEMPOTENCY_TTL_MS).toISOString(),
          resourceId,
          leaseUntil: this.leaseFrom(at),
          attemptId,
        },
      };
    };
    const run = { stream, metadata, instance: context.instance, beforeAnswer: steps.beforeAnswer, attemptId };

    const { state } = await readState(this.store, stream, idempotencyDecider);
    const decided = await withEarlierHashes(fingerprint, (earlier) =>
      idempotencyDecider.decide(use('-', earlier), state),
    );
    if (decided.length === 0) return this.again(run, steps);
    const resourceId = randomUUID();
    const prepared = await steps.prepare(resourceId);
    const used = await withEarlierHashes(fingerprint, (earlier) =>
      handleCommand(this.store, stream, idempotencyDecider, use(resourceId, earlier), { metadata }),
    );
    if (used.events.length === 0) return this.again(run, steps);
    return this.own(run, () => steps.execute(prepared));
  }

  /**
   * Runs the request as the key's owner and records its answer. A server error records no answer but ends
   * the lease, so that the POS's retry resumes the request from its last step (never starts a second one). So
   * does a refusal that only says "not now": a terminal another payment, refund or operation holds (its claim is
   * the first thing the request writes, so nothing of it is written yet), and a write that lost too many races.
   * A POS that retries with the same key once the terminal is free gets its request done, not the old 409 for a day.
   */
  private async own(run: Run, work: () => Promise<RecordedAnswer>): Promise<Answer> {
    let answer: Answer;
    try {
      answer = { ...(await work()), problem: false };
    } catch (error) {
      const problem = this.problems.toProblem(error, run.instance);
      // A server error, a busy terminal, or a write that lost too many races (its body says "retry"): not an answer
      // to repeat.
      if (problem.status >= 500 || problem.code === 'CONCURRENT_UPDATE' || problem.code === 'TERMINAL_BUSY') {
        await handleCommand(
          this.store,
          run.stream,
          idempotencyDecider,
          { type: 'InterruptIdempotentRequest', data: { at: new Date().toISOString(), attemptId: run.attemptId } },
          { metadata: run.metadata },
        ).catch(() => undefined); // the log itself may be what failed: the lease then runs out by itself
        throw error;
      }
      answer = { status: problem.status, body: problem, problem: true };
    }
    if (run.beforeAnswer) this.faults.reach(run.beforeAnswer);
    await handleCommand(
      this.store,
      run.stream,
      idempotencyDecider,
      {
        type: 'RecordIdempotentAnswer',
        data: {
          answer: { status: answer.status, body: answer.body },
          at: new Date().toISOString(),
          attemptId: run.attemptId,
        },
      },
      { metadata: run.metadata },
    );
    return answer;
  }

  /**
   * The same request again: its answer once there; meanwhile, while its lease runs, a wait (polling with a
   * deadline: the first request may be in another instance); after it, this request takes over and resumes.
   */
  private async again<Prepared>(run: Run, steps: IdempotentSteps<Prepared>): Promise<Answer> {
    const deadline = Date.now() + WAIT_FOR_FIRST_ANSWER_MS;
    for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
      const { state } = await readState(this.store, run.stream, idempotencyDecider);
      if (state.status === 'answered') {
        const body = state.answer.body as { code?: unknown };
        return { ...state.answer, problem: state.answer.status >= 400 && typeof body?.code === 'string' };
      }
      const now = new Date();
      if (state.status === 'running' && resumable(state, now.toISOString())) {
        const resumed = await handleCommand(
          this.store,
          run.stream,
          idempotencyDecider,
          {
            type: 'ResumeIdempotentRequest',
            data: { at: now.toISOString(), leaseUntil: this.leaseFrom(now), attemptId: run.attemptId },
          },
          { metadata: run.metadata },
        );
        if (resumed.events.length > 0) return this.own(run, () => steps.resume(state.resourceId!));
        continue; // another retry resumed it first: wait for its answer
      }
      if (Date.now() > deadline) {
        const leaseUntil = state.status === 'running' && state.leaseUntil ? Date.parse(state.leaseUntil) : Date.now();
        throw new RequestInProgressError(Math.max(1, Math.ceil((leaseUntil - Date.now()) / 1000)));
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  private leaseFrom(at: Date): string {
    return new Date(at.getTime() + this.config.idempotencyLeaseSeconds * 1000).toISOString();
  }
}

/**
 * `useKey` with the request's hash, and once more with its hashes of before when the key holds another (it was taken
 * before the upgrade, for the body as sent): those are computed then and only then. Without them, or when none
 * matches either, the key's refusal stands.
 */
async function withEarlierHashes<T>(
  fingerprint: Fingerprint,
  useKey: (earlierHashes?: readonly string[]) => T | Promise<T>,
): Promise<T> {
  try {
    return await useKey();
  } catch (error) {
    if (!(error instanceof DomainError && error.code === 'IDEMPOTENCY_KEY_REUSED')) throw error;
    const earlierHashes = fingerprint.earlierHashes();
    if (earlierHashes.length === 0) throw error;
    return useKey(earlierHashes);
  }
}

interface Run {
  /** This run of the request: the lease it takes or resumes is its own. */
  readonly attemptId: string;
  readonly stream: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly instance: string;
  readonly beforeAnswer: FaultPoint | undefined;
}
