import { handleCommand, readState, type EventStore } from '@app/event-store';
import {
  operationDecider,
  operationOpen,
  operationStream,
  type CloseAttemptClaimedData,
  type OperationState,
  type OperationStatus,
} from '@app/payment-domain';
import { operationMetadata } from '@app/platform';
import { closeDayKey, closeOperationId } from './close-schedule';

const CORRELATION_ID = 'nightly-close';

/** A terminal's close of a day: which store, terminal and day. */
export interface CloseDay {
  readonly storeId: string;
  readonly terminalId: string;
  readonly businessDay: string;
}

const dayStream = ({ storeId, terminalId, businessDay }: CloseDay) =>
  operationStream(closeDayKey(storeId, terminalId, businessDay));

// The day's fields by name: a caller's target carries more (its map key, the terminal's device), which the stored
// events must not.
const attemptOf = (
  { storeId, terminalId, businessDay }: CloseDay,
  attempt: number,
  at: string,
): CloseAttemptClaimedData => ({
  operationId: closeOperationId(storeId, terminalId, businessDay, attempt),
  storeId,
  terminalId,
  businessDay,
  attempt,
  at,
});

const metadataOf = (data: CloseAttemptClaimedData) => operationMetadata(data, CORRELATION_ID);

/**
 * Claims the attempt on the terminal day's stream, at the revision read, before its operation is recorded: the day's
 * give-up goes on the same stream, so the log orders the two. Refused (a `DomainError` whose details say `givenUp`)
 * when the day was given up; nothing recorded when the attempt was claimed already (a start after a busy terminal).
 */
export async function claimCloseAttempt(store: EventStore, day: CloseDay, attempt: number, at: string): Promise<void> {
  const data = attemptOf(day, attempt, at);
  await handleCommand(
    store,
    dayStream(day),
    operationDecider,
    { type: 'ClaimCloseAttempt', data },
    { metadata: metadataOf(data) },
  );
}

/** How a terminal day's attempts stand in the log, for its give-up. */
export type DayAttempts =
  /** Given up already: on the day's stream, or (an earlier version) on an attempt's. */
  | { readonly kind: 'given_up' }
  /** One attempt closed the terminal's batch: the day is closed. */
  | { readonly kind: 'completed'; readonly attempt: number }
  /** One attempt is recorded and not ended: it may yet close the batch. */
  | { readonly kind: 'under_way'; readonly attempt: number; readonly status: OperationStatus }
  /**
   * Every claimed attempt ended without closing, or was voided here: the give-up may go on the day's stream. `made`:
   * those of them that were recorded (sent, and ended), the others voided, never made.
   */
  | { readonly kind: 'settled'; readonly settledAttempts: readonly number[]; readonly made: readonly number[] };

/**
 * Reads the terminal day's stream, then each attempt it has claimed (and `attempt`, the one the caller knows, which an
 * earlier version may have recorded unclaimed): an attempt claimed and not recorded is voided on its own stream, so
 * that it never will be (its request, should it come first, shows it under way instead). Then the attempts after all
 * of those, as long as each is recorded: an instance of the version before claims records its attempts unclaimed
 * (during a rolling upgrade), the next once the one before ended, and the caller may not have read them yet. The
 * give-up is then appended on the day's stream at the revision read here or later, naming the attempts found settled:
 * one claimed since is not among them, and refuses it.
 */
export async function settleDayAttempts(
  store: EventStore,
  day: CloseDay,
  attempt: number,
  at: string,
): Promise<DayAttempts> {
  const { state: dayState } = await readState(store, dayStream(day), operationDecider);
  if (dayState.givenUp) return { kind: 'given_up' };
  const claimed = dayState.status === 'none' ? (dayState.claimed ?? []) : [];
  const known = [...new Set([...claimed, attempt])].sort((a, b) => a - b);
  const settledAttempts: number[] = [];
  const made: number[] = [];
  for (const each of known) {
    const data = attemptOf(day, each, at);
    let { state } = await readState(store, operationStream(data.operationId), operationDecider);
    if (state.status === 'none' && !state.voided && !state.givenUp && claimed.includes(each))
      ({ state } = await handleCommand(
        store,
        operationStream(data.operationId),
        operationDecider,
        { type: 'VoidCloseAttempt', data },
        { metadata: metadataOf(data) },
      ));
    const found = settled(state, each, settledAttempts, made);
    if (found) return found;
  }
  // Unclaimed attempts after those, recorded by an instance of the version before (its next once one ended): the first
  // not recorded ends them, no instance starting an attempt before the one before it ended.
  for (let each = known[known.length - 1]! + 1; ; each++) {
    const { state } = await readState(store, operationStream(attemptOf(day, each, at).operationId), operationDecider);
    if (state.status === 'none' && !state.givenUp) break;
    const found = settled(state, each, settledAttempts, made);
    if (found) return found;
  }
  return { kind: 'settled', settledAttempts, made };
}

/**
 * How one attempt's state bears on the give-up: given up (on its own stream, by an earlier version), completed or under
 * way, each an answer; ended without closing, or voided, it is added to `settledAttempts` (and, ended, to `made`) and
 * there is none yet.
 */
function settled(
  state: OperationState,
  attempt: number,
  settledAttempts: number[],
  made: number[],
): DayAttempts | undefined {
  if (state.givenUp) return { kind: 'given_up' };
  if (state.status === 'none') {
    // Unclaimed and unrecorded (the attempt the caller knows, never started): nothing to settle.
    if (state.voided) settledAttempts.push(attempt);
    return undefined;
  }
  if (state.status === 'completed') return { kind: 'completed', attempt };
  if (operationOpen(state.status)) return { kind: 'under_way', attempt, status: state.status };
  settledAttempts.push(attempt);
  made.push(attempt);
  return undefined;
}
