import { Inject, Injectable, Logger } from '@nestjs/common';
import { SIMULATOR_CONFIG, type DinteroSimulatorConfig } from '../dintero-simulator.config';
import { CoalescedWrites } from './coalesced-writes';
import { rmSync } from 'node:fs';
import { appendFileDurably, renameDurably, writeFileDurably, writeFileDurablyAsync } from './durable-file';
import { SimulatorState } from './simulator-state';
import { snapshotTextInSlices } from './snapshot-slices';
import { journalHeader, journalLines, journalOf, nextJournalOf, snapshotText } from './state-journal';

export { STATE_VERSION, type SavedState } from './state-journal';

/** A journal past this many bytes is compacted whatever the snapshot's size. */
export const JOURNAL_MAX_BYTES = 64 * 1024 * 1024;
/** Nor is one compacted before this many bytes, however small the snapshot. */
const JOURNAL_MIN_BYTES = 64 * 1024;

/** Where the file stands, as read at the start. */
export interface StateFileStart {
  readonly generation: number;
  readonly snapshotBytes: number;
  /** The journal's bytes; undefined when there is none to append to (the first write compacts). */
  readonly journalBytes: number | undefined;
}

/**
 * Writes the simulator's state to SIM_STATE_FILE after each change, so that a simulator killed (SIGKILL, the
 * machine's crash) starts again from what it had answered: a change answered to a client (`saved`, awaited before
 * the answer) or reported by a callback or webhook is in the file first. Writes are coalesced: one at a time, the
 * next one taking every change made meanwhile, so a burst of requests costs a few writes, not one each.
 *
 * A write costs what changed, not the whole state: the file is a snapshot (`<file>`) and a journal beside it
 * (`<file>.journal`), to which each write appends the whole value now of each record marked changed
 * (`SimulatorState.touch`), then a commit line, and flushes it. The journal is folded into a new snapshot
 * (compacted) at the start, at the stop, after a reset or a write that failed (in the place of a write, all else
 * waiting), and while running once it outgrows the snapshot (or `JOURNAL_MAX_BYTES`), in the background.
 *
 * A compaction in the place of a write, and why a kill at any step loses nothing: the snapshot carries a generation,
 * the journal's header names the generation it goes on from.
 * 1. The snapshot of generation g+1 (every record in memory) is written beside the file, flushed, and renamed over
 *    it (`writeFileDurably`). Killed before the rename: snapshot g and its journal g, as before. Killed after it:
 *    snapshot g+1 holds all that journal g held and more, and journal g, now stale (one generation behind), is
 *    ignored at the start (replaying it would put back older values of records changed since). So is a journal of any
 *    generation before the snapshot's: a compaction whose journal could not be written (a disk full) leaves the old
 *    journal, and the next one writes a snapshot of the generation after.
 * 2. A journal holding only the header of g+1 is written and renamed over the old journal likewise. Killed before the
 *    rename: the case above. After it: snapshot g+1 and its empty journal. A next journal left (below) is removed.
 *
 * In the background, so that requests are answered meanwhile (`compactInBackground`):
 * 1. In the place of a write: a next journal (`<file>.journal.next`) of generation g+1 is made, and from this write
 *    on every write appends there. Killed from here on: snapshot g, journal g, then the next journal, replayed in turn.
 * 2. Off the writes: the snapshot of g+1 is written out a slice at a time (`snapshotTextInSlices`), each record as it
 *    is when its turn comes, and renamed in. Every change since step 1 is in the next journal, which replayed over it
 *    gives the state. Killed after the rename: snapshot g+1, journal g (stale), next journal g+1.
 * 3. In the place of a write: the next journal is renamed over the journal.
 * A snapshot written in the place of a write has a generation after the next journal's, so that one left is stale.
 */
@Injectable()
export class SimulatorStateWrites {
  private readonly logger = new Logger(SimulatorStateWrites.name);
  private readonly writes = new CoalescedWrites(() => this.write());
  private stopped = false;
  /** The last write failed: the state in memory holds changes the file does not, until a write succeeds. */
  private failed = false;
  /** The file's lock names another simulator now (taken over as stale): the file is its, never written here again. */
  private lockLost = false;
  /** Whether the lock names this simulator still, read at each write: a heartbeat may be up to 2 s away. */
  private lockStillOurs: () => boolean = () => true;
  private generation = 0;
  private snapshotBytes = 0;
  /** The bytes of the journal appended to; undefined when the next write must compact in its place. */
  private journalBytes: number | undefined;
  /** The generation of the next journal, while writes append to it (a compaction in the background). */
  private nextGeneration: number | undefined;
  /** The compaction in the background (it never rejects), and whether its snapshot is in, the switch due. */
  private compaction: Promise<void> | undefined;
  private switchDue = false;
  /** The compaction in the background failed: the next write compacts in its place. */
  private mustCompact = false;
  private sequence = 0;
  /** Bytes written to the file since the start (snapshots and journal): what the writes cost. */
  private written = 0;

  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: DinteroSimulatorConfig,
    private readonly state: SimulatorState,
  ) {}

  /** What the start read (`SimulatorStateFile`): the next writes go on from there. */
  started(start: StateFileStart): void {
    this.generation = start.generation;
    this.snapshotBytes = start.snapshotBytes;
    this.journalBytes = start.journalBytes;
  }

  /** Bytes written to the snapshot and the journal since the start. */
  bytesWritten(): number {
    return this.written;
  }

  /** Resolves once the state as it is now is in the file; at once without a file. */
  saved(): Promise<void> {
    if (!this.config.stateFile) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error('the simulator has stopped: its state file is written no more'));
    if (this.lockLost) return Promise.reject(lockLostError());
    return this.writes.request();
  }

  /**
   * Resolves once the file holds all the state holds now, writing only if it does not yet: a request refused before
   * it changed anything costs no write, and waits only for the changes of others still being written.
   */
  settled(): Promise<void> {
    return this.state.hasChanges() || this.writes.busy() ? this.saved() : Promise.resolve();
  }

  /** Whether the last write failed (none succeeded since): what the state holds may be lost to a restart. */
  failing(): boolean {
    return this.failed || this.lockLost;
  }

  /**
   * The state file's lock names another simulator now (`SimulatorStateFile`'s heartbeat found it taken over): that one
   * writes the file, so this one never does again, not even at its stop; its requests are refused as by a write that
   * fails (`failing`).
   */
  lockTakenOver(): void {
    this.lockLost = true;
  }

  /**
   * How a write tells the lock is this simulator's still (`SimulatorStateFile`, once it holds it). Read before each
   * write, not only at the heartbeat: a simulator stalled past the stale time answers what it was asked meanwhile
   * before its next heartbeat, and would write it over the file of the one that took the lock over.
   */
  lockedBy(ours: () => boolean): void {
    this.lockStillOurs = ours;
  }

  /** Whether the lock names another simulator now (found so by the heartbeat or by this look). */
  private fenced(): boolean {
    if (!this.lockLost && !this.lockStillOurs()) this.lockLost = true;
    return this.lockLost;
  }

  /** Resolves once no compaction runs in the background (for tests, and the stop). */
  async compacted(): Promise<void> {
    // Stopped or fenced (`lockTakenOver`), no write comes to make the switch: nothing to wait for.
    while ((this.compaction || this.switchDue) && !this.stopped && !this.lockLost) {
      await this.compaction;
      await this.writes.idle();
    }
  }

  /** A change no request waits for (a terminal's timer): written soon, a failure logged. */
  changed(): void {
    this.saved().catch((error: unknown) =>
      this.logger.error({ file: this.config.stateFile, err: error }, 'could not write the state file'),
    );
  }

  /**
   * Folds the journal into a new snapshot now, synchronously (the start, once the journal is read back, and the stop;
   * nothing runs meanwhile that would wait for it).
   */
  compactNow(): void {
    const file = this.config.stateFile;
    const changes = this.state.takeChanges();
    try {
      const generation = this.newGeneration();
      const text = snapshotText(this.state, generation);
      writeFileDurably(file, text);
      this.snapshotWritten(text, generation);
      const header = journalHeader(this.generation);
      writeFileDurably(journalOf(file), header);
      this.journalWritten(header);
    } catch (error) {
      this.state.giveBack(changes);
      throw error;
    }
  }

  /**
   * At the stop: once the writes under way are done, the state compacted one last time, before the process ends
   * (synchronously: nothing runs after the last shutdown hook that would wait for it).
   */
  async final(): Promise<void> {
    if (!this.config.stateFile) return;
    this.stopped = true;
    await this.writes.idle();
    await this.compaction;
    await this.writes.idle();
    // The file is another simulator's now: left as it has it.
    if (this.fenced()) return;
    // A stop cut short (SIGKILL mid-write, the machine's crash) leaves the last whole state, never half of one.
    this.compactNow();
  }

  private async write(): Promise<void> {
    const file = this.config.stateFile;
    // Asked for before the lock was found taken over, or taken over since the last heartbeat: another simulator's file.
    if (this.fenced()) throw lockLostError();
    if (this.switchDue) await this.switchJournal();
    const changes = this.state.takeChanges();
    // Nothing changed since the last write: the file holds the state already (not even a compaction is due yet).
    if (!changes.whole && changes.records.size === 0) return;
    try {
      if (changes.whole || this.journalBytes === undefined || this.mustCompact) {
        // One writer of the snapshot at a time: the one in the background first ends (it never fails).
        await this.compaction;
        const generation = this.newGeneration();
        const text = snapshotText(this.state, generation);
        await writeFileDurablyAsync(file, text);
        this.snapshotWritten(text, generation);
        const header = journalHeader(this.generation);
        await writeFileDurablyAsync(journalOf(file), header);
        this.journalWritten(header);
      } else {
        if (!this.stopped && this.compaction === undefined && this.journalOutgrown()) await this.compactInBackground();
        const lines = journalLines(this.state, changes, ++this.sequence);
        const journal = this.nextGeneration === undefined ? journalOf(file) : nextJournalOf(file);
        await appendFileDurably(journal, lines);
        const bytes = Buffer.byteLength(lines);
        this.journalBytes += bytes;
        this.written += bytes;
      }
      this.failed = false;
    } catch (error) {
      // What this write took is marked again: the next write tries it again. And the next write compacts: an append
      // that failed part way (a disk full) left a torn line at the journal's end, which the next append would make a
      // line in its middle, neither record nor commit, and the start would refuse the journal.
      this.state.giveBack(changes);
      this.journalBytes = undefined;
      this.failed = true;
      throw error;
    }
  }

  /** Steps 1 and 2 of a compaction in the background: the next journal made, the snapshot started. */
  private async compactInBackground(): Promise<void> {
    const file = this.config.stateFile;
    const generation = this.generation + 1;
    const header = journalHeader(generation);
    await writeFileDurablyAsync(nextJournalOf(file), header);
    this.nextGeneration = generation;
    this.journalBytes = Buffer.byteLength(header);
    this.written += this.journalBytes;
    const compaction = (async () => {
      try {
        const resets = this.state.resets();
        const text = await snapshotTextInSlices(this.state, generation);
        // A reset while it was written out: half the records of before, half of after, and no journal says which.
        if (this.state.resets() !== resets) throw new Error('the state was reset while its snapshot was written out');
        if (this.fenced()) throw lockLostError();
        await writeFileDurablyAsync(file, text);
        this.generation = generation;
        this.snapshotBytes = Buffer.byteLength(text);
        this.written += this.snapshotBytes;
        this.switchDue = true;
      } catch (error) {
        this.logger.error({ file, err: error }, 'could not compact the state file: the next write compacts');
        this.mustCompact = true;
      } finally {
        this.compaction = undefined;
      }
      if (this.switchDue && !this.stopped) this.changed();
    })();
    this.compaction = compaction;
  }

  /** Step 3: the next journal, now of the snapshot's generation, replaces the journal. */
  private async switchJournal(): Promise<void> {
    const file = this.config.stateFile;
    this.switchDue = false;
    try {
      await renameDurably(nextJournalOf(file), journalOf(file));
      this.nextGeneration = undefined;
      this.logger.log({ file, generation: this.generation, bytes: this.snapshotBytes }, 'state file compacted');
    } catch (error) {
      // The next journal stays, of the snapshot's generation, and is read as such at the start; the next write compacts.
      this.logger.error({ file, err: error }, 'could not replace the journal: the next write compacts');
      this.mustCompact = true;
    }
  }

  /** A generation after the snapshot's and the next journal's, so that a next journal left is read as stale. */
  private newGeneration(): number {
    return Math.max(this.generation, this.nextGeneration ?? 0) + 1;
  }

  private journalOutgrown(): boolean {
    const bytes = this.journalBytes ?? 0;
    return bytes >= JOURNAL_MAX_BYTES || bytes >= Math.max(this.snapshotBytes, JOURNAL_MIN_BYTES);
  }

  /**
   * The snapshot of a new generation is in the file: the journal is stale from now on, and until a new one is written
   * none is appended to (a failure between the two steps makes the next write compact again).
   */
  private snapshotWritten(text: string, generation: number): void {
    this.generation = generation;
    this.snapshotBytes = Buffer.byteLength(text);
    this.journalBytes = undefined;
    this.written += this.snapshotBytes;
  }

  /** The journal of the new snapshot is in; a next journal left is stale (of a generation before), and removed. */
  private journalWritten(header: string): void {
    rmSync(nextJournalOf(this.config.stateFile), { force: true });
    this.nextGeneration = undefined;
    this.switchDue = false;
    this.mustCompact = false;
    this.failed = false;
    this.journalBytes = Buffer.byteLength(header);
    this.written += this.journalBytes;
    this.logger.log(
      { file: this.config.stateFile, generation: this.generation, bytes: this.snapshotBytes },
      'state file compacted',
    );
  }
}

function lockLostError(): Error {
  return new Error('the state file lock names another simulator now: this one writes the file no more');
}
