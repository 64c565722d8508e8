import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { appInfrastructure, ProblemDetailsFilter, requestValidation, type SharedInfrastructure } from '@app/platform';
import { DashboardController } from './dashboard/dashboard.controller';
import { DashboardService } from './dashboard/dashboard.service';
import { DashboardSlash } from './dashboard/dashboard-slash';
import { OperatorGuard } from './operators/operator.guard';
import { OperatorSessions } from './operators/operator-sessions';
import { OperatorsReloader } from './operators/operators.reloader';
import { SignedOutSessions } from './operators/signed-out-sessions';
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
        DashboardSlash,
        SignedOutSessions,
        OperatorSessions,
        OperatorsReloader,
        OperatorGuard,
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useValue: requestValidation },
      ],
    };
  }
}
