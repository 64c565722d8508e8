import { createHash } from 'node:crypto';
import { HttpException, Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, handleCommand, readState, type EventStore } from '@app/event-store';
import { idempotencyDecider, idempotencyStream, type RecordedAnswer } from '@app/payment-domain';
import { ProblemDetailsFilter, RequestValidationError } from '@app/platform';

/** Keys are held at least 24 hours (issue 4); a key older than that may start a new request. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const WAIT_FOR_FIRST_ANSWER_MS = 15_000;
const KEY = /^[\x21-\x7e]{1,255}$/;

/** An answer and whether it is Problem Details (for the content type). */
export interface Answer extends RecordedAnswer {
  readonly problem: boolean;
}

/**
 * Runs a POS request at most once per `Idempotency-Key` (docs/design.md invariant 6), with the key's state in
 * the event log so that it holds across restarts and instances. Refusals (4xx) are answers too and are
 * repeated; a server error (5xx) releases the key so that a retry runs again.
 */
@Injectable()
export class IdempotentRequests {
  private readonly problems = new ProblemDetailsFilter();

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /**
   * 1. A key already answered (or running) with the same body gets that answer; with another body, 422.
   *    Both only read.
   * 2. `prepare` runs the checks that need no write: a refused request writes nothing (invariant 9).
   * 3. The key is taken atomically (a concurrent duplicate waits for the first answer), and `execute` runs.
   */
  async run<Prepared>(
    scope: string,
    key: string | undefined,
    body: unknown,
    context: { correlationId: string; instance: string },
    prepare: () => Promise<Prepared>,
    execute: (prepared: Prepared) => Promise<RecordedAnswer>,
  ): Promise<Answer> {
    if (key === undefined || !KEY.test(key)) {
      throw new RequestValidationError(['Idempotency-Key header: 1-255 visible ASCII characters, required']);
    }
    const stream = idempotencyStream(scope, sha256(key).slice(0, 40));
    const bodyHash = sha256(canonicalJson(body));
    const metadata = {
      correlationId: context.correlationId,
      causationId: context.correlationId,
      occurredAt: new Date().toISOString(),
    };
    const use = () => {
      const at = new Date();
      return {
        type: 'UseIdempotencyKey' as const,
        data: { bodyHash, at: at.toISOString(), expiresAt: new Date(at.getTime() + IDEMPOTENCY_TTL_MS).toISOString() },
      };
    };

    const { state } = await readState(this.store, stream, idempotencyDecider);
    if (idempotencyDecider.decide(use(), state).length === 0) return this.firstAnswer(stream);
    const prepared = await prepare();
    const used = await handleCommand(this.store, stream, idempotencyDecider, use(), { metadata });
    if (used.events.length === 0) return this.firstAnswer(stream);

    let answer: Answer;
    try {
      answer = { ...(await execute(prepared)), problem: false };
    } catch (error) {
      const problem = this.problems.toProblem(error, context.instance);
      if (problem.status >= 500) {
        await handleCommand(
          this.store,
          stream,
          idempotencyDecider,
          { type: 'ReleaseIdempotencyKey', data: { at: new Date().toISOString() } },
          { metadata },
        );
        throw error;
      }
      answer = { status: problem.status, body: problem, problem: true };
    }
    await handleCommand(
      this.store,
      stream,
      idempotencyDecider,
      {
        type: 'RecordIdempotentAnswer',
        data: { answer: { status: answer.status, body: answer.body }, at: new Date().toISOString() },
      },
      { metadata },
    );
    return answer;
  }

  /** The same request is already running or done: its answer, once there. */
  private async firstAnswer(stream: string): Promise<Answer> {
    const deadline = Date.now() + WAIT_FOR_FIRST_ANSWER_MS;
    for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
      const { state } = await readState(this.store, stream, idempotencyDecider);
      if (state.status === 'answered') {
        const body = state.answer.body as { code?: unknown };
        return { ...state.answer, problem: state.answer.status >= 400 && typeof body?.code === 'string' };
      }
      if (Date.now() > deadline) {
        throw new HttpException(
          { code: 'IDEMPOTENT_REQUEST_IN_PROGRESS', detail: 'The first request with this key is still running' },
          409,
        );
      }
      // Polling with a deadline: the first request is in this or another instance, and answers within seconds.
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with sorted keys, so that the same body in another key order is the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
