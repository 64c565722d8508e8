import { Module, type DynamicModule } from '@nestjs/common';
import { appInfrastructure, type SharedInfrastructure } from '@app/platform';
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
      imports: appInfrastructure('projections', config, shared),
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
