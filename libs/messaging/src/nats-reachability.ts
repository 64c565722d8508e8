import { JetStreamApiError } from '@nats-io/jetstream';
import {
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  RequestError,
  TimeoutError,
  type NatsConnection,
} from '@nats-io/transport-node';

/** nats.js's errors of a NATS away or restarting. */
const NATS_AWAY = [
  TimeoutError,
  RequestError,
  ClosedConnectionError,
  DrainingConnectionError,
  ConnectionError,
  NoRespondersError,
];

/** Connections whose server is out of reach now: disconnected, and not yet reconnected. */
const away = new WeakSet<NatsConnection>();

/**
 * Follows a connection's status events, so that `natsAway` can tell without a round trip that its server is out of
 * reach. A write tried meanwhile waits for its request timeout (5 s) before it fails, which a stop need not sit
 * through for what is only worth writing while NATS answers (a lease given back, a checkpoint that the next save,
 * or a replay from the last one saved, covers). The events end when the connection closes.
 */
export function followReachability(connection: NatsConnection): void {
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') away.add(connection);
      else if (status.type === 'reconnect') away.delete(connection);
    }
  })();
}

/** Whether the connection's server is out of reach now (as its status events tell; `false` for one not followed). */
export function natsAway(connection: NatsConnection): boolean {
  return away.has(connection);
}

/**
 * Whether `error` says that NATS did not answer (a timeout, a connection closed or draining, no responders, JetStream
 * answering 503), which asking again later may mend. Any other error (a write refused, a revision conflict, a
 * permission, a bug) is not NATS being away: asked again, it fails again.
 */
export function natsDoesNotAnswer(error: unknown): boolean {
  return NATS_AWAY.some((kind) => error instanceof kind) || (error instanceof JetStreamApiError && error.code === 503);
}
