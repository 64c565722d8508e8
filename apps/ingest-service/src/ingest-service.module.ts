import { Module, type DynamicModule } from '@nestjs/common';
import { EVENT_STORE, EventStoreModule, eventStoreProbe, type EventStore } from '@app/event-store';
import { HEALTH_PROBES, operationsModules } from '@app/platform';
import type { IngestServiceConfig } from './ingest-service.config';

@Module({})
export class IngestServiceModule {
  static forRoot(config: IngestServiceConfig): DynamicModule {
    return {
      module: IngestServiceModule,
      imports: [
        EventStoreModule.forRoot(config.eventStoreUrl),
        ...operationsModules('ingest-service', config.logLevel, {
          provide: HEALTH_PROBES,
          inject: [EVENT_STORE],
          useFactory: (store: EventStore) => [eventStoreProbe(store)],
        }),
      ],
    };
  }
}
