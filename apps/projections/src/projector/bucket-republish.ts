import type { NatsConnection } from '@nats-io/transport-node';
import { JetStreamApiError, jetstreamManager, type Republish } from '@nats-io/jetstream';
import { Logger } from '@nestjs/common';

/** Named as the buckets' own: a server that cannot add `republish` is said by `ReadModelBuckets`. */
const logger = new Logger('ReadModelBuckets');

/**
 * Gives the live document buckets `republish` where an earlier version made them without it. True when all
 * three then publish; false when the server refused to change a stream's `republish` (nats-server before
 * 2.9.12), which is said once in the log with what to do.
 *
 * The update sends the stream's whole config as read, with `republish` added (`jsm.streams.update`), and must:
 * JetStream's stream update replaces the config, and a field left out takes its default (seen on 2.9.10: a body of
 * name, subjects and one change made a history-1 bucket keep every revision, and turned off its rollups and direct
 * gets). What 2.9.10 refuses is the change itself, whatever else is sent ("stream configuration update can not
 * change RePublish", the whole config or name and subjects alone): there, only a bucket made with `republish`
 * publishes.
 */
export async function publishOnChangeSubjects(
  nats: NatsConnection,
  buckets: readonly { readonly bucket: string; readonly republish: Republish }[],
): Promise<boolean> {
  const jsm = await jetstreamManager(nats);
  const refused: string[] = [];
  for (const { bucket, republish } of buckets) {
    const { config } = await jsm.streams.info(`KV_${bucket}`);
    if (config.republish?.src === republish.src && config.republish.dest === republish.dest) continue;
    try {
      await jsm.streams.update(`KV_${bucket}`, { republish });
    } catch (error) {
      if (!isRepublishRefused(error)) throw error;
      refused.push(bucket);
    }
  }
  if (refused.length === 0) return true;
  logger.warn(
    { buckets: refused },
    'this NATS server cannot add publishing to read-model buckets made by an earlier version: the projector ' +
      'publishes the change subjects itself, and a writer paused past its lease may then send an older document ' +
      'after a newer one. Upgrade nats-server, or see docs/operations.md (upgrading) to make the buckets again',
  );
  return false;
}

/** JetStream's "stream configuration invalid" (`JSStreamInvalidConfigF`), which nats.js names no constant for. */
const STREAM_INVALID_CONFIG = 10052;

/** nats-server before 2.9.12 refuses any change of a stream's `republish`, with this configuration error. */
function isRepublishRefused(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === STREAM_INVALID_CONFIG && /republish/i.test(error.message);
}
