import type { NatsConnection } from '@nats-io/transport-node';

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
