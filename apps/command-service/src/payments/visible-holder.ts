import { readState, type EventStore } from '@app/event-store';
import { DomainError, paymentDecider, paymentStream, type ClaimKind } from '@app/payment-domain';

/** Who asks: a POS client, by the stores it may use. */
interface Asker {
  mayUse(storeId: string): boolean;
}

/**
 * Whether the key may be told which payment holds a terminal of its store. A payment's or an operation's claim is
 * the terminal's store's own; a refund's may be of another store's payment, refunded here for a cardholder of the
 * chain by a key that may use both. Its ids are then not named: the key is answered 404 for that payment
 * (`visiblePayment`), and would learn by them that it exists.
 */
export async function holderNamed(
  store: EventStore,
  claim: { readonly kind: ClaimKind; readonly paymentId: string },
  asker: Asker,
): Promise<boolean> {
  if (claim.kind !== 'refund') return true;
  const { state } = await readState(store, paymentStream(claim.paymentId), paymentDecider);
  return state.status !== 'none' && asker.mayUse(state.storeId);
}

/**
 * `error` as the key may see it: a `TERMINAL_BUSY` for a refund of another store's payment says that a refund holds
 * the terminal, and until when, without the payment's id. Any other error is left as it is.
 */
export async function busyAsSeenBy(error: unknown, store: EventStore, asker: Asker): Promise<unknown> {
  if (!(error instanceof DomainError) || error.code !== 'TERMINAL_BUSY') return error;
  const { activePaymentId, activeKind, ...rest } = error.details;
  if (activeKind !== 'refund' || typeof activePaymentId !== 'string') return error;
  if (await holderNamed(store, { kind: activeKind, paymentId: activePaymentId }, asker)) return error;
  return new DomainError('TERMINAL_BUSY', error.message.replace(`refund ${activePaymentId}`, 'a refund'), {
    ...rest,
    activeKind,
  });
}
