import type Database from 'better-sqlite3';

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

export function openDatabase(db: Database.Database, busyTimeoutMs: number): void {
  db.pragma('journal_mode = WAL');
  // FULL: a commit is on disk (the WAL fsynced) before the append resolves; group commit pays for it.
  db.pragma('synchronous = FULL');
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.pragma('foreign_keys = ON');
  db.exec(SCHEMA);
}
