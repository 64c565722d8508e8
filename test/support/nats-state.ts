import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { natsNames } from '@app/messaging';
import { REBUILD_SUFFIX } from '../../apps/projections/src/rebuild/rebuild';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** A NATS prefix of this run's own: its subjects, buckets and stream meet no other run's. */
export function uniquePrefix(): string {
  return `t${Math.random().toString(36).slice(2, 12)}`;
}

/**
 * The prefix an app under test runs on: the one the test names, which is the test's to remove, or one of the app's
 * own, whose buckets `remove` removes.
 */
export function appPrefix(named: string | undefined): { readonly prefix: string; remove(): Promise<void> } {
  if (named !== undefined) return { prefix: named, remove: () => Promise.resolve() };
  const prefix = uniquePrefix();
  return { prefix, remove: () => removeNatsState(prefix) };
}

/** Removes this run's buckets and stream from the shared NATS server. */
export async function removeNatsState(prefix: string, natsUrl = NATS_URL): Promise<void> {
  const nats = await connect({ servers: natsUrl.split(',') });
  try {
    // A cluster's JetStream answers late while its servers elect a leader (the cluster tests end with one stopped,
    // and a loaded CI machine slows the election): its own wait, past the client's default, before the run fails.
    const jsm = await jetstreamManager(nats, { timeout: 30_000 });
    const names = natsNames(prefix);
    // A rebuild not yet adopted (a run that ended first) leaves its buckets, each rebuild's named by its own id.
    const rebuilt = Object.values(names.buckets).map((bucket) => `KV_${bucket}${REBUILD_SUFFIX}`);
    const left: string[] = [];
    for await (const name of jsm.streams.names()) if (rebuilt.some((stem) => name.startsWith(stem))) left.push(name);
    const streams = [
      names.events.stream,
      ...[...Object.values(names.buckets), `${prefix}_projections`].map((bucket) => `KV_${bucket}`),
      ...left,
      ...Object.values(names.objectStores).map((store) => `OBJ_${store}`),
    ];
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => false);
  } finally {
    await nats.close();
  }
}
