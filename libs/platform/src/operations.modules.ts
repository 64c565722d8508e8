import type { DynamicModule, Provider } from '@nestjs/common';
import { HealthModule, type HealthProbe } from './health/health.module';
import { loggerModule } from './logging/logger.module';
import { MetricsModule } from './metrics/metrics.module';
import type { LogLevel } from './config/base-app.config';

/**
 * What every app imports to be operable: JSON logs, `GET /metrics`, and `GET /health` over its probes.
 * `logName` names the log lines: the app's name, or the process's where several apps share one
 * (`apps/engine`): nestjs-pino keeps one pino instance per process, so they share its name too, and each
 * line's `context` says which part of which app wrote it.
 */
export function operationsModules(
  app: string,
  logLevel: LogLevel,
  probes: Provider<HealthProbe[]>,
  logName: string = app,
): DynamicModule[] {
  return [loggerModule(logName, logLevel), MetricsModule.forRoot(app), HealthModule.forRoot(probes)];
}
