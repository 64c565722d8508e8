import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SqliteEventStore } from '@app/event-store';
import { NATS_URL, removeNatsState, uniquePrefix } from './nats-state';

/** A test file's own event log and NATS, for the apps its tests start on them. */
export interface OwnLogAndNats {
  /** A temporary folder: the log's file, and whatever else the tests write (operators, POS clients). */
  readonly dir: string;
  /** The SQLite log's file. */
  readonly file: string;
  /** A NATS prefix no other test uses. */
  readonly prefix: string;
  /** What puts an app on this log and prefix: `EVENT_STORE_URL`, `NATS_URL` and `NATS_PREFIX`. */
  readonly env: Readonly<Record<'EVENT_STORE_URL' | 'NATS_URL' | 'NATS_PREFIX', string>>;
  /** The log, open from before the tests until after them. */
  readonly log: SqliteEventStore;
  /** A NATS connection, open from before the tests until after them. */
  readonly nats: NatsConnection;
}

/**
 * A SQLite log in a temporary folder, a NATS connection and a NATS prefix, of the enclosing `describe`'s own. The
 * folder and the prefix are made at once, so that the `describe` may write files into the folder as it is declared;
 * the log and the connection open before its tests. After them, `stopFirst` stops what the tests started on the log
 * and NATS (apps, subscriptions), which must not outlive them; then the log and the connection close, the prefix's
 * NATS state is removed and the folder deleted.
 */
export function ownLogAndNats(name: string, stopFirst: () => Promise<unknown> | void = () => undefined): OwnLogAndNats {
  const dir = mkdtempSync(path.join(tmpdir(), `${name}-`));
  const file = path.join(dir, 'events.db');
  const prefix = uniquePrefix();
  let log: SqliteEventStore | undefined;
  let nats: NatsConnection | undefined;
  beforeAll(async () => {
    log = new SqliteEventStore({ file });
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await stopFirst();
    await log?.close();
    await nats?.close();
    await removeNatsState(prefix);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    file,
    prefix,
    env: { EVENT_STORE_URL: `sqlite:${file}`, NATS_URL, NATS_PREFIX: prefix },
    get log(): SqliteEventStore {
      if (!log) throw new Error(`${name}: the log is opened before the tests, not as they are declared`);
      return log;
    },
    get nats(): NatsConnection {
      if (!nats) throw new Error(`${name}: NATS is connected before the tests, not as they are declared`);
      return nats;
    },
  };
}
