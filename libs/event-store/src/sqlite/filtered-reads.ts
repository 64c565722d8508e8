import type Database from 'better-sqlite3';
import { STREAM_CATEGORY } from './sqlite-schema';

/** A row as the store's statements return it (`COLUMNS`, raw). */
export type EventRow = [
  position: number,
  stream: string,
  revision: number,
  id: string,
  type: string,
  data: string,
  metadata: string,
];

export const COLUMNS = 'position, stream, revision, id, type, data, metadata';

/** The upper end of a prefix's range of stream names: a name starting with the prefix sorts below it. */
const prefixEnd = (prefix: string): string => `${prefix}\u{10FFFF}`;

/** The category (`STREAM_CATEGORY`) of every stream a prefix matches: the prefix up to its first '-'; none without. */
const categoryOf = (prefix: string): string | undefined => {
  const dash = prefix.indexOf('-');
  return dash < 0 ? undefined : prefix.slice(0, dash + 1);
};

/**
 * The prefixes that match distinct streams: a prefix that starts with another of the set matches nothing more. Each
 * arm of a read by category returns its own streams' events, so an overlap would return an event twice.
 */
function distinctPrefixes(prefixes: readonly string[]): readonly string[] {
  const sorted = [...new Set(prefixes)].sort();
  return sorted.filter((prefix, i) => !sorted.slice(0, i).some((shorter) => prefix.startsWith(shorter)));
}

interface CategoryStatements<Row> {
  /** The prefixes' events in a range of positions, in order, from the table. */
  readonly window: Database.Statement<unknown[], Row>;
  /** The first events after a position of each prefix, merged in position order (read lazily by SQLite). */
  readonly arms: Database.Statement<unknown[], Row>;
}

/**
 * What a read returns of each row: the select list, which names `position` (a read by category orders its arms by
 * it), and whether better-sqlite3 gives the row's columns (`raw`) or its first column alone (`pluck`).
 */
export interface RowShape {
  readonly columns: string;
  readonly mode: 'raw' | 'pluck';
}

/** Rows as `EventRow`. */
export const EVENT_ROWS: RowShape = { columns: COLUMNS, mode: 'raw' };

/**
 * The positions a read by prefix walks in the table before it asks the category index, in pages: 4 fills a page from
 * the table where a quarter of the log is the prefixes'. With 2, the nightly close's catch-up (`terminal-` about 28%
 * of the log, and rare streams) took 10–15% longer than the plain query; with 4, about as long (bench:event-store).
 */
const WINDOW_PAGES = 4;

/**
 * Reads of the log filtered by stream prefix, in position order, in time that follows what they return rather than
 * the size of the log (what a follower of a few prefixes pays at each start) or its square.
 *
 * The plain query (`position > ? AND (stream range OR …) ORDER BY position`) left the plan to SQLite, which has no
 * statistics of the log. With one prefix it took the `(stream, revision)` index and sorted every later event of the
 * prefix to return a page: a catch-up of `payment-` from 0 sorted the rest of the category again for each page of
 * 1,000 (20 pages of a 1.4M-event log took 1.7 s). With several it walked the table from `after`: every row of the
 * log for a follower of rare streams, at each start.
 *
 * Now, when every prefix has a category (the engine's all do: `payment-`, `terminal-`, …), a page is read in two
 * steps, in one read transaction so that both see the same commits:
 * - the table over the next `WINDOW_PAGES` pages' worth of positions, in order. Where the prefixes are a quarter of
 *   the log or more (the projector's, the rebuild's, the nightly close's) that fills the page at about the cost of the
 *   plain query: a table row passed over costs less than an index entry and its row;
 * - what the page still lacks, from `events_category` (the stream's category, then position): each prefix's events
 *   after that window, in order, which SQLite merges, reading only what the page returns.
 * A prefix without a '-' has no category (`pay` may match `payment-1` and `pay`): the read then walks the table from
 * `after`, and never sorts.
 */
export class FilteredReads<Row = EventRow> {
  private readonly byCategory = new Map<number, CategoryStatements<Row>>();
  private readonly byTable = new Map<number, Database.Statement<unknown[], Row>>();
  private readonly inOneSnapshot: (after: number, limit: number, prefixes: readonly string[]) => Row[];

  constructor(
    private readonly db: Database.Database,
    private readonly shape: RowShape = EVENT_ROWS,
  ) {
    // A deferred transaction: its first read fixes the snapshot. Read apart, a commit between the two steps could
    // put events in the window after it was read, and the index's part of the page would skip them for good.
    this.inOneSnapshot = db.transaction((after: number, limit: number, prefixes: readonly string[]) =>
      this.byWindowThenCategory(after, limit, prefixes),
    );
  }

  read(after: number, limit: number, streamPrefixes: readonly string[]): Row[] {
    const prefixes = distinctPrefixes(streamPrefixes);
    if (prefixes.some((prefix) => categoryOf(prefix) === undefined)) return this.tableRead(after, limit, prefixes);
    return this.inOneSnapshot(after, limit, prefixes);
  }

  private byWindowThenCategory(after: number, limit: number, prefixes: readonly string[]): Row[] {
    const { window, arms } = this.categoryStatements(prefixes.length);
    const windowEnd = after + WINDOW_PAGES * limit;
    const near = window.all(after, windowEnd, ...bounds(prefixes), limit);
    if (near.length === limit) return near;
    const beyond = arms.all(
      ...prefixes.flatMap((prefix) => [categoryOf(prefix), windowEnd, prefix, prefixEnd(prefix)]),
      limit - near.length,
    );
    return near.length === 0 ? beyond : near.concat(beyond);
  }

  private categoryStatements(prefixCount: number): CategoryStatements<Row> {
    let statements = this.byCategory.get(prefixCount);
    if (!statements) {
      // `+stream` in both: the term may not take the (stream, revision) index, whose order is not the log's. With
      // statistics (`ANALYZE`) of a log mostly of one category, SQLite took it for the window and sorted again.
      const arm = `SELECT ${this.shape.columns} FROM events WHERE ${STREAM_CATEGORY} = ? AND position > ? AND +stream >= ? AND +stream < ?`;
      statements = {
        window: this.prepare(
          `SELECT ${this.shape.columns} FROM events WHERE position > ? AND position <= ? AND (${ranges(prefixCount, '+stream')}) ORDER BY position LIMIT ?`,
        ),
        arms: this.prepare(`${Array(prefixCount).fill(arm).join(' UNION ALL ')} ORDER BY position LIMIT ?`),
      };
      this.byCategory.set(prefixCount, statements);
    }
    return statements;
  }

  private tableRead(after: number, limit: number, prefixes: readonly string[]): Row[] {
    return this.tableStatement(prefixes.length).all(after, ...bounds(prefixes), limit);
  }

  private tableStatement(prefixCount: number): Database.Statement<unknown[], Row> {
    let statement = this.byTable.get(prefixCount);
    if (!statement) {
      // `+stream`: the term may not use the (stream, revision) index, whose order is not the log's.
      statement = this.prepare(
        `SELECT ${this.shape.columns} FROM events WHERE position > ? AND (${ranges(prefixCount, '+stream')}) ORDER BY position LIMIT ?`,
      );
      this.byTable.set(prefixCount, statement);
    }
    return statement;
  }

  private prepare(sql: string): Database.Statement<unknown[], Row> {
    const statement = this.db.prepare<unknown[], Row>(sql);
    return this.shape.mode === 'raw' ? statement.raw() : statement.pluck();
  }

  /** Test hook: the statements a read with this many prefixes runs, to see their plans. */
  statementsFor(prefixCount: number): readonly string[] {
    const { window, arms } = this.categoryStatements(prefixCount);
    return [window.source, arms.source, this.tableStatement(prefixCount).source];
  }
}

const bounds = (prefixes: readonly string[]): string[] => prefixes.flatMap((prefix) => [prefix, prefixEnd(prefix)]);

/** A prefix match on TEXT, written as a range so that it is exact (LIKE folds case and treats _ and % as wildcards). */
function ranges(count: number, column: string): string {
  return Array(count).fill(`(${column} >= ? AND ${column} < ?)`).join(' OR ');
}
