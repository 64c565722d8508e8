import type { Logger } from '@nestjs/common';
import { markOf, type EventStore, type RecordedEvent } from '@app/event-store';
import type { ProjectionsConfig } from '../projections.config';
import type { ReadModelProjector } from '../read-models/read-model.projector';
import { applyFromLog } from '../read-models/apply-from-log';
import type { Change } from '../read-models/read-model.types';
import type { FoldVersionWatch } from './fold-version.watch';
import type { ProjectorState } from './projector.state';
import { FenceLostError, type FencedPut } from './read-model.buckets';
import type { StoreDayQueries } from './store-day.queries';

/** What the writer asks of the service that composes it. */
export interface WriterHooks {
  /** Stops writing: another instance holds the lease (`ProjectorService.standBy`). */
  standBy(): void;
  /** A document from KV into the fold; one that cannot be read is left out (`ProjectorService.load`). */
  load(projector: ReadModelProjector, change: Change): void;
}

/**
 * Folds each event the follower hands over into the state's projector and batch, and flushes the batch: the
 * documents, their change subjects, the feed, then the checkpoint, one flush at a time in the state's chain.
 */
export class ReadModelWriter {
  private flushScheduled = false;
  /** Flushes failed in a row, for the pause before the next try. */
  private failedFlushes = 0;

  constructor(
    private readonly state: ProjectorState,
    private readonly store: EventStore,
    private readonly config: ProjectionsConfig,
    private readonly logger: Logger,
    private readonly foldVersions: FoldVersionWatch,
    private readonly storeDays: StoreDayQueries,
    private readonly hooks: WriterHooks,
  ) {}

  async apply(event: RecordedEvent): Promise<void> {
    this.state.applying = true;
    try {
      await applyFromLog(
        this.store,
        this.state.projector,
        [event],
        (change) => this.state.pending.set(`${change.model}:${change.key}`, change),
        this.storeDays.readDay,
      );
    } finally {
      this.state.applying = false;
    }
    this.state.pendingEvents.push(event);
    this.state.folded = event.position;
    this.state.foldedEvent = event;
    if (this.state.pendingEvents.length >= this.config.batchSize) await this.flush();
    else this.scheduleFlush();
  }

  /** After the events already here are applied: a batch is everything that arrived in one turn. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush().catch((error: unknown) => this.logger.error({ err: error }, 'flush failed'));
    });
  }

  /**
   * One flush at a time, in order: documents, change subjects, feed, then the checkpoint. A flush that
   * fails (NATS restarting, say) keeps its batch, under any newer changes of the same documents, and is
   * tried again with a growing pause: the projector waits for NATS instead of dropping documents, and the
   * chain of flushes never stays broken.
   */
  flush(): Promise<void> {
    this.state.flushing = this.state.flushing.then(async () => {
      // While a rebuild is copied, a flush tried again waits: its batch is of the documents being replaced.
      if (this.state.pendingEvents.length === 0 || this.state.copying) return;
      const changes = this.state.pending;
      const events = this.state.pendingEvents;
      const ends = this.state.pendingEnds;
      this.state.pending = new Map();
      this.state.pendingEvents = [];
      this.state.pendingEnds = [];
      const position = events[events.length - 1]!.position;
      // A standby folds and writes nothing; so does a leader whose lease ran out by its own clock (it was
      // paused): it renews or stands by at the next turn of `ProjectorLeadership.contend`, and takes over again
      // from KV if need be.
      if (!this.state.leader || !this.state.lease!.holds()) {
        if (this.state.leader) this.hooks.standBy();
        this.state.checkpoint = position;
        return;
      }
      try {
        // Before the documents: a crash after them folds the batch again from KV, where each terminal shows only
        // its last end, and tells none of them again. An end told twice is one item to the dashboard.
        this.state.publisher!.publishEnds(ends);
        const put = await this.state.buckets!.putFenced(changes.values());
        this.takeNewer(put);
        await this.state.index!.put(events);
        this.faultPoint('after the documents, before the feed');
        if (!this.state.lease!.holds()) {
          // The lease ran out during the writes (this process was paused): the documents are in KV, but their
          // events are not in the feed nor behind the checkpoint, so the instance that takes over sends them.
          this.hooks.standBy();
          this.state.checkpoint = position;
          return;
        }
        this.state.publisher!.publishChanges([...put.written, ...put.newer]);
        await this.state.publisher!.publishToFeed(events);
        this.faultPoint('after the feed, before the checkpoint');
        const mark = markOf(events[events.length - 1]!);
        await this.state.saveCheckpoint(position, mark, this.foldVersions.foldVersion);
        this.failedFlushes = 0;
        // Past store days in KV now leave memory (a standby's once the writer's checkpoint shows them in KV:
        // `ProjectorLeadership.retireAsStandby`).
        this.state.projector.retirePastDays(position);
        this.state.droppedUpTo = position;
      } catch (error) {
        if (error instanceof FenceLostError) {
          // Another instance took over while this one was paused: it writes from its own fold; this one stands by.
          this.logger.warn({ err: error }, 'another instance writes the read models now');
          this.hooks.standBy();
          this.state.checkpoint = position;
          return;
        }
        for (const [key, change] of changes) if (!this.state.pending.has(key)) this.state.pending.set(key, change);
        this.state.pendingEvents = [...events, ...this.state.pendingEvents];
        this.failedFlushes += 1;
        const retryMs = Math.min(100 * 2 ** this.failedFlushes, 5_000);
        this.logger.warn({ err: error, attempt: this.failedFlushes, retryMs }, 'could not write the read models');
        if (!this.state.stopped) setTimeout(() => this.scheduleFlush(), retryMs);
      }
    });
    return this.state.flushing;
  }

  /**
   * Crash tests only (`PROJECTIONS_FAULT_RATE`): die here, as a power cut would, with that probability. Only
   * once caught up to the log's head at start, so that a restarted instance gets to answer before it may
   * die again: the crash test's kills then land inside live flushes, not only during catch-up.
   */
  private faultPoint(where: string): void {
    if (this.config.faultRate === 0 || this.state.checkpoint < this.state.bootHead) return;
    if (Math.random() >= this.config.faultRate) return;
    process.stderr.write(`fault point: killed ${where}\n`);
    process.kill(process.pid, 'SIGKILL');
  }

  /**
   * Takes into the fold the documents KV had at the same or a later position than this instance's (another
   * writer got there first). KV published them when it took them.
   */
  takeNewer({ newer }: FencedPut): void {
    for (const change of newer) this.hooks.load(this.state.projector, change);
  }
}
