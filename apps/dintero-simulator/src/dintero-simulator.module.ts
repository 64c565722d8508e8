import { Module, type DynamicModule } from '@nestjs/common';
import { HEALTH_PROBES, HealthModule, MetricsModule, loggerModule } from '@app/platform';
import type { DinteroSimulatorConfig } from './dintero-simulator.config';

@Module({})
export class DinteroSimulatorModule {
  static forRoot(config: DinteroSimulatorConfig): DynamicModule {
    return {
      module: DinteroSimulatorModule,
      imports: [
        loggerModule('dintero-simulator', config.logLevel),
        MetricsModule.forRoot('dintero-simulator'),
        // The simulator keeps its state in memory and depends on nothing, so it is healthy when it answers.
        HealthModule.forRoot({ provide: HEALTH_PROBES, useValue: [] }),
      ],
    };
  }
}
