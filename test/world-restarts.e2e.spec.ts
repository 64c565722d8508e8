import { startNatsServer, type PrivateNats } from './support/nats-server';
import { World } from './support/world';

/**
 * Restarts of the world while POS traffic flows: the NATS server killed and back after a pause, the
 * command service (the process appending a payment's first facts to the SQLite log) killed mid-run, and
 * Dintero's API down (every call 503) for WORLD_DINTERO_DOWN_MS (5 s here; `npm run test:chaos`: a
 * minute). The engine must recover by itself: the same account as the chaos run, nothing lost. On a
 * NATS server of the test's own, so that restarting it disturbs no other test.
 */
const PAYMENTS = Number(process.env.WORLD_PAYMENTS ?? 120);
const DINTERO_DOWN_MS = Number(process.env.WORLD_DINTERO_DOWN_MS ?? 5_000);

jest.setTimeout(10 * 60_000);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('restarts of the world: NATS, the log’s writer, Dintero', () => {
  let nats: PrivateNats;
  let world: World;

  beforeAll(async () => {
    nats = await startNatsServer();
    world = await World.start({ natsUrl: nats.url });
  });
  afterAll(async () => {
    await world?.close();
    await nats?.stop();
  });

  it('recovers from each by itself and loses nothing', async () => {
    const terminals = await world.registerChain(2, 4);
    let faulting = true;
    const traffic = world.pay(terminals, PAYMENTS, () => faulting);

    await pause(2_000);
    await nats.restart(1_500);
    await pause(2_000);
    await world.kill('command');
    await pause(2_000);
    await world.sim('PUT', '/chaos', { api5xxRate: 1 });
    await pause(DINTERO_DOWN_MS);
    await world.sim('PUT', '/chaos', {});
    await pause(2_000);
    faulting = false;

    const { accepted, known, counts } = await traffic;
    // Every started payment is known to the POS that started it: the POS retried with the same key only.
    const mismatches = await world.account(terminals, accepted, known);
    console.log(
      `restarts of the world: ${JSON.stringify({
        payments: accepted.length,
        unknownAtStart: counts.unknownAtStart,
        posRetries: counts.retried,
        dinteroDownMs: DINTERO_DOWN_MS,
        kills: world.kills,
        mismatches: mismatches.length,
      })}`,
    );
    expect(mismatches).toEqual([]);
    expect(world.kills.command).toBe(1);
  });
});
