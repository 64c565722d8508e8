import type {
  SimOperation,
  SimSession,
  SimStore,
  SimTerminal,
  SimTransaction,
  SimulatorState,
  StateChanges,
  StateList,
} from './simulator-state';
import { STATE_LISTS } from './simulator-state';

export const STATE_VERSION = 1;

/** What the snapshot holds: each map of `SimulatorState` as a list. */
export interface SavedState {
  readonly version: typeof STATE_VERSION;
  readonly savedAt: string;
  /** The journal this snapshot goes on with (`<file>.journal` whose header names it); absent: 0. */
  readonly generation?: number;
  readonly payoutDestinations: readonly string[];
  readonly stores: readonly SimStore[];
  readonly terminals: readonly SimTerminal[];
  readonly sessions: readonly SimSession[];
  readonly transactions: readonly SimTransaction[];
  readonly operations: readonly SimOperation[];
  readonly operationKeys: readonly (readonly [string, string])[];
}

/** The journal's first line: the generation of the snapshot its records go on from. */
interface JournalHeader {
  readonly journal: 1;
  readonly generation: number;
}

/** A record's whole value now (`value`), or its removal (`deleted`). */
interface JournalRecord {
  readonly list: StateList;
  readonly id: string;
  readonly value?: unknown;
  readonly deleted?: true;
}

/** Ends each write's records: a write's records count only when its commit line is whole. */
interface JournalCommit {
  readonly commit: number;
}

export function journalOf(file: string): string {
  return `${file}.journal`;
}

/**
 * The journal a compaction running in the background appends to, of the generation of the snapshot it writes:
 * renamed over the journal once that snapshot is in.
 */
export function nextJournalOf(file: string): string {
  return `${file}.journal.next`;
}

export function journalHeader(generation: number): string {
  return `${JSON.stringify({ journal: 1, generation } satisfies JournalHeader)}\n`;
}

/** The snapshot's text: every record, as the state has it now. */
export function snapshotText(state: SimulatorState, generation: number): string {
  const saved: SavedState = {
    version: STATE_VERSION,
    savedAt: new Date().toISOString(),
    generation,
    payoutDestinations: [...state.payoutDestinations],
    stores: [...state.stores.values()],
    terminals: [...state.terminals.values()],
    sessions: [...state.sessions.values()],
    transactions: [...state.transactions.values()],
    operations: [...state.operations.values()],
    operationKeys: [...state.operationKeys],
  };
  return JSON.stringify(saved);
}

/** The record of `list` by `id` as the state has it now; undefined when it is gone. */
export function currentValue(state: SimulatorState, list: StateList, id: string): unknown {
  if (list === 'payoutDestinations') return state.payoutDestinations.has(id) ? true : undefined;
  return state[list].get(id);
}

/**
 * The journal lines of one write: each changed record's whole value now (or its removal), then the commit line
 * (`sequence`). Empty when nothing changed.
 */
export function journalLines(state: SimulatorState, changes: StateChanges, sequence: number): string {
  let text = '';
  for (const [list, ids] of changes.records)
    for (const id of ids) {
      const value = currentValue(state, list, id);
      const record: JournalRecord = value === undefined ? { list, id, deleted: true } : { list, id, value };
      text += `${JSON.stringify(record)}\n`;
    }
  return text === '' ? '' : `${text}${JSON.stringify({ commit: sequence } satisfies JournalCommit)}\n`;
}

/** What the journal holds past the snapshot. */
export interface ReplayedJournal {
  readonly state: SavedState;
  /** Records applied (of committed writes). */
  readonly applied: number;
  /** Lines of a write cut short (a kill mid-append): ignored. */
  readonly ignored: number;
  /** The journal was of the snapshot before (a compaction killed before it replaced the journal): ignored whole. */
  readonly stale: boolean;
}

/**
 * The snapshot with the journal's committed writes applied in order. A write cut short (its last line torn, or its
 * commit line not reached) is ignored; anything else that is not a journal line refuses the start, as a snapshot that
 * is not JSON does.
 */
export function replayJournal(saved: SavedState, text: string, journal: string): ReplayedJournal {
  const generation = saved.generation ?? 0;
  const refuse = (why: string) =>
    new Error(`SIM_STATE_FILE's journal ${journal} ${why}; move the journal away to start from the snapshot alone`);
  const lines = text.split('\n');
  // The text after the last newline: a line the kill tore (never a whole line: each one ends with its newline).
  const torn = lines.pop() !== '' ? 1 : 0;
  const header = lines.length > 0 ? parseLine(lines[0]!) : undefined;
  if (!isHeader(header)) throw refuse('does not begin with a journal header');
  // Of a snapshot before this one (any earlier generation: a compaction whose journal could not be written leaves the
  // old journal to the next): this snapshot was written from a state holding all the journal held, and more.
  if (header.generation < generation) return { state: saved, applied: 0, ignored: 0, stale: true };
  if (header.generation !== generation)
    throw refuse(`is of generation ${header.generation}, the snapshot of ${generation}`);
  const lists = listsOf(saved);
  let pending: JournalRecord[] = [];
  let applied = 0;
  for (const [index, line] of lines.entries()) {
    if (index === 0) continue;
    const entry = parseLine(line);
    if (isCommit(entry)) {
      for (const record of pending) apply(lists, record);
      applied += pending.length;
      pending = [];
    } else if (isRecord(entry)) pending.push(entry);
    else throw refuse(`has a line ${index + 1} that is not a journal record`);
  }
  return {
    state: { ...saved, ...savedLists(lists) },
    applied,
    ignored: pending.length + torn,
    stale: false,
  };
}

/** A journal's text, and its path for the errors. */
export interface JournalText {
  readonly text: string;
  readonly path: string;
}

/**
 * The snapshot with the journal applied, then the next journal of a compaction a kill cut short (`nextJournalOf`):
 * killed before its snapshot was renamed in, the next journal (of the generation after the snapshot's) goes on from
 * the journal; after, before the next journal replaced the journal, it goes on from the snapshot (the journal stale).
 * One of a generation before the snapshot's is stale: a compaction at the start or the stop folded it in. The state
 * comes back with the newest generation read, so that the next snapshot is of a generation after every journal's.
 */
export function replayJournals(saved: SavedState, journal?: JournalText, next?: JournalText): ReplayedJournal {
  const replayed = journal
    ? replayJournal(saved, journal.text, journal.path)
    : { state: saved, applied: 0, ignored: 0, stale: false };
  if (!next) return replayed;
  const generation = saved.generation ?? 0;
  const header = parseLine(next.text.split('\n', 1)[0] ?? '');
  if (!isHeader(header))
    throw new Error(`SIM_STATE_FILE's journal ${next.path} does not begin with a journal header; move it away`);
  if (header.generation < generation) return { ...replayed, stale: true };
  if (header.generation > generation + 1)
    throw new Error(
      `SIM_STATE_FILE's journal ${next.path} is of generation ${header.generation}, the snapshot of ${generation}; move it away`,
    );
  const more = replayJournal({ ...replayed.state, generation: header.generation }, next.text, next.path);
  return {
    state: more.state,
    applied: replayed.applied + more.applied,
    ignored: replayed.ignored + more.ignored,
    stale: replayed.stale,
  };
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

function isHeader(value: unknown): value is JournalHeader {
  const header = value as Partial<JournalHeader> | undefined;
  return typeof header === 'object' && header?.journal === 1 && Number.isSafeInteger(header.generation);
}

function isCommit(value: unknown): value is JournalCommit {
  return typeof value === 'object' && value !== null && Number.isSafeInteger((value as JournalCommit).commit);
}

function isRecord(value: unknown): value is JournalRecord {
  const record = value as Partial<JournalRecord> | null | undefined;
  return (
    typeof record === 'object' &&
    record !== null &&
    (STATE_LISTS as readonly unknown[]).includes(record.list) &&
    typeof record.id === 'string' &&
    (record.deleted === true || (record.value !== undefined && record.value !== null))
  );
}

type Lists = { [L in StateList]: Map<string, unknown> };

function listsOf(saved: SavedState): Lists {
  return {
    payoutDestinations: new Map(saved.payoutDestinations.map((id) => [id, true])),
    stores: new Map(saved.stores.map((store) => [store.id, store])),
    terminals: new Map(saved.terminals.map((terminal) => [terminal.terminal_id, terminal])),
    sessions: new Map(saved.sessions.map((session) => [session.id, session])),
    transactions: new Map(saved.transactions.map((tx) => [tx.id, tx])),
    operations: new Map(saved.operations.map((operation) => [operation.id, operation])),
    operationKeys: new Map(saved.operationKeys.map(([key, id]) => [key, id])),
  };
}

function apply(lists: Lists, record: JournalRecord): void {
  if (record.deleted) lists[record.list].delete(record.id);
  else lists[record.list].set(record.id, record.value);
}

function savedLists(lists: Lists): Omit<SavedState, 'version' | 'savedAt' | 'generation'> {
  return {
    payoutDestinations: [...lists.payoutDestinations.keys()],
    stores: [...lists.stores.values()] as SimStore[],
    terminals: [...lists.terminals.values()] as SimTerminal[],
    sessions: [...lists.sessions.values()] as SimSession[],
    transactions: [...lists.transactions.values()] as SimTransaction[],
    operations: [...lists.operations.values()] as SimOperation[],
    operationKeys: [...lists.operationKeys] as [string, string][],
  };
}
