import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { natsNames } from './nats-names';

/** Between an instance's name and its log's identity in the projector lease's value. */
const LOG_MARK = ' of log ';

/** The projector lease's value for an instance that projects the log `logId` (without one: the name alone). */
export const leaseHolder = (name: string, logId: string | undefined): string =>
  logId === undefined ? name : `${name}${LOG_MARK}${logId}`;

/** The key of the lease of the projector that writes the read models, in `{prefix}_projector_lease`. */
export const PROJECTOR_LEADER_KEY = 'leader';

/**
 * The holder of the lease `key` when it projects another log than `logId`; undefined when nobody holds it, for this
 * log's holder, or a holder of a version before logs were named in the lease.
 */
export async function leaseHeldForAnotherLog(kv: KV, key: string, logId: string): Promise<string | undefined> {
  const entry = await kv.get(key);
  if (entry?.operation !== 'PUT') return undefined;
  const holder = entry.string();
  const at = holder.lastIndexOf(LOG_MARK);
  return at >= 0 && holder.slice(at + LOG_MARK.length) !== logId ? holder : undefined;
}

/** A live projector of another event log holds the prefix's lease. */
export class EngineOfAnotherLogError extends Error {
  constructor(prefix: string, holder: string) {
    super(
      `NATS_PREFIX ${prefix} is in use by an engine of another event log (its projector ${holder} holds the ` +
        `lease): give this engine a NATS_PREFIX of its own, or stop the other one`,
    );
    this.name = 'EngineOfAnotherLogError';
  }
}

/**
 * Refuses to go on beside a live engine of another event log on the same NATS prefix (another `DATA_DIR`, or an
 * app pointed at another KurrentDB cluster, with the same `NATS_PREFIX`): the two would take each other's commands
 * and fold their read models over each other's. `heldForAnotherLog` names the projector lease's holder when it
 * projects another log. A holder that died holds the lease one lease more at most: waited for before refusing.
 */
export async function refuseEngineOfAnotherLog(
  prefix: string,
  leaseMs: number,
  heldForAnotherLog: () => Promise<string | undefined>,
): Promise<void> {
  const deadline = Date.now() + leaseMs + 1_000;
  for (;;) {
    const holder = await heldForAnotherLog();
    if (holder === undefined) return;
    if (Date.now() >= deadline) throw new EngineOfAnotherLogError(prefix, holder);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * `refuseEngineOfAnotherLog` for an app without a projector of its own (the command service, ingest, run apart):
 * the lease is read, never created. No bucket yet means no projector ever ran on the prefix: nothing to refuse.
 */
export async function refuseEngineOfAnotherLogByItsLease(
  nats: NatsConnection,
  prefix: string,
  logId: string,
): Promise<void> {
  const kv = await new Kvm(nats).open(natsNames(prefix).buckets.projectorLease);
  let leaseMs: number;
  try {
    leaseMs = (await kv.status()).ttl;
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return;
    throw error;
  }
  await refuseEngineOfAnotherLog(prefix, leaseMs, () => leaseHeldForAnotherLog(kv, PROJECTOR_LEADER_KEY, logId));
}
