import { readState, type EventStore } from '@app/event-store';
import { assertAcceptedCurrency, DomainError, terminalDecider, terminalStream } from '@app/payment-domain';
import type { UsableTerminals } from '../../registry/usable-terminals.service';
import type { CommandContext } from '../command-context';

/**
 * The cardholder may be at another store of the chain: the refund terminal must be registered and active in a
 * store this key may use, that store's terminals must take the refund's currency (the payment's, or a late
 * capture's own: a refund in NOK at a terminal of a Swedish store is refused here, not by the terminal), and the
 * store must pay out to the payment's payout destination: Dintero approves an in-person refund only on a terminal
 * of the original transaction's (a chain of franchises on separate legal entities has several).
 */
export async function usableRefundTerminal(
  log: EventStore,
  terminals: UsableTerminals,
  terminalId: string,
  payment: { readonly currency: string; readonly payoutDestinationId: string },
  context: CommandContext,
): Promise<{ storeId: string; dinteroTerminalId: string }> {
  const { storeId } = (await readState(log, terminalStream(terminalId), terminalDecider)).state;
  // A terminal of a store the key may not use is answered as a name never registered: a 403 would tell the key
  // that the name is another store's terminal.
  if (storeId === undefined || !context.client.mayUse(storeId))
    throw new DomainError('UNKNOWN_TERMINAL', `Terminal ${terminalId} is not registered`, { terminalId });
  const { store, dinteroTerminalId } = await terminals.usable(storeId, terminalId);
  assertAcceptedCurrency(store, payment.currency);
  if (store.payoutDestinationId !== payment.payoutDestinationId)
    throw new DomainError(
      'REFUND_TERMINAL_OTHER_PAYOUT_DESTINATION',
      `Terminal ${terminalId} is of a store that pays out to another payout destination than the payment's: ` +
        'Dintero refunds only at a terminal of the same payout destination',
      { terminalId, payoutDestinationId: payment.payoutDestinationId },
    );
  return { storeId, dinteroTerminalId };
}
