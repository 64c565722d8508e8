import type { NatsConnection } from '@nats-io/transport-node';
import { DiscardPolicy, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import type { RecordedEvent } from '@app/event-store';
import { conformStream, isSubjectToken, JetStreamBatchPublisher, natsNames, streamReplicas } from '@app/messaging';

/** How long JetStream remembers a message id: a replay after a crash within it publishes nothing twice. */
const DUPLICATE_WINDOW_NS = 15 * 60 * 1e9;
const PUBLISH_WINDOW = 1_000;

/** How long the feed keeps events and how much of them, at most: the oldest go first. */
export interface FeedLimits {
  readonly maxAgeHours: number;
  readonly maxMib: number;
}

/**
 * The integration feed (docs/design.md): every event once on JetStream stream `PAYMENTS_EVENTS`, subject
 * `payments.v1.events.{storeId}.{terminalId}.{type}`, with the event id as message id. Events about a
 * whole store carry `_` as the terminal. The stream is bounded by age and size (`EVENT_FEED_MAX_AGE_HOURS`,
 * `EVENT_FEED_MAX_MIB`), applied to an existing stream too; the log, not the feed, is the history.
 */
export class EventFeed {
  private constructor(
    private readonly publisher: JetStreamBatchPublisher,
    private readonly names: ReturnType<typeof natsNames>,
  ) {}

  /**
   * `replicas`: on how many servers of the NATS cluster the stream is kept (`NATS_REPLICAS`); unset, a new stream is
   * made with one and one that exists keeps its count.
   */
  static async open(
    nats: NatsConnection,
    prefix: string,
    limits: FeedLimits,
    replicas: number | undefined,
  ): Promise<EventFeed> {
    const names = natsNames(prefix);
    const jsm = await jetstreamManager(nats);
    const bounds = {
      max_age: limits.maxAgeHours * 3600 * 1e9,
      max_bytes: limits.maxMib * 1024 * 1024,
      discard: DiscardPolicy.Old,
    };
    const existing = await jsm.streams.info(names.events.stream).catch(() => undefined);
    try {
      if (!existing) {
        await jsm.streams.add({
          name: names.events.stream,
          subjects: [names.events.all],
          duplicate_window: DUPLICATE_WINDOW_NS,
          ...bounds,
          ...(replicas === undefined ? {} : streamReplicas(replicas)),
        });
      }
      // The count and the bounds together, read back until they stay: another instance starting beside this one
      // may be making or raising it, and sends back the config it read (`conformStream`).
      await conformStream(nats, names.events.stream, {
        replicas,
        settings: (config) =>
          config.max_age !== bounds.max_age || config.max_bytes !== bounds.max_bytes ? { ...bounds } : {},
      });
    } catch (error) {
      throw storageRefusal(error, names.events.stream, limits.maxMib) ?? error;
    }
    return new EventFeed(JetStreamBatchPublisher.of(nats), names);
  }

  async publish(
    events: readonly RecordedEvent[],
    locate: (event: RecordedEvent) => { storeId: string; terminalId: string },
  ): Promise<void> {
    // Pipelined, a window at a time: acks are awaited together, and a large catch-up batch is not all
    // in flight (and in memory) at once.
    for (let start = 0; start < events.length; start += PUBLISH_WINDOW) {
      await this.publisher.publish(
        events.slice(start, start + PUBLISH_WINDOW).map((event) => {
          const { storeId, terminalId } = locate(event);
          const subject = this.names.events.subject(
            isSubjectToken(storeId) ? storeId : '_',
            isSubjectToken(terminalId) ? terminalId : '_',
            event.type,
          );
          const message = { ...event, position: event.position.toString() };
          return { subject, data: JSON.stringify(message), msgId: event.id };
        }),
      );
    }
  }
}

/** JetStream's "insufficient storage resources available" (`JSStorageResourcesExceededErr`), unnamed in nats.js. */
const STORAGE_RESOURCES_EXCEEDED = 10047;

/**
 * The server's refusal to reserve the feed's size, said in the engine's terms: which setting asks for how much,
 * and what to change. JetStream reserves a stream's whole `max_bytes` when it is made or resized, however little
 * the stream holds.
 */
function storageRefusal(error: unknown, stream: string, maxMib: number): Error | undefined {
  if (!(error instanceof JetStreamApiError) || error.code !== STORAGE_RESOURCES_EXCEEDED) return undefined;
  return new Error(
    `NATS JetStream cannot reserve ${maxMib} MiB for the event feed ${stream} (EVENT_FEED_MAX_MIB): its file ` +
      'storage is smaller, or other streams have reserved it. Lower EVENT_FEED_MAX_MIB, or give the server more ' +
      '(jetstream max_file_store)',
    { cause: error },
  );
}
