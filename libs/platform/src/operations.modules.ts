import type { DynamicModule, Provider } from '@nestjs/common';
import { HealthModule, type HealthProbe } from './health/health.module';
import { loggerModule } from './logging/logger.module';
import { MetricsModule } from './metrics/metrics.module';
import type { LogLevel } from './config/base-app.config';

/** What every app imports to be operable: JSON logs, `GET /metrics`, and `GET /health` over its probes. */
export function operationsModules(app: string, logLevel: LogLevel, probes: Provider<HealthProbe[]>): DynamicModule[] {
  return [loggerModule(app, logLevel), MetricsModule.forRoot(app), HealthModule.forRoot(probes)];
}
