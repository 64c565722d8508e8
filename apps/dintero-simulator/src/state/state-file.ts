import { existsSync, readFileSync, statSync } from 'node:fs';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { SIMULATOR_CONFIG, type DinteroSimulatorConfig } from '../dintero-simulator.config';
import { PaymentReports } from '../terminals/payment-reports';
import { TerminalOutcomes } from '../terminals/terminal-outcomes';
import { TransactionRecords } from '../terminals/transaction-records';
import { removePartialWrites } from './durable-file';
import { SimulatorRandom } from './random';
import { STATE_LISTS, SimulatorState, type SimTransaction } from './simulator-state';
import { LOCK_HEARTBEAT_MS, lockStateFile, type StateLock } from './state-lock';
import { journalOf, nextJournalOf, replayJournals, type JournalText } from './state-journal';
import { STATE_VERSION as VERSION, SimulatorStateWrites, type SavedState } from './state-writes';

/**
 * Dintero's side of the world kept across restarts, as Dintero keeps it (`SIM_STATE_FILE`): the payout
 * destinations, stores, terminals, sessions, transactions and terminal operations, written after each change
 * (`SimulatorStateWrites`: a snapshot and a journal of changes beside it) and when the simulator stops, and read
 * when it starts: the snapshot, then the journal's whole writes in order, folded into a new snapshot at once. Without it a restart forgets the fleet, and a terminal the engine's registry has
 * `ACTIVE` is unknown to "Dintero". What was under way at the stop does not go on: each terminal is free again, an
 * operation still pending ends `TIMEOUT` (its terminal never answered), and a refund the cardholder was confirming
 * is declined (`settled`); a transaction waiting for Dintero's automatic capture (`AUTHORIZED`) is captured then.
 * A simulator killed without stopping starts from what the file last held, even if killed while writing it: all it
 * had answered. One simulator uses a file at a time (`<file>.lock`, `lockStateFile`).
 */
@Injectable()
export class SimulatorStateFile implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SimulatorStateFile.name);
  /** Transactions whose refund the restart declined, reported once the app runs. */
  private readonly declinedRefunds: SimTransaction[] = [];
  /** Whether the read-back changed what the file holds (what was under way ended): written once the app runs. */
  private endedOnReadBack = false;
  /** Whether the start found a journal to fold into the snapshot (or a stale one to replace). */
  private compactOnStart = false;
  private release: (() => void) | undefined;
  private lockLost = false;

  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: DinteroSimulatorConfig,
    private readonly state: SimulatorState,
    private readonly outcomes: TerminalOutcomes,
    private readonly records: TransactionRecords,
    private readonly reports: PaymentReports,
    private readonly random: SimulatorRandom,
    private readonly writes: SimulatorStateWrites,
  ) {}

  onModuleInit(): void {
    const file = this.config.stateFile;
    if (!file) return;
    // Before anything else: the partial write removed below may otherwise be another simulator's, in progress.
    const lock = lockStateFile(file);
    if (lock.takenOver !== undefined)
      this.logger.warn({ file, lock: lock.lock, holder: lock.takenOver }, 'took over the lock of a simulator gone');
    try {
      this.readBack(file);
      // Before anything runs: the snapshot holds what the journal held, and what the read-back ended.
      if (this.compactOnStart || this.endedOnReadBack) this.writes.compactNow();
    } catch (error) {
      lock.release();
      throw error;
    }
    this.writes.lockedBy(() => lock.ours());
    const heartbeat = setInterval(() => this.beat(lock), LOCK_HEARTBEAT_MS);
    heartbeat.unref();
    this.release = () => {
      clearInterval(heartbeat);
      lock.release();
    };
  }

  /** The lock's heartbeat, by which a simulator on another host or container tells this one running. */
  private beat(lock: StateLock): void {
    let beaten: boolean;
    try {
      beaten = lock.beat();
    } catch (error) {
      this.logger.error({ lock: lock.lock, error: (error as Error).message }, 'could not touch the state file lock');
      return;
    }
    if (!beaten && !this.lockLost) {
      this.lockLost = true;
      // The other simulator writes the file now: two writers would write over each other's snapshot and journal.
      this.writes.lockTakenOver();
      this.logger.error(
        { lock: lock.lock },
        'the state file lock no longer names this simulator (taken over as stale): it writes the file no more, and answers 503',
      );
    }
  }

  private readBack(file: string): void {
    const journal = journalOf(file);
    const next = nextJournalOf(file);
    const left = [...removePartialWrites(file), ...removePartialWrites(journal), ...removePartialWrites(next)];
    if (left.length > 0) this.logger.warn({ file, left }, 'removed the partial writes of a stop cut short');
    if (!existsSync(file)) {
      const orphan = [journal, next].find((path) => existsSync(path));
      if (orphan)
        throw new Error(
          `SIM_STATE_FILE ${file} is missing but its journal ${orphan} is there; put the snapshot back, or move the journal away to start empty`,
        );
      return;
    }
    const snapshot = readFileSync(file, 'utf8');
    let saved = parsed(file, snapshot);
    let journalBytes: number | undefined;
    const read = (path: string): JournalText | undefined =>
      existsSync(path) ? { text: readFileSync(path, 'utf8'), path } : undefined;
    const [journalText, nextText] = [read(journal), read(next)];
    if (journalText || nextText) {
      const replayed = replayJournals(saved, journalText, nextText);
      if (replayed.ignored > 0)
        this.logger.warn(
          { file, journal, lines: replayed.ignored },
          'ignored the journal lines of a write cut short (a kill mid-write: never answered)',
        );
      if (replayed.stale) this.logger.warn({ file, journal }, 'ignored a journal the last compaction had folded in');
      saved = replayed.state;
      journalBytes = journalText ? statSync(journal).size : undefined;
      // A next journal (a compaction killed part way) is folded in and removed.
      this.compactOnStart = replayed.applied > 0 || replayed.ignored > 0 || replayed.stale || nextText !== undefined;
    }
    this.writes.started({
      generation: saved.generation ?? 0,
      snapshotBytes: Buffer.byteLength(snapshot),
      journalBytes,
    });
    const now = new Date().toISOString();
    // Ids go on from where they were, never again from the seed: Dintero never gives an id twice, and a session or
    // transaction of the same id would replace one kept. The start's time is mixed in, for a simulator killed after
    // making ids the file does not hold (the engine may have them).
    this.random.reseed(this.random.next() * 2 ** 32 + Date.now() + process.pid);
    for (const id of saved.payoutDestinations) this.state.payoutDestinations.add(id);
    for (const store of saved.stores) this.state.stores.set(store.id, store);
    for (const terminal of saved.terminals) {
      if (terminal.activeSessionId || terminal.activeRefund || terminal.pendingOperationId) this.endedOnReadBack = true;
      const { activeSessionId: _session, activeRefund: _refund, pendingOperationId: _operation, ...idle } = terminal;
      this.state.terminals.set(terminal.terminal_id, idle);
    }
    for (const session of saved.sessions) this.state.sessions.set(session.id, session);
    for (const transaction of saved.transactions) {
      const tx = this.settled(transaction);
      this.state.transactions.set(tx.id, tx);
      // A refund the restart declined is a payment event applied: reported as any other, once delivery runs.
      if (tx.events.length > transaction.events.length) {
        this.declinedRefunds.push(tx);
        this.endedOnReadBack = true;
      }
      // Dintero's automatic capture is its own, not the terminal's: it still comes after the restart.
      if (tx.status === 'AUTHORIZED') this.outcomes.captureLater(tx);
    }
    if (saved.operations.some((operation) => operation.status === 'PENDING')) this.endedOnReadBack = true;
    for (const operation of saved.operations)
      this.state.operations.set(
        operation.id,
        operation.status === 'PENDING'
          ? { ...operation, status: 'TIMEOUT', updated_at: now, updated_by: 'dintero-simulator' }
          : operation,
      );
    for (const [key, id] of saved.operationKeys) this.state.operationKeys.set(key, id);
    this.logger.log(
      { file, stores: saved.stores.length, terminals: saved.terminals.length, savedAt: saved.savedAt },
      'state read back',
    );
  }

  /**
   * A transaction as the restart leaves it: a refund the cardholder was confirming at the terminal (accepted, 202)
   * is declined, its amount no longer held, so that it ends as one would whose cardholder walked away. A transaction
   * on hold stays on hold (Dintero's review of it is not the terminal's to end).
   */
  private settled(tx: SimTransaction): SimTransaction {
    if (tx.refundingAmount === 0) return tx;
    const finished = new Set(tx.events.map((event) => event.correlation_request_id).filter((id) => id !== undefined));
    const declined = tx.events
      .filter((event) => event.event === 'INITIATE_REFUND' && event.request_id && !finished.has(event.request_id))
      .map((started) =>
        this.records.txEvent('REFUND', tx.status, false, started.amount, {
          correlation_request_id: started.request_id!,
          ...(started.event_reference ? { event_reference: started.event_reference } : {}),
          error: {
            code: 'DECLINED',
            message: 'The terminal restarted before the cardholder confirmed the refund',
            type: ['DECLINED'],
          },
        }),
      );
    const events = [...tx.events, ...declined];
    return { ...tx, events, refundingAmount: 0, updated_at: events.at(-1)!.created_at };
  }

  onApplicationBootstrap(): void {
    for (const tx of this.declinedRefunds.splice(0)) this.reports.reportEvent(tx, 'REFUND');
    // What the read-back ended is in the snapshot already (compacted at the start); a start that changed nothing
    // leaves the file as it was.
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.config.stateFile) return;
    try {
      await this.writes.final();
    } finally {
      this.release?.();
    }
  }
}

/** The file's state, or a start refused with what is wrong with it (a file of another kind, or cut short). */
function parsed(file: string, text: string): SavedState {
  // Empty: what a machine's crash leaves of a write whose rename reached the disk before its data (a writer that did
  // not flush it, a copy by hand). Said so plainly, rather than as JSON's 'unexpected end of input'.
  if (text.trim() === '')
    throw new Error(`SIM_STATE_FILE ${file} is empty (a write cut short?); move it away to start empty`);
  // Zero bytes of the file's length: the same crash on file systems that keep a file's size before its data (ext4
  // without data=ordered, XFS). JSON's answer would say 'unexpected token' and carry the zero bytes into the log.
  if (/^\0+$/.test(text.trim()))
    throw new Error(`SIM_STATE_FILE ${file} holds only zero bytes (a write cut short?); move it away to start empty`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`SIM_STATE_FILE ${file} is not JSON (${(error as Error).message}); move it away to start empty`, {
      cause: error,
    });
  }
  const saved = value as Partial<Record<string, unknown>> | null;
  if (saved === null || typeof saved !== 'object' || saved.version !== VERSION)
    throw new Error(
      `SIM_STATE_FILE ${file} is not a simulator state of version ${VERSION}; move it away to start empty`,
    );
  if (saved.generation !== undefined && !Number.isSafeInteger(saved.generation))
    throw new Error(`SIM_STATE_FILE ${file} has a generation that is not a whole number; move it away to start empty`);
  const missing = STATE_LISTS.filter((list) => !Array.isArray(saved[list]));
  if (missing.length > 0)
    throw new Error(`SIM_STATE_FILE ${file} lacks ${missing.join(', ')}; move it away to start empty`);
  return saved as unknown as SavedState;
}
