import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { createEventStore, type EventStoreOptions } from './create-event-store';
import { EVENT_STORE, type EventStore } from './event-store.port';

class EventStoreLifecycle implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Flushes the pending group commit and closes the log after the app stops taking requests. */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/**
 * Binds the adapter chosen by `EVENT_STORE_URL` to the `EVENT_STORE` token, or, where several apps run in one
 * process (`apps/engine`), the one store they share: its owner closes it once every app has stopped.
 */
@Module({})
export class EventStoreModule {
  static forRoot(url: string, shared?: EventStore, options: EventStoreOptions = {}): DynamicModule {
    if (shared)
      return {
        module: EventStoreModule,
        global: true,
        providers: [{ provide: EVENT_STORE, useValue: shared }],
        exports: [EVENT_STORE],
      };
    return {
      module: EventStoreModule,
      global: true,
      providers: [{ provide: EVENT_STORE, useFactory: () => createEventStore(url, options) }, EventStoreLifecycle],
      exports: [EVENT_STORE],
    };
  }
}

/** `GET /health` probe: the log answers a one-event read, and takes writes where it can tell (`checkWritable`). */
export function eventStoreProbe(store: EventStore) {
  return {
    name: 'event-store',
    check: async () => {
      await store.readAll({ limit: 1 });
      await store.checkWritable?.();
    },
  };
}
