import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { PROJECTED_STREAMS } from '../apps/projections/src/projector/projector.service';
import { startApp, waitUntil, type RunningApp } from './support/app-process';
import { startEngine, type Engine } from './support/engine';
import { bucketContents, foldFromScratch, NATS_URL, removeNatsState, uniquePrefix } from './support/projections';

/**
 * Invariant 5: the projections process is killed (SIGKILL) at random moments while payments flow, and
 * restarted each time; at the end its KV documents equal a fold of the whole log from position 0.
 */
describe('projections killed at random points and restarted', () => {
  const prefix = uniquePrefix();
  let engine: Engine;
  let projections: RunningApp | undefined;

  beforeAll(async () => {
    engine = await startEngine();
  });
  afterAll(async () => {
    await projections?.stop();
    await engine.close();
    await removeNatsState(prefix);
  });

  /** Started until it is healthy: with faults on, it may die while catching up, before it answers. */
  const startProjections = async (faultRate = '0.15'): Promise<RunningApp> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await startOnce(faultRate);
      } catch (error) {
        if (attempt >= 20) throw error;
      }
    }
  };
  const startOnce = (faultRate: string) =>
    startApp('projections', {
      EVENT_STORE_URL: `sqlite:${engine.eventStoreFile}`,
      NATS_URL,
      NATS_PREFIX: prefix,
      // Small batches, and once caught up the process also kills itself inside flushes: after its KV writes,
      // after the change subjects, after the feed (each before the checkpoint).
      PROJECTIONS_BATCH_SIZE: '7',
      PROJECTIONS_FAULT_RATE: faultRate,
      // A killed instance leaves its lease behind: the next one writes once it lapses.
      PROJECTOR_LEASE_SECONDS: '1',
    });

  it('ends with the same documents as a rebuild from position 0', async () => {
    const terminals = ['K-1', 'K-2', 'K-3', 'K-4', 'K-5', 'K-6'];
    await engine.terminals('oslo', ...terminals.slice(0, 3));
    await engine.terminals('bergen', ...terminals.slice(3));
    projections = await startProjections();
    const amounts = [10_000, 10_001, 10_005, 10_010, 10_020, 10_003];
    let kills = 0;
    /** Kills by the process itself, inside a flush (PROJECTIONS_FAULT_RATE), rather than by this test. */
    let faultKills = 0;

    const traffic = (async () => {
      // Payments keep coming until the projector has been killed a few times.
      for (let round = 0; round < 6 || ((kills < 4 || faultKills < 1) && round < 200); round++) {
        await Promise.all(
          terminals.map(async (terminalId, index) => {
            const storeId = index < 3 ? 'oslo' : 'bergen';
            const { paymentId } = await engine.start(storeId, terminalId, amounts[(index + round) % amounts.length]!);
            await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
            await engine.waitForPayment(
              paymentId as string,
              (state) => !['none', 'requested', 'awaiting_card'].includes(state.status),
              'the outcome',
            );
          }),
        );
        await engine.sim.control('POST', '/idle');
        // Wait for the terminals' release too, so that the next round finds them free.
        await waitUntil(
          async () =>
            (
              await Promise.all(terminals.map(async (t) => (await engine.log.readStream(`terminal-${t}`)).at(-1)?.type))
            ).every((type) => type === 'TerminalReleased'),
          20_000,
          'every terminal released',
        );
      }
    })();
    const killer = (async () => {
      let done = false;
      void traffic.finally(() => (done = true));
      while (!done) {
        const running = projections.process;
        // It may have killed itself already (a fault point): `exited` resolves then too.
        const { exited } = projections;
        const wait = new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(Math.random() * 400)));
        await Promise.race([exited, wait]);
        if (running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
        await exited;
        kills += 1;
        if (projections.output().includes('fault point: killed')) faultKills += 1;
        projections = await startProjections();
      }
    })();
    await traffic;
    await killer;
    expect(kills).toBeGreaterThanOrEqual(3);
    // The fault points inside flushes did fire: the documents, change subjects and feed were cut mid-flush.
    expect(faultKills).toBeGreaterThanOrEqual(1);
    // The last restart without faults, to catch up to the end.
    projections.process.kill('SIGKILL');
    await projections.exited;
    projections = await startProjections('0');

    const scratch = await foldFromScratch(engine.log);
    const projected = await engine.log.readAll({ limit: 10_000, streamPrefixes: PROJECTED_STREAMS });
    const last = projected.at(-1)!.position;
    await waitUntil(async () => (await checkpointOf(prefix)) >= last, 20_000, 'the projector caught up');

    const [stores, terminalDocs, days] = await Promise.all([
      bucketContents(prefix, 'stores'),
      bucketContents(prefix, 'terminals'),
      bucketContents(prefix, 'storeDays'),
    ]);
    for (const storeId of ['oslo', 'bergen']) expect(stores[storeId]).toEqual(scratch.store(storeId));
    for (const [index, terminalId] of terminals.entries()) {
      const storeId = index < 3 ? 'oslo' : 'bergen';
      expect(terminalDocs[`${storeId}.${terminalId}`]).toEqual(scratch.terminal(storeId, terminalId));
    }
    expect(Object.keys(days).length).toBeGreaterThan(0);
    // Every day the fold from scratch has, in KV: a day never written is a missing total, not only a wrong one.
    const scratchDays = scratch
      .documents()
      .filter((change) => change.model === 'store-day')
      .map((change) => change.key);
    expect(Object.keys(days).sort()).toEqual(scratchDays.sort());
    for (const [key, doc] of Object.entries(days)) {
      const [storeId, date] = key.split('.') as [string, string];
      expect(doc).toEqual(scratch.storeDay(storeId, date));
    }
  });
});

async function checkpointOf(prefix: string): Promise<bigint> {
  const nats = await connect({ servers: NATS_URL });
  try {
    const entry = await (await new Kvm(nats).open(`${prefix}_projections`)).get('checkpoint');
    // `{ position, logId }`: the position, and the identity of the log it is a position in.
    return entry ? BigInt(entry.json<{ position: string }>().position) : 0n;
  } finally {
    await nats.close();
  }
}
