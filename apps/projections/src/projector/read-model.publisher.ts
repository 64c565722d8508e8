import type { NatsConnection } from '@nats-io/transport-node';
import type { RecordedEvent } from '@app/event-store';
import { natsNames } from '@app/messaging';
import type { ActivityItem } from '../read-models/activity';
import type { Change } from '../read-models/read-model.types';
import { stringField } from '../read-models/string-field';
import type { EventFeed } from './event-feed';
import type { ReadModelBuckets } from './read-model.buckets';

/**
 * What the writer publishes besides the documents: the ends of a flush on the dashboard's activity subject, the
 * documents on their change subjects where NATS does not, and the batch's events to the feed, each once per process.
 */
export class ReadModelPublisher {
  /**
   * Every event up to this position went to the feed from this process, in whole batches. Folding again from an
   * earlier position (a rebuild adopted, KV gone back) does not send those again: JetStream's message ids catch a
   * repeat only within the feed's duplicate window (15 minutes), and an adoption may come later than that.
   */
  private feedThrough = 0n;

  constructor(
    private readonly nats: NatsConnection,
    private readonly natsPrefix: string,
    private readonly buckets: ReadModelBuckets,
    private readonly feed: EventFeed,
  ) {}

  /**
   * Publishes documents on their change subjects where NATS does not (buckets an earlier version made, on a
   * server that cannot add `republish` to them: `ReadModelBuckets.open`). With the documents written, those KV
   * had newer are published again too: an instance that lost its lease may have written them unpublished.
   */
  publishChanges(changes: readonly Change[]): void {
    if (this.buckets.publishedByNats) return;
    const names = natsNames(this.natsPrefix);
    for (const change of changes) this.nats.publish(changeSubject(names, change), JSON.stringify(change.doc));
  }

  /**
   * Each end of a flush on the dashboard's activity subject (before its documents are written: see
   * `ReadModelWriter.flush`): the dashboard of every instance lists them, an end told twice as one item. Not kept:
   * an open dashboard's list.
   */
  publishEnds(ends: readonly ActivityItem[]): void {
    const names = natsNames(this.natsPrefix);
    for (const end of ends) this.nats.publish(names.changes.activity(end.storeId), JSON.stringify(end));
  }

  /** The events of a batch this process has not sent to the feed yet (`feedThrough`), in log order. */
  async publishToFeed(events: readonly RecordedEvent[]): Promise<void> {
    const fresh = events.filter((event) => event.position > this.feedThrough);
    if (fresh.length === 0) return;
    await this.feed.publish(fresh, (event) => locate(event));
    this.feedThrough = fresh[fresh.length - 1]!.position;
  }
}

/** The store and terminal an event is about, for its feed subject. */
function locate(event: RecordedEvent): { storeId: string; terminalId: string } {
  // A terminal's claims and releases name the terminal's store in their data; their metadata names the request's,
  // which for a refund at another store's terminal is the payment's store.
  const terminalFirst = event.streamName.startsWith('terminal-');
  const of = (name: string) =>
    (terminalFirst ? stringField(event.data, name) : undefined) ??
    stringField(event.metadata, name) ??
    stringField(event.data, name) ??
    '_';
  return { storeId: of('storeId'), terminalId: of('terminalId') };
}

function changeSubject(names: ReturnType<typeof natsNames>, change: Change): string {
  switch (change.model) {
    case 'terminal':
      return names.changes.terminal(change.doc.storeId, change.doc.terminalId);
    case 'store':
      return names.changes.store(change.doc.storeId);
    case 'store-day':
      return names.changes.storeDay(change.doc.storeId, change.doc.date);
  }
}
