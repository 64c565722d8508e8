import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import { isBefore } from '../shared/validation';

/**
 * Idempotent POS requests (docs/design.md invariant 6), kept in the log: stream `idempotency-{scope}-{keyHash}`.
 * The first request with a key runs; the same key with the same body gets the first answer, or resumes
 * the first request when that one died; with another body it is refused. A key is held for its time to live
 * (at least 24 hours), then free again.
 */
export const idempotencyStream = (scope: string, keyHash: string): string => `idempotency-${scope}-${keyHash}`;

export interface RecordedAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * The key's first request, as taken: what it creates (`resourceId`: the payment or refund id, chosen before
 * any side effect) and until when it counts as running (`leaseUntil`). A request still without an answer
 * after its lease is presumed dead, and a retry with the same key resumes it from its last recorded step.
 */
export interface KeyTaken {
  readonly bodyHash: string;
  readonly at: string;
  readonly expiresAt: string;
  readonly resourceId?: string;
  readonly leaseUntil?: string;
  /** Who holds the lease: only that run may record the answer or end the lease early. */
  readonly attemptId?: string;
}

/** A run of the request: the one that took the key, or one that resumed it. */
interface Attempt {
  readonly attemptId?: string;
}

export type IdempotencyEvent =
  | { readonly type: 'IdempotencyKeyUsed'; readonly data: KeyTaken }
  | {
      readonly type: 'IdempotentAnswerRecorded';
      readonly data: { readonly answer: RecordedAnswer; readonly at: string } & Attempt;
    }
  /** A retry took over a request whose lease had run out (its process died): it runs until `leaseUntil`. */
  | {
      readonly type: 'IdempotentRequestResumed';
      readonly data: { readonly at: string; readonly leaseUntil: string } & Attempt;
    }
  /** The request failed with a server error and no answer: its lease ends now, so a retry resumes it at once. */
  | { readonly type: 'IdempotentRequestInterrupted'; readonly data: { readonly at: string } & Attempt }
  /** Before requests could be resumed, a server error freed the key (read from older logs only). */
  | { readonly type: 'IdempotencyKeyReleased'; readonly data: { readonly at: string } };

/**
 * A request taking or retrying its key. `bodyHash` is the request as the engine takes it; `earlierHashes`, the same
 * request as versions before took it (the body as sent, not normalised), which keys taken before an upgrade hold: a
 * retry of such a request is that request still. Not recorded: the key keeps `bodyHash`.
 */
export type UseIdempotencyKey = {
  readonly type: 'UseIdempotencyKey';
  readonly data: KeyTaken & { readonly earlierHashes?: readonly string[] };
};

export type IdempotencyCommand =
  | UseIdempotencyKey
  | {
      readonly type: 'RecordIdempotentAnswer';
      readonly data: { readonly answer: RecordedAnswer; readonly at: string } & Attempt;
    }
  | {
      readonly type: 'ResumeIdempotentRequest';
      readonly data: { readonly at: string; readonly leaseUntil: string } & Attempt;
    }
  | { readonly type: 'InterruptIdempotentRequest'; readonly data: { readonly at: string } & Attempt };

export type IdempotencyState =
  | { readonly status: 'unused' }
  | {
      readonly status: 'running';
      readonly bodyHash: string;
      readonly expiresAt: string;
      readonly resourceId?: string;
      readonly leaseUntil?: string;
      readonly attemptId?: string;
    }
  | {
      readonly status: 'answered';
      readonly bodyHash: string;
      readonly expiresAt: string;
      readonly resourceId?: string;
      readonly answer: RecordedAnswer;
    };

const initialState: IdempotencyState = { status: 'unused' };

/** A running request whose lease has run out at `at` and that names what it creates, so it can be resumed. */
export function resumable(state: IdempotencyState, at: string): boolean {
  return (
    state.status === 'running' &&
    state.resourceId !== undefined &&
    (state.leaseUntil === undefined || !isBefore(at, state.leaseUntil))
  );
}

/** The request runs and `attempt` is the run holding its lease (keys from before runs were named: any run). */
const holdsLease = (state: IdempotencyState, attempt: Attempt): boolean =>
  state.status === 'running' && (state.attemptId === undefined || state.attemptId === attempt.attemptId);

function decide(command: IdempotencyCommand, state: IdempotencyState): IdempotencyEvent[] {
  switch (command.type) {
    case 'UseIdempotencyKey': {
      const { earlierHashes, ...taken } = command.data;
      if (state.status === 'unused' || !isBefore(taken.at, state.expiresAt))
        return [{ type: 'IdempotencyKeyUsed', data: taken }];
      if (state.bodyHash !== taken.bodyHash && !earlierHashes?.includes(state.bodyHash)) {
        // A retry sends the same body; another body is another request, which needs a key of its own.
        throw new DomainError(
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was used with another request body: send a new key for a new request',
          { expiresAt: state.expiresAt },
        );
      }
      // The same request again: the caller repeats the recorded answer, waits for the running one, or resumes it.
      return [];
    }
    case 'RecordIdempotentAnswer':
      // A run that lost its lease (presumed dead, but it was only slow) does not answer for the one that resumed.
      return holdsLease(state, command.data) ? [{ type: 'IdempotentAnswerRecorded', data: command.data }] : [];
    case 'ResumeIdempotentRequest':
      // Of concurrent retries, the log lets one resume: the others find the new lease and wait.
      return resumable(state, command.data.at) ? [{ type: 'IdempotentRequestResumed', data: command.data }] : [];
    case 'InterruptIdempotentRequest':
      return holdsLease(state, command.data) ? [{ type: 'IdempotentRequestInterrupted', data: command.data }] : [];
    default: {
      const unknown: never = command;
      throw new DomainError('VALIDATION_FAILED', `Unknown idempotency command ${JSON.stringify(unknown)}`);
    }
  }
}

function evolve(state: IdempotencyState, event: IdempotencyEvent): IdempotencyState {
  switch (event.type) {
    case 'IdempotencyKeyUsed': {
      const { bodyHash, expiresAt, resourceId, leaseUntil, attemptId } = event.data;
      return {
        status: 'running',
        bodyHash,
        expiresAt,
        ...(resourceId ? { resourceId } : {}),
        ...(leaseUntil ? { leaseUntil } : {}),
        ...(attemptId ? { attemptId } : {}),
      };
    }
    case 'IdempotentAnswerRecorded': {
      if (state.status !== 'running') return state;
      const { leaseUntil: _lease, attemptId: _attempt, ...rest } = state;
      return { ...rest, status: 'answered', answer: event.data.answer };
    }
    case 'IdempotentRequestResumed':
      return state.status === 'running'
        ? {
            ...state,
            leaseUntil: event.data.leaseUntil,
            ...(event.data.attemptId ? { attemptId: event.data.attemptId } : {}),
          }
        : state;
    case 'IdempotentRequestInterrupted':
      return state.status === 'running' ? { ...state, leaseUntil: event.data.at } : state;
    case 'IdempotencyKeyReleased':
      return { status: 'unused' };
  }
}

export const idempotencyDecider: Decider<IdempotencyCommand, IdempotencyEvent, IdempotencyState> = {
  initialState,
  decide,
  evolve,
};
