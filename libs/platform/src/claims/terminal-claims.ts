import { Logger } from '@nestjs/common';
import { handleCommand, readState, type EventMetadata, type EventStore } from '@app/event-store';
import {
  currentDevice,
  DomainError,
  storeDecider,
  storeStream,
  terminalDecider,
  terminalStream,
  type ReleaseReason,
  type TerminalClaim,
} from '@app/payment-domain';

export interface ClaimRelease {
  readonly terminalId: string;
  readonly claimId: string;
  readonly reason: ReleaseReason;
  readonly at: string;
}

/**
 * Claims a terminal for a payment, a refund, an operation or a device change: `TERMINAL_BUSY` (a `DomainError`)
 * while another claim holds it; the same claim again is a no-op, or extends it when it now runs longer. Of two
 * claims at once the log's expected revision lets one win.
 */
export async function claimTerminal(
  store: EventStore,
  claim: TerminalClaim & { readonly terminalId: string },
  metadata: EventMetadata,
): Promise<void> {
  await handleCommand(
    store,
    terminalStream(claim.terminalId),
    terminalDecider,
    { type: 'ClaimTerminal', data: claim },
    { metadata },
  );
}

/**
 * Releases a terminal claim. A no-op when the claim was already released or replaced, so every path that
 * sees a payment, a refund or a refusal end may call it.
 */
export async function releaseClaim(store: EventStore, release: ClaimRelease, metadata: EventMetadata): Promise<void> {
  await handleCommand(
    store,
    terminalStream(release.terminalId),
    terminalDecider,
    { type: 'ReleaseTerminal', data: release },
    { metadata },
  );
}

/**
 * Records the command a claim was taken for. When the domain refuses it (a refund over what is left, say),
 * the claim is released as `rejected` before the refusal passes on: a refused command never holds a
 * terminal. Any other failure (the log unreachable, a crash) leaves the claim for the reconciler, which
 * releases a claim with nothing recorded behind it after a short grace.
 */
export async function recordUnderClaim<T>(
  store: EventStore,
  claim: Omit<ClaimRelease, 'reason' | 'at'>,
  metadata: EventMetadata,
  record: () => Promise<T>,
): Promise<T> {
  try {
    return await record();
  } catch (error) {
    if (error instanceof DomainError) {
      // The refusal is the answer: a release that fails (the log unreachable) must not replace it with a
      // 5xx the POS would retry. The reconciler releases a claim with nothing behind it after a short grace.
      await releaseClaim(store, { ...claim, reason: 'rejected', at: new Date().toISOString() }, metadata).catch(
        (releaseError: unknown) =>
          new Logger('TerminalClaims').warn(
            { err: releaseError, ...claim, correlationId: metadata.correlationId },
            'could not release the claim of a refused command; the reconciler will',
          ),
      );
    }
    throw error;
  }
}

/**
 * The device behind a terminal's name, read once the request holds the terminal (see `currentDevice`): a change
 * of device takes the terminal too, so it cannot come between this read and what the request sends. A terminal
 * deactivated meanwhile is refused (a `DomainError`, which `recordUnderClaim` answers by releasing the claim).
 */
export async function deviceUnderClaim(
  store: EventStore,
  storeId: string,
  terminalId: string,
  /** A use a deactivated terminal takes too (see `currentDevice`). */
  deactivatedToo = false,
): Promise<string> {
  const { state } = await readState(store, storeStream(storeId), storeDecider);
  return currentDevice(state, storeId, terminalId, deactivatedToo);
}

/**
 * A request's `data` aimed at `device`: its `dinteroTerminalId`, the name itself too (a terminal Dintero knows by the
 * chain's name), so that the projections tell its facts by the device they were sent to, not by their time alone.
 */
export function aimedAt<T extends { readonly terminalId: string; readonly dinteroTerminalId?: string }>(
  data: T,
  device: string,
): T {
  if (device === data.dinteroTerminalId) return data;
  return { ...data, dinteroTerminalId: device };
}
