export { loadConfig, ConfigError } from './config/load-config';
export {
  BaseAppConfig,
  EnvInt,
  withEventStore,
  withNats,
  toInt,
  LOG_LEVELS,
  type LogLevel,
} from './config/base-app.config';
export { loggerModule, correlationIdOf, REDACTED_PATHS } from './logging/logger.module';
export { MetricsModule, METRICS_REGISTRY } from './metrics/metrics.module';
export { HealthModule, HEALTH_PROBES, type HealthProbe } from './health/health.module';
export { bootstrap, createHttpApp, listen, type HttpAppOptions } from './http/create-http-app';
export { operationsModules } from './operations.modules';
export { validationMessages } from './config/validation-messages';
