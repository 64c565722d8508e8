import type { KV } from '@nats-io/kv';
import type { LogMark } from '@app/event-store';
import { isRevisionConflict } from '@app/messaging';
import { writeAfterConflict, writeAtKnownRevision, type KnownRevision } from './fenced-write';
import {
  checkpointValue,
  fenced,
  FenceLostError,
  parseCheckpoint,
  readableCheckpoint,
  type Checkpoint,
} from './read-model.entries';

const CHECKPOINT = 'checkpoint';

/**
 * The projector's checkpoint in the state bucket (`payments_projections`, key `checkpoint`), and the claim on it that
 * fences the live documents' writers (`claim`, `assertStillWriter`).
 */
export class ProjectorCheckpoint {
  /** This instance's takeover (`claim`), while it writes the live documents; undefined before. */
  private writer: string | undefined;
  /** The checkpoint's KV revision, as this instance last read or wrote it. */
  private revision: number | undefined;
  private readonly known: KnownRevision = {
    get: () => this.revision,
    set: (revision) => {
      this.revision = revision;
    },
  };

  constructor(
    private readonly state: KV,
    /** The state bucket, read from its stream's leader (`ReadModelBuckets`' constructor says why). */
    private readonly stateAtLeader: KV,
  ) {}

  /**
   * Makes this instance the writer of the live documents, before it writes any (`takeover` names this takeover):
   * the checkpoint is written again with it, at the revision just read. A writer from before that wakes up then
   * finds the claim wherever it reads KV before it writes over another's document or the checkpoint, and stops
   * with `FenceLostError`. Gives the checkpoint as it was.
   */
  async claim(takeover: string): Promise<Checkpoint> {
    const entry = await this.stateAtLeader.get(CHECKPOINT);
    const held = entry?.operation === 'PUT' ? parseCheckpoint(entry) : { position: 0n };
    const value = checkpointValue({ ...held, writer: takeover });
    this.revision = await fenced('the checkpoint', () =>
      entry ? this.state.update(CHECKPOINT, value, entry.revision) : this.state.create(CHECKPOINT, value),
    );
    this.writer = takeover;
    return held;
  }

  /** `FenceLostError` when another takeover than this instance's claimed the checkpoint (see `claim`). */
  async assertStillWriter(): Promise<void> {
    const entry = await this.stateAtLeader.get(CHECKPOINT);
    const claimed = this.writer !== undefined && entry?.operation === 'PUT';
    if (claimed && readableCheckpoint(entry)?.writer !== this.writer) throw new FenceLostError('the checkpoint');
    // Only the writer's own checkpoint is taken as known: a revision learned from another's claim would let
    // this instance's next checkpoint write over it.
    if (entry) this.revision = entry.revision;
  }

  /**
   * The position of the last event whose documents and publications are all done (0 before any), and the
   * identity of the log it is a position in (see `logIdentity`). A checkpoint from before identities were
   * kept has none.
   */
  async read(): Promise<Checkpoint> {
    const entry = await this.stateAtLeader.get(CHECKPOINT);
    if (entry) this.revision = entry.revision;
    if (!entry || entry.operation !== 'PUT') return { position: 0n };
    return parseCheckpoint(entry);
  }

  /**
   * Sets the checkpoint whatever position KV holds: only for adopting a rebuild, whose position may be behind
   * the live one (the projector then applies the events after it again to the rebuilt documents). Fenced on
   * the revision this instance knows.
   */
  async reset(position: bigint, logId: string, adoptions: number, mark?: LogMark, foldVersion?: number): Promise<void> {
    const value = checkpointValue({ position, logId, adoptions, writer: this.writer, mark, foldVersion });
    const revision = this.revision;
    this.revision = await fenced('the checkpoint', () =>
      revision === undefined ? this.state.create(CHECKPOINT, value) : this.state.update(CHECKPOINT, value, revision),
    );
  }

  /**
   * Moves the checkpoint to `position`, fenced as documents are: never back over a further checkpoint of the
   * same log. False when KV already holds one at or past it (another instance got there).
   */
  async save(position: bigint, logId: string, adoptions = 0, mark?: LogMark, foldVersion?: number): Promise<boolean> {
    const value = checkpointValue({ position, logId, adoptions, writer: this.writer, mark, foldVersion });
    try {
      await writeAtKnownRevision(this.state, this.known, CHECKPOINT, value);
      return true;
    } catch (error) {
      if (!isRevisionConflict(error)) throw error;
    }
    const kept = await writeAfterConflict(
      this.state,
      this.known,
      CHECKPOINT,
      value,
      (entry) => {
        const held = readableCheckpoint(entry);
        if (!held) return false; // unreadable: written over
        // Another takeover claimed it since this instance did: this one no longer writes.
        if (this.writer !== undefined && held.writer !== undefined && held.writer !== this.writer)
          throw new FenceLostError('the checkpoint');
        if (held.logId !== logId) return false;
        const heldAdoptions = held.adoptions ?? 0;
        // A later adoption's checkpoint stays, even behind this one: this writer folded the documents before it.
        return heldAdoptions > adoptions || (heldAdoptions === adoptions && held.position >= position);
      },
      // The checkpoint is the claim itself: what `supersedes` read of it is the check.
      async () => undefined,
    );
    return kept === undefined;
  }
}
