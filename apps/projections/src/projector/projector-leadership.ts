import type { Logger } from '@nestjs/common';
import { markOf, type EventStore, type LogMark } from '@app/event-store';
import type { PaymentMetrics } from '@app/platform';
import { ReadModelProjector } from '../read-models/read-model.projector';
import type { FoldVersionWatch } from './fold-version.watch';
import { PROJECTED_STREAMS } from './projected-streams';
import type { ProjectorState } from './projector.state';
import type { Checkpoint, FencedPut } from './read-model.buckets';

/** What the leadership asks of the service that composes it. */
export interface LeadershipHooks {
  /** Whether the log is being followed now. */
  following(): boolean;
  startFollowing(): void;
  /** Stops following the log, and flushes what it folded. */
  stopFollowing(): Promise<void>;
  /** A projector holding what KV holds (`ProjectorService.projectorFromKv`). */
  projectorFromKv(): Promise<ReadModelProjector>;
  /** The projector, its ends collected for the next flush (`ProjectorService.tellingEnds`). */
  tellingEnds(projector: ReadModelProjector): ReadModelProjector;
  /** Documents KV had newer, into the fold (`ReadModelWriter.takeNewer`). */
  takeNewer(put: FencedPut): void;
  /** Adopts a rebuild already waiting (`RebuildAdoption.adoptWaiting`). */
  adoptWaiting(): Promise<void>;
}

/**
 * Which instance writes the read models: the projector lease contended for on every turn, the takeover of the
 * writing when it is won (folding again first when KV went back), standing by when it is lost, and a standby's
 * retiring of past days the writer has written.
 */
export class ProjectorLeadership {
  /** How many times this instance took over the writing: with its lease holder, each takeover's name. */
  private takeovers = 0;
  private contending = false;
  /** A takeover under way (`lead`). */
  private leading = false;

  constructor(
    private readonly state: ProjectorState,
    private readonly store: EventStore,
    private readonly metrics: PaymentMetrics,
    private readonly logger: Logger,
    private readonly foldVersions: FoldVersionWatch,
    private readonly hooks: LeadershipHooks,
  ) {}

  /**
   * Takes or renews the lease; takes over the writing when it is won, stands by when it is lost. A takeover
   * runs beside the renewals (it may publish a long backlog), awaited only at start-up (`wait`). True when NATS was
   * asked and answered; false when nothing was asked (stopping, or the last bid still under way, as during an outage
   * whose requests time out), which tells nothing of whether NATS answers (`LeaseCampaign`).
   */
  async contend(wait = false): Promise<boolean> {
    if (this.state.stopped || this.contending) return false;
    this.contending = true;
    try {
      const held = await this.state.lease!.acquire();
      if (held && !this.state.leader && !this.leading) {
        this.leading = true;
        const taking = this.lead().finally(() => (this.leading = false));
        if (wait) await taking;
      } else if (!held && this.state.leader) this.standBy();
      else if (!held && !this.leading) this.retireAsStandby();
      return true;
    } finally {
      this.contending = false;
    }
  }

  /**
   * Takes over the writing, in the chain of flushes: what this instance folded past the checkpoint in KV is
   * written now (the documents changed since, fenced; the feed and the payment index from the log), the
   * checkpoint is moved, and a rebuild waiting to be adopted is adopted.
   */
  private lead(): Promise<void> {
    let foldAgain: 'from-kv' | 'from-0' | undefined;
    this.state.flushing = this.state.flushing
      .then(async () => {
        if (this.state.stopped || !this.state.lease!.holds()) return;
        const buckets = this.state.buckets!;
        // Claimed before any write: a writer from before that wakes up finds the claim and stops (`claim`).
        const saved = await buckets.claim(`${this.state.lease!.holder}#${++this.takeovers}`);
        const stale = this.state.staleMark !== undefined && sameMark(saved.mark, this.state.staleMark);
        const sameLog =
          !stale && (saved.logId === undefined ? !this.state.replacedAtBoot : saved.logId === this.state.logId);
        // Another instance adopted a rebuild since this one loaded its documents: what this one folded on from
        // them is not what KV holds. Fold again from KV before writing.
        if (sameLog && (saved.adoptions ?? 0) !== this.state.adoptions) {
          foldAgain = 'from-kv';
          return;
        }
        // Days this instance dropped, writing before, that KV may no longer hold as it folded them: KV went
        // back (a rebuild adopted by another instance), or holds another log. Fold again before writing.
        if (this.state.droppedUpTo > 0n && (!sameLog || saved.position < this.state.droppedUpTo)) {
          foldAgain = sameLog ? 'from-kv' : 'from-0';
          return;
        }
        // Everything folded until now is written here; what is applied meanwhile goes to the next flush.
        const upTo = this.state.folded;
        const documents = this.state.projector.documents();
        const ends = this.state.pendingEnds;
        this.state.pending = new Map();
        this.state.pendingEvents = [];
        this.state.pendingEnds = [];
        const from = sameLog ? saved.position : 0n;
        // Replacing them, this instance writes documents of its own fold, from nothing.
        this.foldVersions.note(from, sameLog ? saved.foldVersion : undefined);
        this.state.publisher!.publishEnds(ends);
        if (sameLog) {
          const put = await buckets.putFenced(documents.filter((change) => BigInt(change.doc.position) > from));
          this.hooks.takeNewer(put);
          this.state.publisher!.publishChanges([...put.written, ...put.newer]);
        } else {
          // Unfenced (the other log's documents go): only while the lease still holds by this clock.
          if (!this.state.lease!.holds()) return;
          await buckets.replaceAll(documents);
          this.state.kvOfThisLog = true;
          this.state.publisher!.publishChanges(documents);
        }
        for (let after = from; after < upTo && this.state.lease!.holds();) {
          const page = (await this.store.readAll({ after, limit: 1_000, streamPrefixes: PROJECTED_STREAMS })).filter(
            (event) => event.position <= upTo,
          );
          if (page.length === 0) break;
          await this.state.index!.put(page);
          await this.state.publisher!.publishToFeed(page);
          after = page[page.length - 1]!.position;
        }
        // Lost meanwhile (a long backlog, a pause): the next holder takes over from KV's checkpoint.
        if (!this.state.lease!.holds()) return;
        const mark = this.state.foldedEvent?.position === upTo ? markOf(this.state.foldedEvent) : undefined;
        if (stale) {
          // The restored log's checkpoint goes over the one of the log as it was (its position may be past this
          // one's); counted as an adoption, so that an instance holding the old documents folds again from KV.
          this.state.adoptions = (saved.adoptions ?? 0) + 1;
          await buckets.resetCheckpoint(
            upTo,
            this.state.logId,
            this.state.adoptions,
            mark,
            this.foldVersions.foldVersion,
          );
          this.state.staleMark = undefined;
          this.state.published(upTo);
        } else if (upTo > from || !sameLog) await this.state.saveCheckpoint(upTo, mark, this.foldVersions.foldVersion);
        // Nothing folded past KV's checkpoint, which is this log's: it stands as it is.
        else this.state.published(upTo);
        this.state.leader = true;
        this.metrics.projectorLeader.set(1);
        this.logger.log(
          { holder: this.state.lease!.holder, from: from.toString(), position: upTo.toString() },
          'took the projector lease: this instance writes the read models',
        );
      })
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not take over the read models'));
    // Outside the chain of flushes, which folding again stops and starts; the next turn of `contend` leads. A fold
    // again that fails is said here: outside the campaign's catch (a takeover runs beside it), it was an unhandled
    // rejection.
    return this.state.flushing.then(() =>
      foldAgain
        ? this.foldAgain(foldAgain).catch((error: unknown) =>
            this.logger.warn(
              { err: error, from: foldAgain },
              'could not fold the read models again: tried again at the next turn',
            ),
          )
        : this.hooks.adoptWaiting(),
    );
  }

  /**
   * Folds the log again, as a new instance would: from KV's documents and checkpoint (`from-kv`), or from
   * position 0 when KV holds another log's (`from-0`, replaced when this instance writes).
   */
  private async foldAgain(from: 'from-kv' | 'from-0'): Promise<void> {
    this.logger.warn(
      { droppedUpTo: this.state.droppedUpTo.toString(), from },
      'the read models in KV went back past store days this instance had dropped from memory: folding again',
    );
    try {
      await this.hooks.stopFollowing();
      // Read first, taken only once all is read: a read NATS fails leaves the fold and its adoptions as they were, so
      // that the next takeover folds again rather than write what this instance folded before the adoption.
      const saved = await this.state.buckets!.checkpoint();
      const projector = from === 'from-kv' ? await this.hooks.projectorFromKv() : new ReadModelProjector();
      this.take(from, saved, projector);
    } finally {
      // Folded again or not, the log is followed again: after a failed read, from where it was (the next takeover folds
      // again), rather than the lease held with nothing following.
      if (!this.state.stopped && !this.hooks.following()) this.hooks.startFollowing();
    }
  }

  /** The fold taken again (`foldAgain`), from KV's checkpoint and documents or from position 0. */
  private take(from: 'from-kv' | 'from-0', saved: Checkpoint, projector: ReadModelProjector): void {
    this.state.adoptions = from === 'from-kv' ? (saved.adoptions ?? 0) : 0;
    if (from === 'from-kv') this.foldVersions.note(saved.position, saved.foldVersion);
    else this.foldVersions.note(0n, undefined);
    this.state.projector = this.hooks.tellingEnds(projector);
    this.state.replacedAtBoot = from === 'from-0';
    this.state.kvOfThisLog = from === 'from-kv';
    // At least as far as this instance had folded: the log's head would cost a read here.
    this.state.foldingFrom0To = from === 'from-0' ? this.state.folded : undefined;
    this.state.checkpoint = from === 'from-kv' ? saved.position : 0n;
    this.state.stored = this.state.checkpoint;
    this.state.folded = this.state.checkpoint;
    this.state.droppedUpTo = 0n;
  }

  /**
   * Past store days leave a standby's memory too, once the writer's checkpoint shows them in KV: a standby folds and
   * writes nothing, and kept every day it ever folded, for as long as it stood by. Only days the writer has written
   * since the documents this instance folded on (the same log, no rebuild adopted since: else a takeover folds again
   * from KV anyway), and no further than this instance has folded; a day needed again is read back, as a writer's is.
   * In the chain of flushes, as a writer retires its days.
   */
  private retireAsStandby(): void {
    this.state.flushing = this.state.flushing.then(async () => {
      if (this.state.leader || this.state.stopped || !this.state.buckets) return;
      try {
        const saved = await this.state.buckets.checkpoint();
        // Started over another log's read models, which the writer has replaced since with this log's (its checkpoint
        // names this log, and not at the event of the log as it was before a restore): a day not held is read from KV,
        // where it would otherwise stay unknown, answered 503, for as long as this instance stands by.
        if (!this.state.kvOfThisLog) {
          if (saved.logId !== this.state.logId || (this.state.staleMark && sameMark(saved.mark, this.state.staleMark)))
            return;
          this.state.kvOfThisLog = true;
        }
        if (saved.logId === this.state.logId) {
          this.state.stored = saved.position;
          this.foldVersions.note(saved.position, saved.foldVersion);
        }
        if (saved.logId !== this.state.logId || (saved.adoptions ?? 0) !== this.state.adoptions) return;
        // Not while an event is being applied: a past day it has just read back (awaiting another) would go again.
        if (this.state.applying) return;
        this.state.projector.retirePastDays(
          saved.position < this.state.checkpoint ? saved.position : this.state.checkpoint,
        );
      } catch (error) {
        this.logger.warn({ err: error }, 'could not read the writer’s checkpoint: past days kept for now');
      }
    });
  }

  /** Stops writing: another instance holds the lease. This one keeps folding, ready to take over. */
  standBy(): void {
    this.state.leader = false;
    this.metrics.projectorLeader.set(0);
    this.logger.warn({ holder: this.state.lease!.holder }, 'lost the projector lease: standing by');
  }
}

/** Whether two checkpoints' marks name the same event. */
function sameMark(a: LogMark | undefined, b: LogMark): boolean {
  return a !== undefined && a.eventId === b.eventId && a.streamName === b.streamName && a.revision === b.revision;
}
