import type Database from 'better-sqlite3';

/**
 * A stream's category: its name up to and including the first '-' (`payment-`, `terminal-`, `nightly-`), or '' for a
 * name without one. `events_category` orders the log by it, then by position, for reads by stream prefix
 * (`FilteredReads`); a query uses that index only where it writes this expression so. To change the expression, name
 * the index anew: a log made before keeps its index under the old name, which queries would then silently pass over.
 */
export const STREAM_CATEGORY = "substr(stream, 1, instr(stream, '-'))";

// `position` is the global order. AUTOINCREMENT guarantees it is never reused, and SQLite serialises
// writers across processes, so a reader never sees a later position before an earlier one commits.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position  INTEGER PRIMARY KEY AUTOINCREMENT,
  stream    TEXT    NOT NULL,
  revision  INTEGER NOT NULL,
  id        TEXT    NOT NULL,
  type      TEXT    NOT NULL,
  data      TEXT    NOT NULL,
  metadata  TEXT    NOT NULL,
  UNIQUE (stream, revision)
);
CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events (id);
`;
const CATEGORY_INDEX = `CREATE INDEX IF NOT EXISTS events_category ON events (${STREAM_CATEGORY})`;

/** Pages the writer lets the WAL grow to before it checkpoints itself; normally `WalCheckpointer` does it first. */
export const BACKSTOP_CHECKPOINT_PAGES = 20_000;

/**
 * Sets the database up. Several processes may open one file at once (the apps of `npm start`): switching
 * to WAL and creating the schema take locks, so this waits up to `setupBusyMs` for the others, blocking,
 * as nothing else runs yet; then it leaves `busyTimeoutMs` as the busy handler for the running store.
 */
export function openDatabase(
  db: Database.Database,
  setupBusyMs: number,
  busyTimeoutMs: number,
  cacheMib: number,
): void {
  db.pragma(`busy_timeout = ${setupBusyMs}`);
  db.pragma('journal_mode = WAL');
  // FULL: a commit is on disk (the WAL fsynced) before the append resolves; group commit pays for it.
  db.pragma('synchronous = FULL');
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  db.pragma(`cache_size = -${Math.round(cacheMib * 1024)}`);
  db.exec(SCHEMA);
  addCategoryIndex(db);
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
}

/**
 * Adds `events_category` to a log made before it (once: 0.6–1.5 s a million events on the development machine). A log on storage that cannot be
 * written opens without it, as it opened before, its health down at its first append: reads by prefix are then as
 * right, and walk the table.
 */
function addCategoryIndex(db: Database.Database): void {
  try {
    db.exec(CATEGORY_INDEX);
  } catch (error) {
    // By its code, not `instanceof`: better-sqlite3's native part keeps the error class of the first realm that loaded
    // it, so under a test runner's per-file realms the error is not this realm's `Error`.
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    if (typeof code !== 'string' || !code.startsWith('SQLITE_READONLY')) throw error;
    process.emitWarning(
      `The event log's category index could not be added (${String(message)}): reads by stream prefix walk the table`,
    );
  }
}
