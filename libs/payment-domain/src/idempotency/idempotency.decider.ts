import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import { isBefore } from '../shared/validation';

/**
 * Idempotent POS requests (docs/design.md invariant 6), kept in the log: stream `idempotency-{scope}-{keyHash}`.
 * The first request with a key runs; the same key with the same body gets the first answer; with
 * another body it is refused. A key is held for its time to live (at least 24 hours), then free again.
 */
export const idempotencyStream = (scope: string, keyHash: string): string => `idempotency-${scope}-${keyHash}`;

export interface RecordedAnswer {
  readonly status: number;
  readonly body: unknown;
}

export type IdempotencyEvent =
  | {
      readonly type: 'IdempotencyKeyUsed';
      readonly data: { readonly bodyHash: string; readonly at: string; readonly expiresAt: string };
    }
  | {
      readonly type: 'IdempotentAnswerRecorded';
      readonly data: { readonly answer: RecordedAnswer; readonly at: string };
    }
  /** The request failed without an answer worth repeating (a server error): the next attempt runs again. */
  | { readonly type: 'IdempotencyKeyReleased'; readonly data: { readonly at: string } };

export type IdempotencyCommand =
  | {
      readonly type: 'UseIdempotencyKey';
      readonly data: { readonly bodyHash: string; readonly at: string; readonly expiresAt: string };
    }
  | { readonly type: 'RecordIdempotentAnswer'; readonly data: { readonly answer: RecordedAnswer; readonly at: string } }
  | { readonly type: 'ReleaseIdempotencyKey'; readonly data: { readonly at: string } };

export type IdempotencyState =
  | { readonly status: 'unused' }
  | { readonly status: 'running'; readonly bodyHash: string; readonly expiresAt: string }
  | {
      readonly status: 'answered';
      readonly bodyHash: string;
      readonly expiresAt: string;
      readonly answer: RecordedAnswer;
    };

const initialState: IdempotencyState = { status: 'unused' };

function decide(command: IdempotencyCommand, state: IdempotencyState): IdempotencyEvent[] {
  switch (command.type) {
    case 'UseIdempotencyKey': {
      const { bodyHash, at } = command.data;
      if (state.status === 'unused' || !isBefore(at, state.expiresAt))
        return [{ type: 'IdempotencyKeyUsed', data: command.data }];
      if (state.bodyHash !== bodyHash) {
        throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another request body', {
          expiresAt: state.expiresAt,
        });
      }
      // The same request again: the caller repeats the recorded answer, or waits for the running one.
      return [];
    }
    case 'RecordIdempotentAnswer':
      return state.status === 'running' ? [{ type: 'IdempotentAnswerRecorded', data: command.data }] : [];
    case 'ReleaseIdempotencyKey':
      return state.status === 'running' ? [{ type: 'IdempotencyKeyReleased', data: command.data }] : [];
    default: {
      const unknown: never = command;
      throw new DomainError('VALIDATION_FAILED', `Unknown idempotency command ${JSON.stringify(unknown)}`);
    }
  }
}

function evolve(state: IdempotencyState, event: IdempotencyEvent): IdempotencyState {
  switch (event.type) {
    case 'IdempotencyKeyUsed':
      return { status: 'running', bodyHash: event.data.bodyHash, expiresAt: event.data.expiresAt };
    case 'IdempotentAnswerRecorded':
      return state.status === 'running' ? { ...state, status: 'answered', answer: event.data.answer } : state;
    case 'IdempotencyKeyReleased':
      return { status: 'unused' };
  }
}

export const idempotencyDecider: Decider<IdempotencyCommand, IdempotencyEvent, IdempotencyState> = {
  initialState,
  decide,
  evolve,
};
