import { Logger } from '@nestjs/common';
import { TimeoutError, type NatsConnection } from '@nats-io/transport-node';
import {
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type ClusterInfo,
  type JetStreamManager,
  type StreamInfo,
} from '@nats-io/jetstream';

// How long a start waits on a stream of the NATS cluster that is busy: its new peers copying its messages after a
// raise, or its peers changing under another instance's update (the server answers no request about the stream
// meanwhile). Bounded by NATS_SETTLE_TIMEOUT_SECONDS, given with the connection (`settleWithin`).

/** NATS_SETTLE_TIMEOUT_SECONDS's default: a stream of a few hundred MiB copied to two new peers, with room. */
export const DEFAULT_SETTLE_MS = 120_000;

/** How long JetStream is given to say it is there at all, once a request about a stream went unanswered. */
const PROBE_MS = 2_000;
/** How often a wait on a stream's peers says what it waits for. */
const REPORT_EVERY_MS = 10_000;
/** How long a stream's peers may take before a wait on them is said at all (a raise of a small one takes less). */
const QUIET_MS = 1_000;

const logger = new Logger('NATS');

/** Per connection: what its owner set (`NATS_SETTLE_TIMEOUT_SECONDS`); a connection with none waits the default. */
const settleLimits = new WeakMap<object, number>();

/** Every wait on a busy stream over `nats` lasts at most `ms` (`NATS_SETTLE_TIMEOUT_SECONDS`). */
export function settleWithin(nats: NatsConnection, ms: number): void {
  settleLimits.set(nats, ms);
}

export function settleLimitOf(nats: NatsConnection): number {
  return settleLimits.get(nats) ?? DEFAULT_SETTLE_MS;
}

/**
 * The errors a request about a stream may be made again after, within the caller's wait:
 * - `busy`: the request timed out while JetStream itself answers (its account info). Instances starting together make
 *   and raise the same streams, and while one's peers change the server answers none of their requests about it,
 *   each of which times out after 5 s. A NATS whose JetStream does not answer at all (no meta leader, a server that
 *   takes requests and answers none) fails the start at the first timeout, saying so, rather than after the whole
 *   settle time.
 * - `forming`: the cluster says the stream is not found. A stream another instance has just made (its create
 *   answered, or refused this one's as already in use) or is raising is, for a moment on a cluster, not found by the
 *   servers its group is still forming on. Seen in a test of four instances starting together: three of sixteen
 *   starts failed with "stream not found". A stream that stays unfound (deleted meanwhile) fails the start at the
 *   end of the wait, as the server said.
 */
export type TransientError = 'busy' | 'forming';

export interface AnswerWait {
  /** Which errors are asked again after; others fail at once. Default: `busy`. */
  readonly transient?: readonly TransientError[];
  /** How long the wait lasts, as the log says it: NATS_SETTLE_TIMEOUT_SECONDS unless given. */
  readonly limitMs?: number;
  /** When the wait ends, if it is part of a longer one that began earlier: `limitMs` from now unless given. */
  readonly until?: number;
}

/** How long a stream not found while its group forms is left before it is asked about again. */
const FORMING_PAUSE_MS = 100;

/**
 * `attempt` (a request about `what`) again while it fails with an error of `wait.transient` (`busy` unless given),
 * until the wait ends: each attempt is one that may be made twice (make or open, update to the same). Fails with
 * the last error once the wait has ended, or at once with an error that is not transient.
 */
export async function untilAnswered<T>(
  nats: NatsConnection,
  what: string,
  attempt: () => Promise<T>,
  wait: AnswerWait = {},
): Promise<T> {
  const limitMs = wait.limitMs ?? settleLimitOf(nats);
  const until = wait.until ?? Date.now() + limitMs;
  const transient = wait.transient ?? ['busy'];
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      await afterTransient(nats, what, error, { transient, limitMs, until });
    }
  }
}

/**
 * Returns, after a pause where one is due, when `error` (of a request about `what`) is of `transient` and the wait
 * has not ended: the request may be made again. Throws otherwise, saying which. For a caller whose next attempt is
 * not the same request (`conformStream` works out its update again from the stream as it is then).
 */
export async function afterTransient(
  nats: NatsConnection,
  what: string,
  error: unknown,
  wait: Required<AnswerWait>,
): Promise<void> {
  const { transient, limitMs, until } = wait;
  if (transient.includes('forming') && streamNotFound(error)) {
    if (Date.now() >= until) throw error;
    logger.log({ stream: what }, `${what}: not found while the stream's group forms on the cluster, asking again`);
    await new Promise((resolve) => setTimeout(resolve, FORMING_PAUSE_MS));
    return;
  }
  if (!transient.includes('busy') || !(error instanceof TimeoutError)) throw error;
  if (!(await jetStreamAnswers(nats)))
    throw new Error(
      `NATS JetStream does not answer: ${what} timed out, and so did its account info. Check that the NATS ` +
        'servers run with JetStream and, on a cluster, that most of them are up (no JetStream leader without)',
      { cause: error },
    );
  if (Date.now() >= until)
    throw new Error(
      `NATS did not answer ${what} within ${limitMs / 1000} s (NATS_SETTLE_TIMEOUT_SECONDS), though JetStream ` +
        'answers: the stream is still changing its peers. Start again, or raise NATS_SETTLE_TIMEOUT_SECONDS',
      { cause: error },
    );
  logger.log({ stream: what }, `NATS did not answer ${what} (its peers are changing): asking again`);
}

function streamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}

async function jetStreamAnswers(nats: NatsConnection): Promise<boolean> {
  try {
    const jsm = await jetstreamManager(nats, { timeout: PROBE_MS, checkAPI: false });
    await jsm.getAccountInfo();
    return true;
  } catch {
    return false;
  }
}

/** Whether the stream has a leader and as many other current peers as its config keeps copies beside it. */
export function isSettled(info: Pick<StreamInfo, 'config' | 'cluster'>): boolean {
  const { cluster } = info;
  if (cluster === undefined) return true; // not clustered: one copy, no peers to wait for
  return Boolean(cluster.leader) && currentPeers(cluster) >= info.config.num_replicas - 1;
}

function currentPeers(cluster: ClusterInfo): number {
  return cluster.replicas?.filter((peer) => peer.current && !peer.offline).length ?? 0;
}

/** The stream's peers as a log line says them: which lag, which are away. */
function peersOf(cluster: ClusterInfo | undefined): string {
  if (!cluster) return 'no answer from the stream';
  const peers = (cluster.replicas ?? []).map(
    (peer) => `${peer.name} ${peer.offline ? 'offline' : peer.current ? 'current' : `${peer.lag} behind`}`,
  );
  return `leader ${cluster.leader ?? 'none yet'}${peers.length ? `, ${peers.join(', ')}` : ''}`;
}

/**
 * Until the stream has a leader and its other peers are current, as many as its config says as it is now (another
 * instance may change it meanwhile): nats-server 2.9 answers no further update of a stream while its peers change
 * (the next one, of a bucket's age, timed out after 5 s). Said in the log after a second, and every ten: which
 * stream, on how many servers, which peers lag. Past `limitMs` the start goes on, saying so: NATS goes on copying
 * and the stream serves meanwhile; a later update waits in `untilAnswered`. True when it settled. `until`: the end of
 * the caller's whole wait on the stream, of which this is a part (`limitMs` from its start, as the log says it).
 */
export async function settled(
  jsm: JetStreamManager,
  stream: string,
  limitMs: number,
  until = Date.now() + limitMs,
): Promise<boolean> {
  const started = Date.now();
  let said = 0;
  let last: StreamInfo | undefined;
  for (;;) {
    last = await jsm.streams.info(stream).catch(() => undefined);
    if (last && isSettled(last)) {
      if (said) logger.log({ stream }, `stream ${stream}'s peers caught up after ${Date.now() - started} ms`);
      return true;
    }
    const waited = Date.now() - started;
    const replicas = last?.config.num_replicas;
    if (Date.now() >= until) {
      logger.warn(
        { stream, replicas, peers: peersOf(last?.cluster) },
        `went on after ${limitMs / 1000} s (NATS_SETTLE_TIMEOUT_SECONDS) before stream ${stream}'s peers caught up ` +
          `(${peersOf(last?.cluster)}): NATS goes on copying its messages to them, and the stream serves meanwhile`,
      );
      return false;
    }
    if (waited >= QUIET_MS && (said === 0 || Date.now() - said >= REPORT_EVERY_MS)) {
      said = Date.now();
      logger.log(
        { stream, replicas, peers: peersOf(last?.cluster) },
        `waiting up to ${limitMs / 1000} s (NATS_SETTLE_TIMEOUT_SECONDS) for stream ${stream}'s peers to catch up` +
          ` on ${replicas ?? '?'} servers: ${peersOf(last?.cluster)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
