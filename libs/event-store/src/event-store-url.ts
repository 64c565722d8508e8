import path from 'node:path';

/** The embedded log where nothing says otherwise: `events.db` in `./data`, the default `DATA_DIR`. */
export const DEFAULT_EVENT_STORE_URL = 'sqlite:./data/events.db';

/**
 * The event log the engine works on: `EVENT_STORE_URL`, else the embedded log `events.db` in `DATA_DIR` (the folder
 * `npm start` keeps its log, keys and secrets in; `./data` unset or empty). The apps' configuration, `npm start` and
 * `npm run projections:rebuild` all find it here, so that a rebuild given the `DATA_DIR` of an `npm start` reads that
 * start's log (it read `./data/events.db` whatever `DATA_DIR` said). It imports nothing of the library: `npm start`
 * loads this file alone from dist/.
 */
export function eventStoreUrlOf(env: { readonly EVENT_STORE_URL?: string; readonly DATA_DIR?: string }): string {
  if (env.EVENT_STORE_URL !== undefined) return env.EVENT_STORE_URL;
  return env.DATA_DIR ? `sqlite:${path.join(env.DATA_DIR, 'events.db')}` : DEFAULT_EVENT_STORE_URL;
}

/** The file of an embedded log's URL (`sqlite:<path>`, or `sqlite://<path>`); undefined for a KurrentDB URL. */
export function sqliteFileOf(url: string): string | undefined {
  return url.startsWith('sqlite:') ? url.slice('sqlite:'.length).replace(/^\/\//, '') : undefined;
}
