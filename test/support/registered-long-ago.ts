import { handleCommand, type EventStore } from '@app/event-store';
import { storeDecider, storeStream, terminalDecider, terminalStream } from '@app/payment-domain';
import type { Engine } from './engine';

/**
 * Registers a store (Europe/Oslo, payout destination `seller-1`) and its terminals straight into the log,
 * dated `daysAgo` days back: for the nightly close, whose latest close time must find the terminals in use.
 */
export async function registerLongAgo(
  log: EventStore,
  storeId: string,
  terminalIds: readonly string[],
  daysAgo = 3,
): Promise<void> {
  const at = new Date(Date.now() - daysAgo * 86_400_000).toISOString();
  const metadata = { correlationId: 'registered-long-ago' };
  await handleCommand(
    log,
    storeStream(storeId),
    storeDecider,
    {
      type: 'RegisterStore',
      data: { storeId, name: storeId, payoutDestinationId: 'seller-1', timeZone: 'Europe/Oslo', at },
    },
    { metadata },
  );
  for (const terminalId of terminalIds) {
    await handleCommand(
      log,
      terminalStream(terminalId),
      terminalDecider,
      { type: 'AssignTerminal', data: { terminalId, storeId, at } },
      { metadata },
    );
    await handleCommand(
      log,
      storeStream(storeId),
      storeDecider,
      { type: 'RegisterTerminal', data: { storeId, terminalId, at } },
      { metadata },
    );
  }
}

/**
 * `registerLongAgo`, and the same store and terminals seeded at the simulator (payout destination `seller-1`): a
 * store whose nightly close Dintero takes.
 */
export async function registerLongAgoAtDintero(
  engine: Pick<Engine, 'log' | 'sim'>,
  storeId: string,
  terminalIds: readonly string[],
  daysAgo = 3,
): Promise<void> {
  await registerLongAgo(engine.log, storeId, terminalIds, daysAgo);
  await engine.sim.control('POST', '/seed', {
    payoutDestinations: ['seller-1'],
    stores: [{ id: storeId, payout_destination_id: 'seller-1' }],
    terminals: terminalIds.map((terminal_id) => ({ terminal_id, store_id: storeId })),
  });
}
