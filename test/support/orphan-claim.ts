import { handleCommand, readState, type EventStore } from '@app/event-store';
import { terminalDecider, terminalStream } from '@app/payment-domain';

/**
 * A payment's claim on `terminalId` with nothing recorded behind it, as the command service leaves one when it stops
 * between claiming the terminal and recording the payment: claim `claim-{terminalId}` for payment `pay-{terminalId}`
 * of `storeId`, made now and held an hour. The reconciler releases it once `RECONCILER_ORPHAN_CLAIM_SECONDS` have passed.
 */
export async function orphanClaim(
  log: EventStore,
  terminalId: string,
  { storeId, correlationId }: { readonly storeId: string; readonly correlationId: string },
): Promise<void> {
  const now = new Date();
  await handleCommand(
    log,
    terminalStream(terminalId),
    terminalDecider,
    {
      type: 'ClaimTerminal',
      data: {
        terminalId,
        claimId: `claim-${terminalId}`,
        kind: 'payment',
        paymentId: `pay-${terminalId}`,
        storeId,
        claimedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
      },
    },
    { metadata: { correlationId } },
  );
}

/** Whether nothing claims the terminal any more (its orphan claim released). */
export async function terminalFree(log: EventStore, terminalId: string): Promise<boolean> {
  return (await readState(log, terminalStream(terminalId), terminalDecider)).state.status === 'free';
}
