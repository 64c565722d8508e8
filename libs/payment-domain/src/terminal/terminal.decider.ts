import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import { isBefore, requireInstant, requireText, requireToken } from '../shared/validation';

/**
 * Stream `terminal-{terminalId}`: which store the terminal belongs to, and who holds it (docs/design.md
 * invariant 1). A payment or a refund claims it; the claim ends when the payment or refund ends, or when
 * it expires, so that a crash never locks a terminal for good. Of concurrent claims the event log's
 * expected revision lets one win. Terminal ids are global, so the stream is also the terminal-to-store
 * index that tells a terminal of another store from an unknown one.
 */
export const terminalStream = (terminalId: string): string => `terminal-${terminalId}`;

/**
 * What holds a terminal: a payment, a refund, a terminal operation, or the registry changing the device behind its
 * name (`device-change`, for the moment of the change: no payment starts on the device being swapped out).
 */
export type ClaimKind = 'payment' | 'refund' | 'operation' | 'device-change';

export interface TerminalClaim {
  readonly claimId: string;
  /** What holds the terminal: `payment`, `refund`, `operation`, or `device-change` (the registry, for a moment). */
  readonly kind: ClaimKind;
  /** The payment the claim is for (a refund's payment); for an operation or a device change, the claim's id. */
  readonly paymentId: string;
  readonly storeId: string;
  /** When the terminal was claimed; on a claim extended, when it was extended. */
  readonly claimedAt: string;
  /**
   * When the claim runs out: the terminal is free again then, whatever became of the payment or refund. The same
   * claim may come again with a later `expiresAt`: extended, by a request resumed after its first run died.
   */
  readonly expiresAt: string;
}

export type ReleaseReason = 'finished' | 'rejected' | 'expired' | 'reconciled';

export type TerminalEvent =
  | {
      readonly type: 'TerminalAssigned';
      readonly data: { readonly terminalId: string; readonly storeId: string; readonly at: string };
    }
  | { readonly type: 'TerminalClaimed'; readonly data: TerminalClaim & { readonly terminalId: string } }
  | {
      readonly type: 'TerminalReleased';
      readonly data: {
        readonly terminalId: string;
        readonly claimId: string;
        readonly paymentId: string;
        /**
         * The claim's store, so that a release reaches the read models even when no payment or refund was
         * ever recorded behind the claim (absent on releases recorded before it was kept).
         */
        readonly storeId?: string;
        readonly reason: ReleaseReason;
        readonly at: string;
      };
    };

export type TerminalCommand =
  | {
      readonly type: 'AssignTerminal';
      readonly data: { readonly terminalId: string; readonly storeId: string; readonly at: string };
    }
  | { readonly type: 'ClaimTerminal'; readonly data: TerminalClaim & { readonly terminalId: string } }
  | {
      readonly type: 'ReleaseTerminal';
      readonly data: {
        readonly terminalId: string;
        readonly claimId: string;
        readonly reason: ReleaseReason;
        readonly at: string;
      };
    };

/** `storeId` is the store the terminal is registered to; absent for a terminal never assigned. */
export type TerminalState =
  | { readonly status: 'free'; readonly storeId?: string }
  | { readonly status: 'claimed'; readonly claim: TerminalClaim; readonly storeId?: string };

const initialState: TerminalState = { status: 'free' };

function assignTerminal(
  { data }: Extract<TerminalCommand, { type: 'AssignTerminal' }>,
  state: TerminalState,
): TerminalEvent[] {
  const terminalId = requireToken(data.terminalId, 'terminalId');
  const storeId = requireToken(data.storeId, 'storeId');
  const at = requireInstant(data.at, 'at');
  if (state.storeId === storeId) return [];
  if (state.storeId !== undefined) throw otherStore(terminalId, state.storeId);
  return [{ type: 'TerminalAssigned', data: { terminalId, storeId, at } }];
}

function otherStore(terminalId: string, storeId: string): DomainError {
  return new DomainError('TERMINAL_OF_OTHER_STORE', `Terminal ${terminalId} belongs to another store`, {
    terminalId,
    terminalStoreId: storeId,
  });
}

/**
 * What a payment, refund or operation refused for a busy terminal may do: a `TERMINAL_BUSY` is not kept as the
 * answer for its key, so the same request sent again once the terminal is free goes through, under the same id.
 */
const AGAIN_ONCE_FREE = ': send the same request again, with the same idempotency key, once it is free';

/**
 * `TERMINAL_BUSY` for a terminal `claim` holds: what holds it (the payment, refund or operation) and until when;
 * `then` says what the refused request may do instead.
 */
export function terminalBusy(terminalId: string, claim: TerminalClaim, then = ''): DomainError {
  const what = claim.kind === 'device-change' ? 'a change of its device' : `${claim.kind} ${claim.paymentId}`;
  return new DomainError('TERMINAL_BUSY', `Terminal ${terminalId} is busy with ${what}${then}`, {
    terminalId,
    ...(claim.kind === 'operation'
      ? { activeOperationId: claim.claimId }
      : claim.kind === 'device-change'
        ? {}
        : { activePaymentId: claim.paymentId }),
    activeKind: claim.kind,
    busyUntil: claim.expiresAt,
  });
}

function claimTerminal(
  { data }: Extract<TerminalCommand, { type: 'ClaimTerminal' }>,
  state: TerminalState,
): TerminalEvent[] {
  const terminalId = requireToken(data.terminalId, 'terminalId');
  requireText(data.claimId, 'claimId', 100);
  requireText(data.paymentId, 'paymentId', 100);
  const claimedAt = requireInstant(data.claimedAt, 'claimedAt');
  const expiresAt = requireInstant(data.expiresAt, 'expiresAt');
  if (!isBefore(claimedAt, expiresAt))
    throw new DomainError('VALIDATION_FAILED', 'A claim must expire after it is made');
  if (state.storeId !== undefined && state.storeId !== data.storeId) throw otherStore(terminalId, state.storeId);
  if (state.status === 'claimed') {
    // The same claim again: a no-op, unless it now runs longer. A request resumed after its first run died claims
    // again for what it starts now (a session lives from its creation): kept to the first run's expiry, the claim
    // would lapse while that session still prompts, and another payment could take the terminal under it.
    if (state.claim.claimId === data.claimId)
      return isBefore(state.claim.expiresAt, expiresAt)
        ? [{ type: 'TerminalClaimed', data: { ...data, terminalId } }]
        : [];
    // A device change is sent with no idempotency key: the registry says what it may do instead.
    if (isBefore(claimedAt, state.claim.expiresAt))
      throw terminalBusy(terminalId, state.claim, data.kind === 'device-change' ? '' : AGAIN_ONCE_FREE);
    const expired: TerminalEvent = {
      type: 'TerminalReleased',
      data: {
        terminalId,
        claimId: state.claim.claimId,
        paymentId: state.claim.paymentId,
        storeId: state.claim.storeId,
        reason: 'expired',
        at: claimedAt,
      },
    };
    return [expired, { type: 'TerminalClaimed', data: { ...data, terminalId } }];
  }
  return [{ type: 'TerminalClaimed', data: { ...data, terminalId } }];
}

function releaseTerminal(
  { data }: Extract<TerminalCommand, { type: 'ReleaseTerminal' }>,
  state: TerminalState,
): TerminalEvent[] {
  const at = requireInstant(data.at, 'at');
  // Releasing a claim that already ended (or was replaced) changes nothing: every path that sees a
  // payment end may release, and only the first one counts.
  if (state.status !== 'claimed' || state.claim.claimId !== data.claimId) return [];
  return [
    {
      type: 'TerminalReleased',
      data: {
        terminalId: data.terminalId,
        claimId: data.claimId,
        paymentId: state.claim.paymentId,
        storeId: state.claim.storeId,
        reason: data.reason,
        at,
      },
    },
  ];
}

function evolve(state: TerminalState, event: TerminalEvent): TerminalState {
  const store = state.storeId === undefined ? {} : { storeId: state.storeId };
  switch (event.type) {
    case 'TerminalAssigned':
      return { ...state, storeId: event.data.storeId };
    case 'TerminalClaimed': {
      const { terminalId: _terminalId, ...claim } = event.data;
      return { status: 'claimed', claim, ...store };
    }
    case 'TerminalReleased':
      return state.status === 'claimed' && state.claim.claimId === event.data.claimId
        ? { status: 'free', ...store }
        : state;
  }
}

function decide(command: TerminalCommand, state: TerminalState): TerminalEvent[] {
  switch (command.type) {
    case 'AssignTerminal':
      return assignTerminal(command, state);
    case 'ClaimTerminal':
      return claimTerminal(command, state);
    case 'ReleaseTerminal':
      return releaseTerminal(command, state);
    default: {
      const unknown: never = command;
      throw new DomainError('VALIDATION_FAILED', `Unknown terminal command ${JSON.stringify(unknown)}`);
    }
  }
}

export const terminalDecider: Decider<TerminalCommand, TerminalEvent, TerminalState> = { initialState, decide, evolve };
