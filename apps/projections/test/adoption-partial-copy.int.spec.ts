import { Kvm } from '@nats-io/kv';
import { errors, type Subscription } from '@nats-io/transport-node';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bucketKeys, natsNames } from '@app/messaging';
import { waitUntil } from '../../../test/support/app-process';
import { loggedLines } from '../../../test/support/logged-lines';
import { ownLogAndNats } from '../../../test/support/own-log-and-nats';
import { bucketContents, foldFromScratch, startProjections } from '../../../test/support/projections';
import { registerLongAgo } from '../../../test/support/registered-long-ago';
import { ProjectorService } from '../src/projector/projector.service';
import type { Change } from '../src/read-models/read-model.types';
import { rebuildReadModels } from '../src/rebuild/rebuild';

/**
 * A rebuild's adoption that NATS fails partway through its copy (the stores copied over the live ones, the terminals
 * not): the writer follows the log again from its checkpoint, and the adoption is tried again after a pause. The
 * retry must leave no document of the live generation beside the rebuilt ones, move the checkpoint to the rebuild's
 * position, withdraw the offer, and no change subject may go back in `position` (the rebuild is at the live head).
 */
describe('a rebuild adopted again after a copy NATS failed partway', () => {
  let app: NestFastifyApplication | undefined;
  let changes: Subscription | undefined;
  const own = ownLogAndNats('adoption-partial-copy', () => {
    changes?.unsubscribe();
    return app?.close();
  });
  const { prefix } = own;
  const names = natsNames(prefix);

  /** Every document of the live stores and terminals marked as a generation the rebuild does not write. */
  const markLiveGeneration = async () => {
    const kvm = new Kvm(own.nats);
    for (const bucket of [names.buckets.stores, names.buckets.terminals]) {
      const kv = await kvm.open(bucket);
      for (const key of await bucketKeys(kv)) {
        const entry = await kv.get(key);
        if (entry?.operation === 'PUT')
          await kv.put(key, JSON.stringify({ ...entry.json<object>(), generation: 'live' }));
      }
    }
  };

  it('leaves only the rebuilt documents, at the rebuild position, with no change going back', async () => {
    const { log, nats } = own;
    await registerLongAgo(log, 'copy-a', ['CA-1', 'CA-2']);
    await registerLongAgo(log, 'copy-b', ['CB-1']);
    const head = await log.headPosition();
    app = await startProjections({ ...own.env, HTTP_RATE_LIMIT_PER_MINUTE: '0' }, { eventStore: log });
    const projector = app.get(ProjectorService);
    await waitUntil(
      () => projector['state'].leader && projector.checkpoint >= head,
      15_000,
      'the projector leading, at the head',
    );
    await markLiveGeneration();

    // Every change published from here on, by subject: the copy's, the retry's.
    const seen = new Map<string, bigint[]>();
    changes = nats.subscribe(`${prefix}.v1.>`, {
      callback: (_error, msg) => {
        if (msg.subject.startsWith(`${prefix}.v1.query.`) || msg.data.length === 0) return;
        const { position } = msg.json<{ position: string }>();
        seen.set(msg.subject, [...(seen.get(msg.subject) ?? []), BigInt(position)]);
      },
    });
    await nats.flush();

    // The copy's first write (the stores) goes through; its second (the terminals) fails as NATS timing out does.
    const buckets = projector['state'].buckets as unknown as { putOver(changes: readonly Change[]): Promise<void> };
    const putOver = buckets.putOver.bind(buckets);
    let writes = 0;
    jest.spyOn(buckets, 'putOver').mockImplementation(async (written) => {
      writes += 1;
      if (writes === 2) throw new errors.TimeoutError();
      await putOver(written);
    });
    const warnings = loggedLines('warn');
    const errorsLogged = loggedLines('error');

    await rebuildReadModels(log, nats, prefix);
    const state = await new Kvm(nats).open(`${prefix}_projections`);
    await waitUntil(async () => (await state.get('rebuild'))?.operation !== 'PUT', 15_000, 'the rebuild adopted');
    expect(writes).toBeGreaterThanOrEqual(3);
    const retried = warnings.filter(
      ({ msg }) => msg === 'could not adopt the rebuild (the log or NATS did not answer): trying again',
    );
    expect(retried).toHaveLength(1);
    expect(retried[0]!.fields.err).toBeInstanceOf(errors.TimeoutError);
    expect(errorsLogged.filter(({ msg }) => msg === 'could not adopt the rebuild')).toEqual([]);
    jest.restoreAllMocks();

    // Only the rebuilt generation, equal to a fold of the whole log, and the checkpoint at the rebuild's position.
    const expected = await foldFromScratch(log);
    expect(await bucketContents(prefix, 'stores')).toEqual(
      Object.fromEntries(expected.allStores().map((store) => [store.storeId, store])),
    );
    const terminals = await bucketContents(prefix, 'terminals');
    expect(Object.keys(terminals).sort()).toEqual(['copy-a.CA-1', 'copy-a.CA-2', 'copy-b.CB-1']);
    expect(Object.values(terminals).filter((doc) => 'generation' in (doc as object))).toEqual([]);
    await waitUntil(() => projector.checkpoint >= head, 10_000, 'the checkpoint at the rebuild');
    expect(projector.checkpoint).toBe(head);
    expect(app.get(ProjectorService)['state'].adoptions).toBe(1);

    // On each change subject, positions only go forward (the rebuild is at the live head: nothing to go back to).
    await nats.flush();
    expect(seen.size).toBeGreaterThanOrEqual(5);
    for (const [subject, positions] of seen)
      expect({ subject, positions }).toEqual({
        subject,
        positions: [...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      });
  }, 60_000);
});
