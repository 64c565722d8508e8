import { latestLocalMidnight } from './local-time';
import { World, type EngineProcess } from './world';

/**
 * The chaos run (docs/design.md invariants 1, 3, 5, 7): POS traffic on every terminal while the simulator drops,
 * duplicates and reorders callbacks and webhooks and fails API calls, and the engine's processes are killed
 * (SIGKILL) and restarted at random moments. At the end the log must hold each of the simulator's
 * transactions exactly once with its final state, no payment open, no terminal claimed, read models equal
 * to a fold from position 0 and to the simulator's totals, and no secret in any log line. Stores sit east of
 * UTC+12 and west of UTC−10, captured payments are refunded twice at once, and every capture and refund
 * counts on the local day Dintero gives it. `npm test` runs small ones; `npm run test:chaos` the full one
 * (CHAOS_PAYMENTS, CHAOS_STORES, CHAOS_TERMINALS_PER_STORE).
 */
export const CHAOS_PAYMENTS = Number(process.env.CHAOS_PAYMENTS ?? 240);
const STORES = Number(process.env.CHAOS_STORES ?? 3);
const TERMINALS_PER_STORE = Number(process.env.CHAOS_TERMINALS_PER_STORE ?? 4);
/** Captured payments refunded twice at once (two terminals, 60% each): one refund wins, the other is refused. */
const REFUND_RACES = Number(process.env.CHAOS_REFUND_RACES ?? 12);
const CHAOS = {
  dropRate: Number(process.env.CHAOS_DROP_RATE ?? 0.2),
  duplicateRate: Number(process.env.CHAOS_DUPLICATE_RATE ?? 0.2),
  reorderRate: Number(process.env.CHAOS_REORDER_RATE ?? 0.2),
  reorderDelayMs: 300,
  api5xxRate: Number(process.env.CHAOS_API_FAILURE_RATE ?? 0.05),
};

export interface ChaosLayout {
  readonly layout: string;
  /** The command service, ingest and projections as one process (`apps/engine`). */
  readonly oneProcess: boolean;
  /** The processes killed at random. */
  readonly victims: readonly EngineProcess[];
  readonly payments: number;
  /** The pause before each kill after the first (which comes 2-6 s in), as [least, most] ms. */
  readonly killPauseMs: readonly [number, number];
}

/** One chaos run in its own describe: its world, its traffic and kills, and the account. */
export function chaosRun(layout: ChaosLayout): void {
  jest.setTimeout(Number(process.env.CHAOS_TIMEOUT_MS ?? 15 * 60_000));
  describe(`chaos: lossy, duplicating, reordering Dintero; ${layout.layout} killed at random`, () => {
    let world: World;

    beforeAll(async () => {
      world = await World.start({ seed: process.env.CHAOS_SEED, oneProcess: layout.oneProcess });
    });
    afterAll(() => world.close());

    it('keeps every fact exactly once, leaves nothing open, and its read models add up', async () => {
      const terminals = await world.registerChain(STORES, TERMINALS_PER_STORE);
      await world.sim('PUT', '/chaos', CHAOS);
      // Dintero's clock 10 s before midnight in the first store's zone (UTC+14): the run's captures and refunds
      // fall on both sides of it in Dintero's time, while the engine hears of them on another day altogether.
      // Dated by the receipt time, every one of them would count on the wrong store-day.
      const midnight = latestLocalMidnight('Pacific/Kiritimati', Date.now()) + 24 * 3_600_000;
      await world.sim('PUT', '/clock', { offsetMs: midnight - 10_000 - Date.now() });

      // The killer: one of the victims every 2-6 s (an app takes 1-2 s to start), started again each time.
      let traffic = true;
      const killer = (async () => {
        for (let kill = 0; traffic; kill++) {
          const [least, most] = kill === 0 ? [2_000, 6_000] : layout.killPauseMs;
          await new Promise((resolve) => setTimeout(resolve, least + Math.random() * (most - least)));
          const victim = layout.victims[Math.floor(Math.random() * layout.victims.length)]!;
          // A restart that fails ends the run; said at once, since the POS traffic would only time out later.
          if (traffic)
            await world.kill(victim).catch((error: unknown) => {
              console.error(`restarting ${victim} failed`, error);
              throw error;
            });
        }
      })();
      const { accepted, known, counts } = await world.pay(terminals, layout.payments);
      const refunds = await world.refundRaces(terminals, accepted, REFUND_RACES);
      traffic = false;
      await killer;

      await world.sim('PUT', '/chaos', {});
      const mismatches = await world.account(terminals, accepted, known);
      const { leaks, lines } = world.logLeaks();
      const deliveries = await world.sim<{ duplicate: boolean; outcome: string }[]>('GET', '/deliveries');
      const truth = await world.sim<{ transactions: { captured: number }[] }>('GET', '/ground-truth');
      console.log(
        `chaos run (${layout.layout}): ${JSON.stringify({
          payments: accepted.length,
          transactions: truth.transactions.length,
          captured: truth.transactions.filter((tx) => tx.captured > 0).length,
          unknownAtStart: counts.unknownAtStart,
          refundRaces: refunds,
          duplicatesAbsorbed: deliveries.filter((d) => d.duplicate).length,
          deliveriesDropped: deliveries.filter((d) => d.outcome === 'dropped').length,
          kills: world.kills,
          mismatches: mismatches.length,
          logLinesScanned: lines,
          logLeaks: leaks.length,
        })}`,
      );
      expect(mismatches).toEqual([]);
      // Two refunds of 60% each: never both (the log lets one take the amount), and each race ran.
      expect(refunds.races).toBeGreaterThan(0);
      expect(refunds.succeeded).toBeLessThanOrEqual(refunds.races);
      // Never both refunds of one race: more than was captured would go back.
      expect(refunds.bothTaken).toBe(0);
      expect(leaks.slice(0, 5)).toEqual([]);
      expect(layout.victims.reduce((kills, victim) => kills + (world.kills[victim] ?? 0), 0)).toBeGreaterThan(0);
    });
  });
}
