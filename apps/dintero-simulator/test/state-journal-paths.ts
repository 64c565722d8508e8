import path from 'node:path';
import { waitUntil } from '../../../test/support/app-process';
import { SEED, simulatorClient, terminalSessionRequest, type RunningSimulator } from '../../../test/support/simulator';
import { STATE_LISTS, type SimTerminal, type SimTransaction } from '../src/state/simulator-state';
import { dumpOf, restartedFromFiles, type Dump, type LiveSimulator } from './restarted-simulator';

/**
 * The state journal scenario's paths that wait on something (a hold, an unknown outcome, a stalled refund,
 * Dintero's automatic capture) and `/_control/reset`: each followed by a kill and a start from the files, which must
 * hold what the live simulator had (`restartedFromFiles`), the scenario going on in the simulator started again.
 */

/** Short terminal answers; Dintero's hold and automatic capture far off (amounts ending in 45 stay AUTHORIZED). */
export const SCENARIO = {
  SIM_OPERATION_DELAY_MS: '20',
  SIM_REFUND_DELAY_MS: '20',
  SIM_HOLD_MS: '600000',
  SIM_CAPTURE_DELAY_MS: '600000',
};
/** Dintero's hold and automatic capture over at once, for the timers that end them. */
const TIMERS = { ...SCENARIO, SIM_HOLD_MS: '20', SIM_CAPTURE_DELAY_MS: '20' };

export interface Restarts {
  readonly dir: string;
  readonly running: RunningSimulator[];
}

const restart = (live: LiveSimulator, { dir, running }: Restarts, name: string, expected?: (state: Dump) => Dump) =>
  restartedFromFiles(live, path.join(dir, `${name}.json`), running, TIMERS, expected);

/** A session on `terminalId`, its card presented: its transaction's id. */
async function pay(sim: RunningSimulator, amount: number, terminalId = 'T-1'): Promise<string> {
  const dintero = simulatorClient(sim);
  try {
    const session = await dintero.createTerminalSession(terminalSessionRequest({ amount, terminalId }));
    await sim.control('POST', `/terminals/${terminalId}/present`, {});
    return (await dintero.getSession(session.id)).transaction_id!;
  } finally {
    await dintero.close();
  }
}

const transactions = async (sim: RunningSimulator) => (await dumpOf(sim)).transactions as SimTransaction[];
const statuses = async (sim: RunningSimulator, ids: readonly string[]) => {
  const all = await transactions(sim);
  return ids.map((id) => all.find((tx) => tx.id === id)?.status);
};

/**
 * Left as they are at the kill, and so after the start: on hold (the hold's end is Dintero's review, not kept
 * across a restart), `UNKNOWN`, and `AUTHORIZED` with the automatic capture's due time (started again with the
 * timers short, the capture still comes when it was due, ten minutes on).
 */
export async function pendingPaths(live: LiveSimulator, restarts: Restarts): Promise<LiveSimulator> {
  const ids = [await pay(live.sim, 20_040), await pay(live.sim, 10_050), await pay(live.sim, 40_045)];
  const kept = ['ON_HOLD', 'UNKNOWN', 'AUTHORIZED'];
  expect(await statuses(live.sim, ids)).toEqual(kept);
  const next = await restart(live, restarts, 'pending');
  expect(await statuses(next.sim, ids)).toEqual(kept);
  const authorized = (await transactions(next.sim)).find((tx) => tx.id === ids[2]);
  expect(authorized?.captureDueAt).toBeGreaterThan(Date.now() + 60_000);
  return next;
}

/** A hold ended approved and one failed, and an automatic capture made, by their timers in the live simulator. */
export async function pathsEnded(live: LiveSimulator, restarts: Restarts): Promise<LiveSimulator> {
  const ids = [await pay(live.sim, 10_040), await pay(live.sim, 10_041), await pay(live.sim, 50_045)];
  const ended = ['CAPTURED', 'FAILED', 'CAPTURED'];
  await waitUntil(
    async () => JSON.stringify(await statuses(live.sim, ids)) === JSON.stringify(ended),
    10_000,
    'the holds and the automatic capture ended',
  );
  const next = await restart(live, restarts, 'ended');
  expect(await statuses(next.sim, ids)).toEqual(ended);
  return next;
}

/**
 * A refund Dintero accepted (202) that the terminal never finishes (`async_stall`): the amount held, the terminal
 * free again. The start declines it, as any refund left unconfirmed by a restart (its amount free again); the rest
 * is as the live simulator had it.
 */
export async function stalledRefund(live: LiveSimulator, restarts: Restarts): Promise<LiveSimulator> {
  const captured = await pay(live.sim, 11_000);
  await live.sim.control('PUT', '/terminals/T-1/refund-mode', { mode: 'async_stall' });
  const dintero = simulatorClient(live.sim);
  try {
    await dintero.refund(captured, { amount: 500, terminalId: 'T-1', refundReference: 'stalled' });
  } finally {
    await dintero.close();
  }
  await waitUntil(
    async () => {
      const terminals = (await dumpOf(live.sim)).terminals as SimTerminal[];
      return terminals.find((t) => t.terminal_id === 'T-1')?.activeRefund === undefined;
    },
    10_000,
    'the stalled refund let its terminal go',
  );
  const stalled = (await transactions(live.sim)).find((tx) => tx.id === captured)!;
  expect(stalled).toMatchObject({ refundingAmount: 500, refundedAmount: 0 });
  const requestId = stalled.events.find((event) => event.event === 'INITIATE_REFUND')?.request_id;
  expect(requestId).toBeDefined();
  return restart(live, restarts, 'stalled', (state) => ({
    ...state,
    transactions: (state.transactions as SimTransaction[]).map((tx) =>
      tx.id === captured
        ? {
            ...tx,
            refundingAmount: 0,
            updated_at: expect.any(String) as unknown as string,
            events: [
              ...tx.events,
              expect.objectContaining({
                event: 'REFUND',
                success: false,
                amount: 500,
                correlation_request_id: requestId,
                event_reference: 'stalled',
              }),
            ],
          }
        : tx,
    ),
  }));
}

/** `/_control/reset` (everything gone, a capture still due forgotten with it), then a new world after it. */
export async function reset(live: LiveSimulator, restarts: Restarts): Promise<LiveSimulator> {
  await live.sim.control('POST', '/reset');
  let next = await restart(live, restarts, 'reset');
  const state = await dumpOf(next.sim);
  expect(STATE_LISTS.flatMap((list) => state[list])).toEqual([]);
  await next.sim.control('POST', '/seed', SEED);
  const approved = await pay(next.sim, 12_000);
  next = await restart(next, restarts, 'after-reset');
  expect((await transactions(next.sim)).map((tx) => [tx.id, tx.status])).toEqual([[approved, 'CAPTURED']]);
  return next;
}
