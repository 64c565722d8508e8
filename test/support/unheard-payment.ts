import { SimulatorState, type SimTransaction } from '../../apps/dintero-simulator/src/state/simulator-state';
import type { Engine } from './engine';

/**
 * A payment paid at a fresh terminal (`terminalId` of `storeId`) whose callbacks and webhooks the simulator drops:
 * the test delivers them itself. Its transaction as the simulator holds it.
 */
export async function paidUnheard(
  engine: Engine,
  storeId: string,
  terminalId: string,
): Promise<{ paymentId: string; tx: SimTransaction }> {
  await engine.terminals(storeId, terminalId);
  await engine.sim.control('PUT', '/chaos', { terminalId, dropRate: 1 });
  const { paymentId, sessionId } = await engine.start(storeId, terminalId, 10_000);
  await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
  const state = engine.sim.app.get(SimulatorState);
  const tx = state.transactions.get(state.sessions.get(sessionId as string)!.transaction_id!)!;
  return { paymentId: paymentId as string, tx };
}
