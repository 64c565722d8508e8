import type { EventStore } from '@app/event-store';
import type { OperationRequestedData } from '@app/payment-domain';
import { loadConfig } from '@app/platform';
import { NATS_URL } from '../../../../test/support/nats-state';
import { registerLongAgo } from '../../../../test/support/registered-long-ago';
import type { RunningSimulator } from '../../../../test/support/simulator';
import { IngestServiceConfig } from '../../src/ingest-service.config';

/**
 * The variables that put ingest's background workers on and quick (the nightly close, the reconcilers, the
 * operations' polls), Dintero being at `dinteroUrl`: for ingest alone (`workersAtWorkConfig`) and for `apps/engine`.
 */
export function workersAtWorkEnv(dinteroUrl: string): Record<string, string> {
  return {
    INGEST_PUBLIC_URL: 'http://127.0.0.1:1',
    DINTERO_API_URL: dinteroUrl,
    DINTERO_CHECKOUT_URL: dinteroUrl,
    RECONCILER_INTERVAL_MS: '100',
    RECONCILER_GRACE_SECONDS: '0',
    RECONCILER_ORPHAN_CLAIM_SECONDS: '1',
    NIGHTLY_CLOSE_ENABLED: 'true',
    NIGHTLY_CLOSE_CHECK_MS: '200',
    NIGHTLY_CLOSE_SPREAD_SECONDS: '0',
    OPERATION_POLL_SECONDS: '1',
  };
}

/**
 * Ingest's configuration with its background workers on and quick (`workersAtWorkEnv`), on the SQLite log `file`
 * and NATS prefix `prefix`, Dintero being `sim`.
 */
export function workersAtWorkConfig(
  sim: RunningSimulator,
  file: string,
  prefix: string,
  env: Record<string, string> = {},
): IngestServiceConfig {
  return loadConfig(IngestServiceConfig, {
    LOG_LEVEL: 'silent',
    EVENT_STORE_URL: `sqlite:${file}`,
    HTTP_RATE_LIMIT_PER_MINUTE: '0',
    NATS_URL,
    NATS_PREFIX: prefix,
    ...workersAtWorkEnv(sim.url),
    ...env,
  });
}

/** A store registered days ago, in the log and at Dintero: its terminal's close of the day due falls due at once. */
export async function storeDueAtOnce(
  log: EventStore,
  sim: RunningSimulator,
  storeId: string,
  terminalId: string,
): Promise<void> {
  await registerLongAgo(log, storeId, [terminalId]);
  await sim.control('POST', '/seed', {
    payoutDestinations: ['seller-1'],
    stores: [{ id: storeId, payout_destination_id: 'seller-1' }],
    terminals: [{ terminal_id: terminalId, store_id: storeId }],
  });
}

/** Whether the nightly close requested the terminal's close of `day`. */
export async function nightlyCloseRequested(log: EventStore, terminalId: string, day: string): Promise<boolean> {
  return (await log.readAll({ limit: 10_000 })).some((event) => {
    if (event.type !== 'OperationRequested') return false;
    const data = event.data as OperationRequestedData;
    return data.terminalId === terminalId && data.businessDay === day && data.requestedBy === 'nightly-close';
  });
}
