import { Module, type DynamicModule } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVENT_STORE, EventStoreModule, eventStoreProbe, type EventStore } from '@app/event-store';
import { NATS_CONNECTION, NatsModule, natsProbe } from '@app/messaging';
import { HEALTH_PROBES, operationsModules, type SharedInfrastructure } from '@app/platform';
import { DashboardController } from './dashboard/dashboard.controller';
import { DashboardService } from './dashboard/dashboard.service';
import { PROJECTIONS_CONFIG, type ProjectionsConfig } from './projections.config';
import { ProjectorService } from './projector/projector.service';
import { QueriesService } from './queries/queries.service';

@Module({})
export class ProjectionsModule {
  static forRoot(config: ProjectionsConfig, shared: SharedInfrastructure = {}): DynamicModule {
    return {
      module: ProjectionsModule,
      imports: [
        EventStoreModule.forRoot(config.eventStoreUrl, shared.eventStore),
        NatsModule.forRoot(config.natsUrl, 'projections', shared.nats),
        ...operationsModules(
          'projections',
          config.logLevel,
          {
            provide: HEALTH_PROBES,
            inject: [EVENT_STORE, NATS_CONNECTION],
            useFactory: (store: EventStore, nats: NatsConnection) => [eventStoreProbe(store), natsProbe(nats)],
          },
          shared.logName,
        ),
      ],
      controllers: [DashboardController],
      providers: [
        { provide: PROJECTIONS_CONFIG, useValue: config },
        ProjectorService,
        QueriesService,
        DashboardService,
      ],
    };
  }
}
