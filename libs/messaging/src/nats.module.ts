import { Inject, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { followReachability } from './nats-reachability';
import { refuseReplicasBeyondServer } from './nats-replicas';
import { settleWithin } from './stream-settle';
import { stopThisProcess } from './stop-this-process';

export const NATS_CONNECTION = Symbol('NATS_CONNECTION');

/**
 * NATS_URL as nats.js wants it: the servers without credentials, and the user and password of the first
 * that has them (`nats://engine:secret@nats:4222`), so that the password is never part of a server address
 * that gets logged. The credentials are everything between `//` and the last `@` before the host, as the
 * password a deployer gives nats-server as it is (a `/`, `+` or `=` of base64 included, which no URL parser
 * takes there); a `%XX` in them is decoded, for one written percent-encoded.
 */
export function natsServers(url: string): { servers: string[]; user?: string; pass?: string } {
  let user: string | undefined;
  let pass: string | undefined;
  const servers = url.split(',').map((server) => {
    const match = CREDENTIALS.exec(server.trim());
    if (!match) return server.trim();
    const [, scheme = '', userinfo = '', host = ''] = match;
    const colon = userinfo.indexOf(':');
    user ??= decoded(colon < 0 ? userinfo : userinfo.slice(0, colon));
    pass ??= colon < 0 ? '' : decoded(userinfo.slice(colon + 1));
    return `${scheme}${host}`.replace(/\/$/, '');
  });
  return { servers, ...(user === undefined ? {} : { user, pass }) };
}

/** `scheme://userinfo@host…`: the userinfo up to the last `@` (one in a password can only be the password's). */
const CREDENTIALS = /^([a-z][a-z0-9+.-]*:\/\/)(.*)@([^@]+)$/i;

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Connects with endless reconnects: a NATS restart is a pause, not a crash. Fails fast if NATS never answered,
 * and stops the process should the connection close for good (`stopOnNatsLoss`).
 */
export async function connectNats(
  url: string,
  name: string,
  /** What stops the process (a test's stand-in; `stopThisProcess` by default). */
  stop?: () => void,
): Promise<NatsConnection> {
  const { servers, user, pass } = natsServers(url);
  let connection: NatsConnection;
  try {
    connection = await connect({
      servers,
      ...(user === undefined ? {} : { user, pass }),
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: 5_000,
      // Every request (a KV put, a JetStream publish) would otherwise build two Error objects with stack
      // traces up front, in case it times out: a fifth of the projector's CPU in a catch-up.
      noAsyncTraces: true,
    });
  } catch (error) {
    throw new Error(
      `NATS at ${servers.join(',')} does not answer (${(error as Error).message}). Start nats-server -js, or set NATS_URL.`,
      { cause: error },
    );
  }
  stopOnNatsLoss(connection, stop);
  followReachability(connection);
  return connection;
}

/**
 * Stops the process, as SIGTERM does (cleanly), when its NATS connection closes for good on its own: nats.js
 * reconnects without end, but gives up once the server has refused its credentials twice in a row, and a closed
 * connection never comes back. Nothing else would notice (the ingest service goes on taking Dintero's deliveries
 * without NATS, its reconciler with no lease). Stopped, the process is started again by its supervisor (compose's
 * `restart`, Kubernetes), and a start finds NATS or says why not. A connection its owner closes or drains
 * closes without an error, and is left alone.
 */
export function stopOnNatsLoss(connection: Pick<NatsConnection, 'closed'>, stop: () => void = stopThisProcess): void {
  void connection.closed().then((error) => {
    if (!error) return;
    new Logger('NATS').error(
      { err: error },
      'the NATS connection closed for good: stopping, so that this process is started again',
    );
    process.exitCode = 1;
    stop();
  });
}

class NatsLifecycle implements OnApplicationShutdown {
  constructor(@Inject(NATS_CONNECTION) private readonly connection: NatsConnection) {}

  /** Drain, not close: what was published or is being answered is delivered first. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.connection.isClosed()) await this.connection.drain();
  }
}

/**
 * One connection per app, or, where several apps run in one process (`apps/engine`), the one connection they
 * share: its owner drains it once every app has stopped.
 */
@Module({})
export class NatsModule {
  /** `cluster`: NATS_REPLICAS (more than one on a server that is not clustered stops the start) and its waits. */
  static forRoot(url: string, name: string, shared?: NatsConnection, cluster: NatsClusterSettings = {}): DynamicModule {
    if (shared)
      return {
        module: NatsModule,
        global: true,
        providers: [{ provide: NATS_CONNECTION, useValue: shared }],
        exports: [NATS_CONNECTION],
      };
    return {
      module: NatsModule,
      global: true,
      providers: [{ provide: NATS_CONNECTION, useFactory: () => connectChecked(url, name, cluster) }, NatsLifecycle],
      exports: [NATS_CONNECTION],
    };
  }
}

/** How an app keeps its streams on a NATS cluster. */
export interface NatsClusterSettings {
  /** `NATS_REPLICAS`. */
  readonly replicas?: number | undefined;
  /** `NATS_SETTLE_TIMEOUT_SECONDS`: the longest wait on a stream whose peers change (`settleWithin`). */
  readonly settleTimeoutSeconds?: number | undefined;
}

/**
 * `connectNats`, refusing a replica count the server cannot keep (`refuseReplicasBeyondServer`) at once. Closed
 * then: the start stops with that message and no connection is left open.
 */
export async function connectChecked(
  url: string,
  name: string,
  { replicas, settleTimeoutSeconds }: NatsClusterSettings,
): Promise<NatsConnection> {
  const connection = await connectNats(url, name);
  if (settleTimeoutSeconds !== undefined) settleWithin(connection, settleTimeoutSeconds * 1_000);
  try {
    refuseReplicasBeyondServer(connection, replicas);
  } catch (error) {
    await connection.close();
    throw error;
  }
  return connection;
}

/** `GET /health` probe: a round trip to the server. */
export function natsProbe(connection: NatsConnection) {
  return {
    name: 'nats',
    check: async () => {
      if (connection.isClosed()) throw new Error('NATS connection is closed');
      await connection.flush();
    },
  };
}
