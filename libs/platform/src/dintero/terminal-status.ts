import type { DinteroClient } from '@app/dintero';
import { handleCommand, type EventStore } from '@app/event-store';
import {
  requireDinteroStatus,
  storeDecider,
  storeStream,
  type DinteroTerminalStatus,
  type StoreState,
} from '@app/payment-domain';

/**
 * Asks Dintero for a registered terminal's status now and records it on its store's stream when it changed
 * (the store decider records nothing for the status the log has). Dintero without the terminal is taken as
 * `DELETED`: it is gone there. Dintero's errors are the caller's to handle.
 */
export async function recordDinteroTerminalStatus(
  store: EventStore,
  dintero: DinteroClient,
  terminal: { readonly storeId: string; readonly terminalId: string; readonly dinteroTerminalId: string },
  correlationId: string,
): Promise<{ state: StoreState; status: DinteroTerminalStatus; changed: boolean }> {
  const { storeId, terminalId, dinteroTerminalId } = terminal;
  // Taken before asking: an answer that comes back late is not taken for newer than another's made since.
  const at = new Date().toISOString();
  const found = await dintero.getTerminal(dinteroTerminalId);
  // `status` is optional in Dintero's specification: a terminal shown without one is not gone, and says nothing.
  if (found && found.status === undefined)
    throw new Error(`Dintero shows terminal ${dinteroTerminalId} without a status: the status recorded stays`);
  const status = requireDinteroStatus(found?.status ?? 'DELETED');
  const { state, events } = await handleCommand(
    store,
    storeStream(storeId),
    storeDecider,
    {
      type: 'RecordTerminalStatus',
      data: {
        storeId,
        terminalId,
        dinteroTerminalId,
        status,
        ...(found?.status_reason ? { statusReason: found.status_reason } : {}),
        at,
      },
    },
    { metadata: { correlationId, causationId: correlationId, occurredAt: at, storeId, terminalId } },
  );
  return { state, status, changed: events.length > 0 };
}
