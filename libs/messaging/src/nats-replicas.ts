import { TimeoutError, type NatsConnection } from '@nats-io/transport-node';
import {
  JetStreamApiError,
  jetstreamManager,
  type ClusterInfo,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm, type KV, type KvOptions } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';

// Every bucket, object store and stream the engine makes is kept on `replicas` servers of the NATS cluster
// (`NATS_REPLICAS`), so that losing one server loses no read model, lease or checkpoint and stops nothing.
// `kvm.create` and `objm.create` leave a store that exists as it is, its replica count too: each is brought to
// the count after (`keepReplicas`), for one made by an engine from before the setting, or while it was lower.
// Where no count is given (a test's own bucket), a new store has one replica and one that exists keeps its count:
// a caller that forgot the setting can then never take replicas away.

/** JetStream keeps a stream on at most five servers. */
export const NATS_REPLICAS_MAX = 5;

/** JetStream's "replicas > 1 not supported in non-clustered mode" (`JSStreamReplicasNotSupportedErr`). */
const REPLICAS_NOT_SUPPORTED = 10074;
/** JetStream's "no suitable peers for placement" (`JSClusterNoPeersErr`): fewer servers than replicas asked for. */
const NO_PEERS_FOR_PLACEMENT = 10005;

/**
 * KV bucket `name`, made with `options` on `replicas` servers, or found and brought to that count. Instances
 * that start together may create it in the same moment, each with its own options: the server refuses all but
 * the first, and the others open the bucket it made.
 */
export async function replicatedBucket(
  nats: NatsConnection,
  name: string,
  options: Partial<KvOptions>,
  replicas: number | undefined,
): Promise<KV> {
  const kvm = new Kvm(nats);
  const kv = await untilAnswered(() =>
    said(kvm.create(name, { ...options, ...(replicas === undefined ? {} : { replicas }) }), replicas).catch(
      (error: unknown) => {
        if (!/already in use/i.test(String((error as Error | undefined)?.message))) throw error;
        return kvm.open(name);
      },
    ),
  );
  if (replicas !== undefined) await keepReplicas(nats, `KV_${name}`, replicas);
  return kv;
}

/** Object store `name` on `replicas` servers, made, or found and brought to that count. */
export async function replicatedObjectStore(
  nats: NatsConnection,
  name: string,
  replicas: number | undefined,
): Promise<ObjectStore> {
  const objm = new Objm(nats);
  const store = await untilAnswered(() =>
    said(objm.create(name, replicas === undefined ? {} : { replicas }), replicas),
  );
  if (replicas !== undefined) await keepReplicas(nats, `OBJ_${name}`, replicas);
  return store;
}

/** What a stream made by `jsm.streams.add` is given; one that exists is brought to it by `keepReplicas`. */
export function streamReplicas(replicas: number): Pick<StreamConfig, 'num_replicas'> {
  return { num_replicas: replicas };
}

/**
 * Brings stream `stream` to `replicas` when it has another count: a stream update, which nats-server (2.9 and
 * later, clustered) carries out by adding or removing peers, the stream's messages copied to the new ones.
 */
export async function keepReplicas(nats: NatsConnection, stream: string, replicas: number): Promise<void> {
  const jsm = await jetstreamManager(nats);
  await untilAnswered(() => bringTo(jsm, stream, replicas));
}

async function bringTo(jsm: JetStreamManager, stream: string, replicas: number): Promise<void> {
  const info = await jsm.streams.info(stream);
  if (info.config.num_replicas === replicas) {
    // Another instance starting beside this one may have just changed the count: until its peers settle, the
    // stream has no leader and this instance's next update (a bucket's age) would go unanswered.
    if (replicas > 1 && info.cluster !== undefined && !isSettled(info.cluster, replicas))
      await settled(jsm, stream, replicas);
    return;
  }
  // A server that is not clustered (its streams have no `cluster`) takes an update to more replicas without a
  // word, says it has them, and keeps one copy.
  if (replicas > 1 && info.cluster === undefined) throw unclustered(replicas);
  await said(jsm.streams.update(stream, streamReplicas(replicas)), replicas);
  await settled(jsm, stream, replicas);
}

/** How long a stream's new peers are given to catch up before the maker goes on regardless. */
const SETTLE_MS = 30_000;

/**
 * Until the stream has a leader and its other peers are current: nats-server 2.9 answers no further update of a
 * stream while its peers change (the maker's next one, of a bucket's age say, timed out after 5 s). One that takes
 * longer (a large stream copied to its new peers) is left to finish: the stream serves meanwhile.
 */
async function settled(jsm: JetStreamManager, stream: string, replicas: number): Promise<void> {
  const deadline = Date.now() + SETTLE_MS;
  while (Date.now() < deadline) {
    const cluster = await jsm.streams.info(stream).then(
      (info) => info.cluster,
      () => undefined,
    );
    if (cluster && isSettled(cluster, replicas)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Stops a start with `replicas` more than one on a NATS server that is not clustered (its INFO names no cluster),
 * before anything is made: an app makes some of its buckets late (the command service's payment index at its
 * first lookup) or only warns when one fails (ingest's leases), and would otherwise run on as if all were well.
 */
export function refuseReplicasBeyondServer(nats: Pick<NatsConnection, 'info'>, replicas: number | undefined): void {
  if (replicas !== undefined && replicas > 1 && !nats.info?.cluster) throw unclustered(replicas);
}

/**
 * `attempt` again while the server does not answer it, for at most `SETTLE_MS`: instances starting together make
 * and raise the same streams, and while one's peers change (a stream just made or raised on three servers) the
 * server answers none of their requests about it, each of which times out after 5 s. Each attempt is one that
 * may be made twice (make or open, bring to the count).
 */
async function untilAnswered<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof TimeoutError) || Date.now() >= deadline) throw error;
    }
  }
}

/** Whether the stream has a leader and its other peers are current. */
function isSettled(cluster: ClusterInfo, replicas: number): boolean {
  const current = cluster.replicas?.filter((peer) => peer.current && !peer.offline).length ?? 0;
  return Boolean(cluster.leader) && current >= replicas - 1;
}

/** `making`, with the refusal of a server that is not clustered said in terms of the setting. */
function said<T>(making: Promise<T>, replicas: number | undefined): Promise<T> {
  return making.catch((error: unknown) => {
    if (replicas !== undefined && error instanceof JetStreamApiError && error.code === REPLICAS_NOT_SUPPORTED)
      throw unclustered(replicas, error);
    if (replicas !== undefined && error instanceof JetStreamApiError && error.code === NO_PEERS_FOR_PLACEMENT)
      throw tooFewServers(replicas, error);
    throw error;
  });
}

function tooFewServers(replicas: number, cause: JetStreamApiError): Error {
  return new Error(
    `NATS_REPLICAS=${replicas}, but the NATS cluster has fewer servers that can keep a copy (${cause.message}): ` +
      'set NATS_REPLICAS to at most the number of its servers with JetStream',
    { cause },
  );
}

function unclustered(replicas: number, cause?: unknown): Error {
  return new Error(
    `NATS_REPLICAS=${replicas}, but the NATS server is not part of a JetStream cluster and keeps one copy of ` +
      'each stream: set NATS_REPLICAS=1, or connect to a cluster of at least as many servers',
    { cause },
  );
}
