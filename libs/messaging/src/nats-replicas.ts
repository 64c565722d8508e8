import { Logger } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  JetStreamApiError,
  jetstreamManager,
  type StreamConfig,
  type StreamInfo,
  type StreamUpdateConfig,
} from '@nats-io/jetstream';
import { Kvm, type KV, type KvOptions } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { afterTransient, isSettled, settled, settleLimitOf, untilAnswered } from './stream-settle';

// Every bucket, object store and stream the engine makes is kept on `replicas` servers of the NATS cluster
// (`NATS_REPLICAS`), so that losing one server loses no read model, lease or checkpoint and stops nothing.
// `kvm.create` and `objm.create` leave a store that exists as it is, its replica count too: each is brought to
// the count after (`keepReplicas`), for one made by an engine from before the setting, or while it was lower;
// never lowered (`conformStream`).
// Where no count is given (a test's own bucket), a new store has one replica and one that exists keeps its count:
// a caller that forgot the setting can then never take replicas away.

/** JetStream keeps a stream on at most five servers. */
export const NATS_REPLICAS_MAX = 5;

/** JetStream's "replicas > 1 not supported in non-clustered mode" (`JSStreamReplicasNotSupportedErr`). */
const REPLICAS_NOT_SUPPORTED = 10074;
/** JetStream's "no suitable peers for placement" (`JSClusterNoPeersErr`): fewer servers than replicas asked for. */
const NO_PEERS_FOR_PLACEMENT = 10005;

const logger = new Logger('NATS');

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
  const kv = await untilAnswered(nats, `the bucket ${name}`, () =>
    said(kvm.create(name, { ...options, ...(replicas === undefined ? {} : { replicas }) }), replicas).catch(
      (error: unknown) => {
        // Made by another instance meanwhile: "stream name already in use" (another config), or, while that instance
        // raises its replicas on a cluster, "subjects overlap with an existing stream" (seen in a CI run: the bucket's
        // subjects, `$KV.<name>.>`, are its own stream's alone).
        if (!/already in use|subjects overlap/i.test(String((error as Error | undefined)?.message))) throw error;
        return untilAnswered(nats, `stream KV_${name}`, () => kvm.open(name), { transient: ['forming'] });
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
  const store = await untilAnswered(nats, `the object store ${name}`, () =>
    untilAnswered(
      nats,
      `stream OBJ_${name}`,
      () => said(objm.create(name, replicas === undefined ? {} : { replicas }), replicas),
      { transient: ['forming'] },
    ),
  );
  if (replicas !== undefined) await keepReplicas(nats, `OBJ_${name}`, replicas);
  return store;
}

/** What a stream made by `jsm.streams.add` is given; one that exists is brought to it by `keepReplicas`. */
export function streamReplicas(replicas: number): Pick<StreamConfig, 'num_replicas'> {
  return { num_replicas: replicas };
}

/** Brings stream `stream` to at least `replicas` copies (`conformStream`). */
export async function keepReplicas(nats: NatsConnection, stream: string, replicas: number): Promise<void> {
  await conformStream(nats, stream, { replicas });
}

/** What a start wants of a stream that exists. */
export interface StreamWants {
  /** `NATS_REPLICAS`: a stream kept on fewer servers is raised to it; one kept on more is left as it is. */
  readonly replicas?: number;
  /**
   * The changes the stream's config needs, given as it is now: none (an empty object) when it is as wanted. Asked
   * again after each update, so that it must say only what is still to change (an age to lengthen, bounds to set).
   */
  readonly settings?: (config: StreamConfig) => Partial<StreamUpdateConfig>;
}

/** Rounds of update and read back before a stream that never stays as wanted stops the start. */
const MAX_ROUNDS = 5;

/**
 * Brings stream `stream` to what `wants` asks, beside other instances doing the same to it at the same moment.
 *
 * A stream update sends the whole config: nats.js reads the stream and sends back what it read with the change
 * (`jsm.streams.update`), and JetStream has no update conditional on what was read. Another instance's update, read
 * before this one's landed and sent after it, puts the stream back as it was: its replicas, its age. So the stream is
 * read back once its peers settle, and updated again while it is not as wanted, for a few rounds.
 *
 * A count is only ever raised: apps with different NATS_REPLICAS on one cluster would otherwise take each other's
 * replicas away and back at every start, a copy of the stream made or dropped each time. A stream kept on more than
 * this app's count stays so, and the disagreement is logged.
 *
 * Its waits on the stream's peers end together at NATS_SETTLE_TIMEOUT_SECONDS from its start, not each at that
 * length: a raise waited out and then read back unsettled goes on at once, rather than waiting the setting again.
 */
export async function conformStream(nats: NatsConnection, stream: string, wants: StreamWants): Promise<StreamInfo> {
  const limitMs = settleLimitOf(nats);
  const jsm = await untilAnswered(nats, 'JetStream', () => jetstreamManager(nats), { limitMs });
  const { replicas } = wants;
  const deadline = Date.now() + limitMs;
  let disagreementSaid = false;
  for (let round = 1; ;) {
    const info = await untilAnswered(
      nats,
      `stream ${stream}`,
      () => untilAnswered(nats, `stream ${stream}'s info`, () => jsm.streams.info(stream), { limitMs }),
      { transient: ['forming'], limitMs, until: deadline },
    );
    const { config } = info;
    if (replicas !== undefined && config.num_replicas > replicas && !disagreementSaid) {
      disagreementSaid = true;
      logger.warn(
        { stream, replicas: config.num_replicas, natsReplicas: replicas },
        `stream ${stream} is kept on ${config.num_replicas} servers, more than this app's NATS_REPLICAS=` +
          `${replicas}: left on ${config.num_replicas} (a count is never lowered at start). Give every app the same ` +
          'NATS_REPLICAS; to lower it, edit the stream with the nats CLI',
      );
    }
    const raise = replicas !== undefined && config.num_replicas < replicas;
    const changes: Partial<StreamUpdateConfig> = {
      ...wants.settings?.(config),
      ...(raise ? streamReplicas(replicas) : {}),
    };
    if (Object.keys(changes).length === 0) {
      // As wanted; another instance may have just changed it, though: until its peers settle the stream has no
      // leader, and the caller's next request about it would go unanswered.
      // Past the deadline the start has waited its NATS_SETTLE_TIMEOUT_SECONDS (and said so): it goes on.
      if (isSettled(info) || Date.now() >= deadline || !(await settled(jsm, stream, limitMs, deadline))) return info;
      continue;
    }
    if (round > MAX_ROUNDS)
      throw new Error(
        `stream ${stream} did not stay as this app wants it after ${MAX_ROUNDS} updates (${JSON.stringify(changes)} ` +
          'still to change): another app changes it back each time. Give every app on this NATS the same settings ' +
          '(NATS_REPLICAS, and the version)',
      );
    // A server that is not clustered (its streams have no `cluster`) takes an update to more replicas without a
    // word, says it has them, and keeps one copy.
    if (raise && replicas > 1 && info.cluster === undefined) throw unclustered(replicas);
    try {
      await said(jsm.streams.update(stream, changes), replicas);
      round++;
    } catch (error) {
      // Unanswered while another instance's change settles: what to change is worked out again from the stream as
      // it is then, not sent as worked out now (a count of 2 sent after another instance raised it to 3 lowers it).
      await afterTransient(nats, `the update of stream ${stream}`, error, {
        transient: ['forming', 'busy'],
        limitMs,
        until: deadline,
      });
      continue;
    }
    // Read back once its peers settle (a raise: once the new ones hold its messages), and updated again if another
    // instance's update put it back meanwhile.
    await settled(jsm, stream, limitMs, deadline);
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
