export { loadConfig, ConfigError } from './config/load-config';
export {
  BaseAppConfig,
  EnvBool,
  EnvInt,
  TestsOnly,
  withEventStore,
  withNats,
  withDintero,
  intFrom,
  LOG_LEVELS,
  type LogLevel,
} from './config/base-app.config';
export { loggerModule, correlationIdOf, correlationIdFrom, CORRELATION_HEADER } from './logging/logger.module';
export { REDACTED_KEYS, scrubbed } from './logging/scrub';
export { MetricsModule, METRICS_REGISTRY } from './metrics/metrics.module';
export { HealthModule, HEALTH_PROBES, type HealthProbe } from './health/health.module';
export { LOG_SUBSCRIPTIONS, LogSubscriptions } from './log/log-subscriptions';
export { FIRST_START_RETRY_MS, LONGEST_START_RETRY_MS, StartRetries, type StartRefusals } from './log/start-retries';
export { FIRST_WARNING_PAUSE_MS, LONGEST_WARNING_PAUSE_MS, OutageWarnings } from './log/outage-warnings';
export { AnotherLogGuard, ANOTHER_LOG_GUARD } from './nats/another-log-guard';
export { ANOTHER_LOG_CHECK, AnotherLogCheck, AnotherLogGate, ENGINE_STARTING_DOC } from './nats/another-log-check';
export {
  bootstrap,
  createHttpApp,
  listen,
  type BeforeParse,
  type HttpAppOptions,
  type RateLimitClient,
} from './http/create-http-app';
export { operationsModules } from './operations.modules';
export { fieldErrors, validationMessages, type FieldError } from './config/validation-messages';
export {
  ProblemDetailsFilter,
  RequestValidationError,
  STATUS_OF,
  type ProblemDetails,
} from './problem-details/problem-details.filter';
export { RequestValidationPipe, requestValidation } from './problem-details/validation.pipe';
export { ApiProblems, ProblemDetailsView } from './problem-details/api-problems.decorator';
export { rateLimited } from './problem-details/rate-limited';
export { countedFromZero, paymentMetrics, type CountedFromZero, type PaymentMetrics } from './metrics/payment-metrics';
export {
  claimForOperation,
  operationMetadata,
  pollOperation,
  releaseOperation,
  startOperation,
  submitOperation,
} from './terminal-operations/operation-steps';
export { recordDinteroTerminalStatus } from './dintero/terminal-status';
export { dinteroClientProvider, type DinteroConnectionSettings } from './dintero/dintero-client.provider';
export { parseMessage, replyTo, type Reply } from './nats/request-reply';
export { NatsResponders } from './nats/nats-responders';
export {
  aimedAt,
  claimTerminal,
  deviceUnderClaim,
  recordUnderClaim,
  releaseClaim,
  type ClaimRelease,
} from './claims/terminal-claims';
export type { SharedInfrastructure } from './shared-infrastructure';
export { appInfrastructure } from './app-infrastructure';
export { bearerKey, hashApiKey, newApiKey, readKeyFile } from './auth/api-keys';
export { KeyFileWatcher } from './auth/key-file-watcher';
export { keyCommand, namesWhereTyped, type KeyCommand } from './auth/key-command';
export { byKeyHash, inScope, ScopedKeyEntry, scopedKeyEntryProblems, type StoreScope } from './auth/scoped-keys';
export { IsNameToken, IsRequired, QueryInteger } from './validation/request-fields';
export { hashedUuid } from './ids/hashed-uuid';
export { closeAndExitOnStopRequest } from './process/stop-requests';
export { reportStartFailure } from './process/start-failure';
