import { Logger } from '@nestjs/common';
import { handleCommand, type EventMetadata, type EventStore } from '@app/event-store';
import { DomainError, terminalDecider, terminalStream, type ReleaseReason } from '@app/payment-domain';

export interface ClaimRelease {
  readonly terminalId: string;
  readonly claimId: string;
  readonly reason: ReleaseReason;
  readonly at: string;
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
