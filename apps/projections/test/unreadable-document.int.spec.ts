import { isDeepStrictEqual } from 'node:util';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kvm } from '@nats-io/kv';
import { natsNames } from '@app/messaging';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { bucketContents, foldFromScratch, startProjections } from '../../../test/support/projections';
import { ProjectorService } from '../src/projector/projector.service';

/** A payment at the terminal, presented, until it has an outcome; the simulator left idle. */
async function pay(engine: Engine, storeId: string, terminalId: string, amount: number): Promise<void> {
  const { paymentId } = await engine.start(storeId, terminalId, amount);
  await engine.sim.control('POST', `/terminals/${terminalId}/present`, {});
  await engine.waitForPayment(paymentId as string, (s) => !['requested', 'awaiting_card'].includes(s.status), 'paid');
  await engine.sim.control('POST', '/idle');
}

describe('projections: a read-model document in KV that cannot be read', () => {
  let engine: Engine;
  let projections: NestFastifyApplication | undefined;

  beforeAll(async () => {
    engine = await startEngine({ projections: true });
    await engine.terminals('molde', 'M-1', 'M-2');
  });
  afterAll(async () => {
    await projections?.close();
    await engine.close();
  });

  /** The three read models in KV, and as a fold of the whole log gives them for these keys. */
  const inKv = async () => ({
    stores: await bucketContents(engine.prefix, 'stores'),
    terminals: await bucketContents(engine.prefix, 'terminals'),
    storeDays: await bucketContents(engine.prefix, 'storeDays'),
  });
  const folded = async (day: string) => {
    const scratch = await foldFromScratch(engine.log);
    return {
      stores: { molde: scratch.store('molde') },
      terminals: { 'molde.M-1': scratch.terminal('molde', 'M-1'), 'molde.M-2': scratch.terminal('molde', 'M-2') },
      storeDays: { [day]: scratch.storeDay('molde', day.slice('molde.'.length)) },
    };
  };
  // As KV gives them back (a store day's terminals are a prototype-less object in the fold).
  const sameAsFold = async (day: string) =>
    isDeepStrictEqual(await inKv(), JSON.parse(JSON.stringify(await folded(day))) as unknown);

  it('is left out at start, and a rebuild the projector starts writes it again: the day does not count from 0', async () => {
    await pay(engine, 'molde', 'M-1', 10_000);
    await pay(engine, 'molde', 'M-2', 20_000);
    const first = engine.projections!.get(ProjectorService);
    await waitUntil(async () => first.checkpoint >= (await engine.log.headPosition()) - 5n, 10_000, 'caught up');
    await engine.projections!.close();

    // A bug, or a person, wrote over three documents while no projector ran: one not JSON, two with no position.
    const names = natsNames(engine.prefix).buckets;
    const kvm = new Kvm(engine.nats);
    const [day] = Object.keys(await bucketContents(engine.prefix, 'storeDays'));
    expect(day).toMatch(/^molde\./);
    await (await kvm.open(names.stores)).put('molde', 'not json {');
    await (await kvm.open(names.terminals)).put('molde.M-1', JSON.stringify({ storeId: 'molde', terminalId: 'M-1' }));
    await (await kvm.open(names.storeDays)).put(day!, JSON.stringify({ storeId: 'molde', totals: {} }));

    // It starts (it did not, with a document that is not JSON), and folds on while its rebuild runs.
    projections = await startProjections({
      EVENT_STORE_URL: `sqlite:${engine.eventStoreFile}`,
      NATS_PREFIX: engine.prefix,
    });
    await pay(engine, 'molde', 'M-2', 5_000);

    // Repaired: the documents equal a fold of the whole log, with the day's three payments, not the last one alone.
    const service = projections.get(ProjectorService);
    await waitUntil(() => sameAsFold(day!), 20_000, 'the rebuild adopted');
    const repaired = await folded(day!);
    expect(await inKv()).toEqual(repaired);
    expect(service.models.storeDay('molde', day!.slice('molde.'.length))).toEqual(repaired.storeDays[day!]);
    // The presented card is captured (the simulator's default): the day holds all three captures.
    expect(repaired.storeDays[day!]?.terminals).toEqual({
      'M-1': { currencies: { NOK: { capturedCount: 1, capturedAmount: 10_000, refundedAmount: 0 } } },
      'M-2': { currencies: { NOK: { capturedCount: 2, capturedAmount: 25_000, refundedAmount: 0 } } },
    });
  });

  it('is left out when it has a position but not the shape of its model, and repaired the same way', async () => {
    const [day] = Object.keys(await bucketContents(engine.prefix, 'storeDays'));
    await projections!.close();
    // Only this day, with a position but none of a day's totals: the next capture would fold onto nothing there.
    const days = await new Kvm(engine.nats).open(natsNames(engine.prefix).buckets.storeDays);
    await days.put(day!, JSON.stringify({ storeId: 'molde', date: day!.slice('molde.'.length), position: '9' }));

    projections = await startProjections({
      EVENT_STORE_URL: `sqlite:${engine.eventStoreFile}`,
      NATS_PREFIX: engine.prefix,
    });
    await pay(engine, 'molde', 'M-1', 1_000);
    await waitUntil(() => sameAsFold(day!), 20_000, 'the rebuild adopted');
    const repaired = await folded(day!);
    expect(repaired.storeDays[day!]?.terminals['M-1']).toEqual({
      currencies: { NOK: { capturedCount: 2, capturedAmount: 11_000, refundedAmount: 0 } },
    });
  });

  it('answers a query for a day whose document cannot be read 503, never as a day with nothing on it', async () => {
    const days = await new Kvm(engine.nats).open(natsNames(engine.prefix).buckets.storeDays);
    await days.put('molde.2020-03-01', 'not json {');
    const query = async (date: string) =>
      (
        await engine.nats.request(
          natsNames(engine.prefix).queries.storeDay,
          JSON.stringify({ storeId: 'molde', date }),
          {
            timeout: 5_000,
          },
        )
      ).json<{ status: number; body: Record<string, unknown> }>();
    expect(await query('2020-03-01')).toMatchObject({ status: 503, body: { code: 'READ_MODELS_NOT_READY' } });
    // A day with no document at all: its zeros.
    expect(await query('2020-03-02')).toMatchObject({ status: 200, body: { currencies: {}, position: '0' } });
  });
});
