import { Kvm } from '@nats-io/kv';
import { errors as natsErrors } from '@nats-io/transport-node';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { logIdentity } from '@app/event-store';
import { natsNames } from '@app/messaging';
import { waitUntil } from '../../../test/support/app-process';
import { loggedLines } from '../../../test/support/logged-lines';
import { ownLogAndNats } from '../../../test/support/own-log-and-nats';
import { bucketContents, foldFromScratch, startProjections } from '../../../test/support/projections';
import { registerLongAgo } from '../../../test/support/registered-long-ago';
import { ProjectorLease } from '../src/projector/projector-lease';
import { ProjectorService } from '../src/projector/projector.service';
import { ReadModelBuckets } from '../src/projector/read-model.buckets';
import type { ReadModelProjector } from '../src/read-models/read-model.projector';

/**
 * A takeover that must fold again from KV first (another writer adopted a rebuild meanwhile) stops following the log,
 * reads KV's checkpoint and documents, and follows again from them. NATS failing that read left the instance holding
 * the lease with no follower: writing, as the lease's next turn took the adoption for counted, and folding nothing.
 */
describe('projections: a fold again from KV that NATS fails at a takeover', () => {
  let app: NestFastifyApplication | undefined;
  const own = ownLogAndNats('fold-again-failure', () => {
    jest.restoreAllMocks();
    return app?.close();
  });
  const { prefix } = own;

  it('follows the log again, and folds again at the next turn of the lease', async () => {
    const { log, nats } = own;
    await registerLongAgo(log, 'fa-a', ['FA-1']);
    const head = await log.headPosition();
    app = await startProjections(own.env);
    const service = app.get(ProjectorService);
    const state = service['state'];
    await waitUntil(() => state.leader && service.checkpoint >= head, 15_000, 'this instance writing, at the head');

    // Another instance takes the lease and adopts a rebuild (the adoptions counted in the checkpoint go up).
    const other = await ProjectorLease.open(nats, prefix, 5_000);
    await (await new Kvm(nats).open(natsNames(prefix).buckets.projectorLease)).delete('leader');
    await waitUntil(() => other.acquire(), 10_000, 'the lease taken by another instance');
    await waitUntil(() => !state.leader, 10_000, 'this instance standing by');
    const buckets = await ReadModelBuckets.open(nats, prefix);
    await buckets.replaceAll((await foldFromScratch(log)).documents());
    await buckets.resetCheckpoint(head, await logIdentity(log), 1);

    // Taking the lease back, this instance folds again from KV; NATS fails its first read of the documents.
    const fromKv = jest
      .spyOn(service as unknown as { projectorFromKv(): Promise<ReadModelProjector> }, 'projectorFromKv')
      .mockRejectedValueOnce(new natsErrors.TimeoutError());
    const warnings = loggedLines('warn');
    await other.release();
    await waitUntil(() => fromKv.mock.calls.length >= 2, 15_000, 'the fold again tried again');
    expect(
      warnings.filter(({ msg }) => msg === 'could not fold the read models again: tried again at the next turn'),
    ).toHaveLength(1);

    // Writing again, it follows the log: what is appended now reaches KV.
    await registerLongAgo(log, 'fa-b', ['FB-1']);
    const end = await log.headPosition();
    await waitUntil(
      () => state.leader && service.checkpoint >= end,
      15_000,
      'this instance writing, following the log',
    );
    const scratch = await foldFromScratch(log);
    expect(await bucketContents(prefix, 'stores')).toEqual(
      Object.fromEntries(scratch.allStores().map((store) => [store.storeId, store])),
    );
    expect(state.adoptions).toBe(1);
  }, 60_000);
});
