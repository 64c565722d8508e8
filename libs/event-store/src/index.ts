export * from './event-store.port';
export * from './event-store.errors';
export { MAX_APPEND_BYTES, MAX_EVENTS_PER_APPEND, MAX_EVENT_BYTES } from './event-validation';
export { createEventStore, type EventStoreOptions } from './create-event-store';
export { DEFAULT_EVENT_STORE_URL, eventStoreUrlOf, sqliteFileOf } from './event-store-url';
export { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite/sqlite-event-store';
// The KurrentDB adapter is made by `createEventStore`, which loads it only for a KurrentDB URL.
export type { KurrentDbEventStore } from './kurrentdb/kurrentdb-event-store';
export { DEFAULT_READ_ALL_TIMEOUT_MS } from './kurrentdb/deadlines';
export { EventStoreModule, eventStoreProbe } from './event-store.module';
export {
  handleCommand,
  readState,
  type HandledCommand,
  type HandleOptions,
  type StreamDecider,
} from './command-handler';
export { StreamNotifier } from './stream-notifier';
export { EventHandlingError, LogFollower, type LogFollowerOptions } from './log-follower';
export { maskedConnectionString } from './kurrentdb/masked-connection-string';
export { existingLogIdentity, logIdentity, LOG_IDENTITY_STREAM } from './log-identity';
export { markGone, markOf, markStands, type LogMark } from './log-mark';
