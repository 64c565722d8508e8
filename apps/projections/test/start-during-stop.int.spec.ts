import { AnotherLogCheck } from '@app/platform';
import { waitUntil } from '../../../test/support/app-process';
import { logOutage } from '../../../test/support/log-outage';
import { ownLogAndNats } from '../../../test/support/own-log-and-nats';
import { projectionsApp } from '../../../test/support/projections';
import { startedApps } from '../../../test/support/started-app';
import { ProjectorLease } from '../src/projector/projector-lease';
import { ProjectorService } from '../src/projector/projector.service';

/**
 * A try of the projector's start that is still waiting out another log's engine on the prefix (its lease held) as the
 * app stops. In `apps/engine` the check it makes is the one the POS API and ingest wait for: once made, ingest's
 * workers start (the nightly close's switch written, NATS leases and checkpoints opened). Made by a try that ends
 * after the stop began, it started them as the engine stopped.
 */
describe('the projector stopped while its start waits out another log’s lease', () => {
  const apps = startedApps();
  const own = ownLogAndNats('projections-start-during-stop', () => apps.closeAll());

  it('does not make the check that no engine of another log runs on the prefix', async () => {
    const { log, nats, prefix } = own;
    // Another log's projector holds the lease, for longer than the test: the start waits for it to go
    // (`refuseEngineOfAnotherLog`) rather than refuse at once.
    const other = await ProjectorLease.open(nats, prefix, 60_000, undefined, 'another-log');
    expect(await other.acquire()).toBe(true);
    // The first try fails (the log's identity not read), so that the app listens and a later try, in the background,
    // is the one that meets the other log's lease.
    const outage = logOutage(log, ['readStream'], { calls: 1 });
    const check = new AnotherLogCheck();
    const { app } = await apps.listen(
      await projectionsApp(own.env, { eventStore: outage.store, nats, anotherLogCheck: check }),
    );
    expect(outage.failures).toBe(1);
    const service = app.get(ProjectorService);
    const state = service['state'];
    // The lease is opened right before the wait for another log's engine.
    await waitUntil(() => state.lease !== undefined, 10_000, 'a try of the start at the other log’s lease');
    expect(check.checked).toBe(false);

    const stopping = apps.stop(app);
    await waitUntil(() => state.stopped, 10_000, 'the projector stopping');
    // The other engine goes: the try under way, which the stop waits for, finds no other log's engine now.
    await other.release();
    await stopping;

    expect(check.checked).toBe(false);
    expect(state.loaded).toBe(false);
  }, 30_000);
});
