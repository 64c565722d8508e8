import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { handleCommand, SqliteEventStore } from '@app/event-store';
import {
  NIGHTLY_CLOSE_SWITCH_STREAM,
  nightlyCloseSwitchDecider,
  type NightlyCloseSwitchedData,
} from '@app/payment-domain';
import { AnotherLogCheck, createHttpApp, loadConfig } from '@app/platform';
import { waitUntil } from '../../../test/support/app-process';
import { logOutage } from '../../../test/support/log-outage';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/nats-state';
import { startedApps } from '../../../test/support/started-app';
import { INGEST_HTTP_APP } from '../src/ingest-http-app';
import { IngestServiceConfig } from '../src/ingest-service.config';
import { IngestServiceModule } from '../src/ingest-service.module';

/**
 * An instance started with the nightly close off (the reconcilers on) records the switch once the check of another
 * log's engine is made, through `StartRetries.startOnceChecked`. The switch's one append failing then (the log just
 * back, a KurrentDB leader election) must be tried again: lost, the stream still says "on" from an earlier run, the
 * next start with it on records nothing (the decider sees no change), and every terminal day of the weeks it was off
 * looks like a day the nightly close was in service and missed (`missedCloses`): given up, found late.
 */
describe('the nightly close switched off when the log fails the switch’s append', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nightly-close-off-switch-'));
  const file = path.join(dir, 'events.db');
  const prefix = uniquePrefix();
  let log: SqliteEventStore;
  const apps = startedApps();

  beforeAll(() => {
    log = new SqliteEventStore({ file });
  });
  afterAll(async () => {
    await apps.closeAll();
    await log.close();
    await removeNatsState(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('records the switch off once the log takes it', async () => {
    // An earlier run had it on.
    await handleCommand(
      log,
      NIGHTLY_CLOSE_SWITCH_STREAM,
      nightlyCloseSwitchDecider,
      {
        type: 'SwitchNightlyClose',
        data: { enabled: true, at: new Date(Date.now() - 86_400_000).toISOString() },
      },
      { metadata: { correlationId: 'nightly-close-off-switch' } },
    );
    // The log fails the switch's first append, and answers from then on.
    const outage = logOutage(log, ['append'], {
      calls: 1,
      only: (stream) => stream === NIGHTLY_CLOSE_SWITCH_STREAM,
    });
    const config = loadConfig(IngestServiceConfig, {
      LOG_LEVEL: 'silent',
      EVENT_STORE_URL: `sqlite:${file}`,
      INGEST_PUBLIC_URL: 'http://127.0.0.1:1',
      NATS_URL,
      NATS_PREFIX: prefix,
      DINTERO_API_URL: 'http://127.0.0.1:1',
      DINTERO_CHECKOUT_URL: 'http://127.0.0.1:1',
      NIGHTLY_CLOSE_ENABLED: 'false',
    });
    const check = new AnotherLogCheck();
    const app = await createHttpApp(
      IngestServiceModule.forRoot(config, { eventStore: outage.store, anotherLogCheck: check }),
      config,
      INGEST_HTTP_APP,
    );
    await apps.listen(app);
    check.pass();

    const switches = async () =>
      (await log.readStream(NIGHTLY_CLOSE_SWITCH_STREAM)).map(({ data }) => (data as NightlyCloseSwitchedData).enabled);
    await waitUntil(async () => outage.failures === 1, 5_000, 'the switch’s first append failed');
    // StartRetries tries a failed start again after FIRST_START_RETRY_MS (500 ms), then doubles the pause.
    await waitUntil(async () => (await switches()).at(-1) === false, 10_000, 'the switch off recorded');
    expect(await switches()).toEqual([true, false]);
    await apps.stop(app);
  }, 30_000);
});
