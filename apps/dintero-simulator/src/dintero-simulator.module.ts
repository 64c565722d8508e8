import { Module, type DynamicModule } from '@nestjs/common';
import { HEALTH_PROBES, operationsModules } from '@app/platform';
import type { DinteroSimulatorConfig } from './dintero-simulator.config';

@Module({})
export class DinteroSimulatorModule {
  static forRoot(config: DinteroSimulatorConfig): DynamicModule {
    return {
      module: DinteroSimulatorModule,
      imports: [
        // The simulator keeps its state in memory and depends on nothing, so it is healthy when it answers.
        ...operationsModules('dintero-simulator', config.logLevel, { provide: HEALTH_PROBES, useValue: [] }),
      ],
    };
  }
}
