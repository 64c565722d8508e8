import type { DynamicModule, INestApplication } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { Logger } from 'nestjs-pino';
import { createEventStore, type EventStore } from '@app/event-store';
import { connectChecked } from '@app/messaging';
import {
  AnotherLogCheck,
  ConfigError,
  createHttpApp,
  listen,
  loadConfig,
  type BaseAppConfig,
  type HttpAppOptions,
  type SharedInfrastructure,
} from '@app/platform';
import { COMMAND_HTTP_APP } from '../../command-service/src/command-http-app';
import { CommandServiceConfig } from '../../command-service/src/command-service.config';
import { CommandServiceModule } from '../../command-service/src/command-service.module';
import { INGEST_HTTP_APP } from '../../ingest-service/src/ingest-http-app';
import { IngestServiceConfig } from '../../ingest-service/src/ingest-service.config';
import { IngestServiceModule } from '../../ingest-service/src/ingest-service.module';
import { PROJECTIONS_HTTP_APP } from '../../projections/src/projections-http-app';
import { ProjectionsConfig } from '../../projections/src/projections.config';
import { ProjectionsModule } from '../../projections/src/projections.module';

export interface RunningEngine {
  /** Each app's base URL, on its own documented port. */
  readonly urls: { readonly command: string; readonly ingest: string; readonly projections: string };
  readonly logger: Logger;
  /** Stops taking requests (POS first, then the read models, then Dintero's), commits and closes the log, drains NATS. */
  close(): Promise<void>;
}

/**
 * Settings whose default is ingest's own (Dintero's webhooks carry a whole transaction, and come in bursts): in the
 * engine ingest takes them from its own variables (`INGEST_HTTP_BODY_LIMIT`, …), or keeps its defaults. Taken from
 * the shared ones, a limit set for the POS API replaced ingest's larger one, and a large basket's webhook was refused
 * at every retry.
 */
const INGEST_OWN = ['HTTP_BODY_LIMIT', 'HTTP_RATE_LIMIT_PER_MINUTE'] as const;

/**
 * Each app's configuration from the one environment: the shared settings as they are, and `PORT` from the
 * app's own variable (`COMMAND_SERVICE_PORT`, `INGEST_SERVICE_PORT`, `PROJECTIONS_PORT`) or the app's
 * default (3000, 3001, 3002). A bare `PORT` would name three ports at once, so it is not used here. Ingest's
 * own settings (`INGEST_OWN`) from `INGEST_`-named variables.
 */
function appEnv(env: NodeJS.ProcessEnv, portVariable: string): NodeJS.ProcessEnv {
  const { PORT: _ignored, ...rest } = env;
  const port = env[portVariable];
  const own: NodeJS.ProcessEnv = port === undefined ? rest : { ...rest, PORT: port };
  if (portVariable !== 'INGEST_SERVICE_PORT') return own;
  for (const name of INGEST_OWN) {
    delete own[name];
    const value = env[`INGEST_${name}`];
    if (value !== undefined) own[name] = value;
  }
  return own;
}

/** A problem with one app's setting, named by the variable that was set for it. */
function asSet(problem: string, portVariable: string): string {
  const named = problem.replace(/\bPORT\b/g, portVariable);
  if (portVariable !== 'INGEST_SERVICE_PORT') return named;
  return INGEST_OWN.reduce((text, name) => text.replace(new RegExp(`\\b${name}\\b`, 'g'), `INGEST_${name}`), named);
}

/**
 * The three apps' configurations, or one `ConfigError` with every problem of all three: a bad setting of one
 * app does not hide another's, a shared one is named once, and a bad port by the variable that was set
 * (`COMMAND_SERVICE_PORT`, not the `PORT` it becomes).
 */
export function loadConfigs(env: NodeJS.ProcessEnv) {
  const problems: string[] = [];
  const load = <Config extends object>(schema: new () => Config, portVariable: string): Config | undefined => {
    try {
      return loadConfig(schema, appEnv(env, portVariable));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems.map((problem) => asSet(problem, portVariable)));
      return undefined;
    }
  };
  const command = load(CommandServiceConfig, 'COMMAND_SERVICE_PORT');
  const ingest = load(IngestServiceConfig, 'INGEST_SERVICE_PORT');
  const projections = load(ProjectionsConfig, 'PROJECTIONS_PORT');
  if (!command || !ingest || !projections) throw new ConfigError([...new Set(problems)]);
  return { command, ingest, projections };
}

/**
 * The embedded default as one process: the command service, ingest and projections, each its own Nest app on
 * its own port with its own logs, metrics and health, sharing one event store (one SQLite writer for the
 * file) and one NATS connection. Each app still builds and runs alone, as compose runs them on KurrentDB.
 * `log`, when given, is the log the apps share (a test's, with faults injected), left open at `close`; else the
 * engine opens `EVENT_STORE_URL`'s, and closes it.
 */
export async function startEngine(env: NodeJS.ProcessEnv, log?: EventStore): Promise<RunningEngine> {
  const configs = loadConfigs(env);
  const eventStore: EventStore =
    log ??
    createEventStore(configs.command.eventStoreUrl, {
      readAllTimeoutMs: configs.command.kurrentDbReadAllTimeoutMs,
    });
  let nats: NatsConnection | undefined;
  const apps: INestApplication[] = [];
  // Each app closes even if another failed to; the store commits what was accepted, then NATS drains.
  const closeAll = async () => {
    const failures: unknown[] = [];
    for (const app of apps) await app.close().catch((error: unknown) => failures.push(error));
    if (!log) await eventStore.close().catch((error: unknown) => failures.push(error));
    // NATS out of reach has nothing to drain to: said, not a failed stop (the apps run alone stop the same way).
    if (nats && !nats.isClosed())
      await nats
        .drain()
        .catch((error: unknown) =>
          apps[0]?.get(Logger).warn({ err: error }, 'NATS could not be drained: it does not answer'),
        );
    if (failures.length > 0) throw new AggregateError(failures, 'the engine did not stop cleanly');
  };
  try {
    nats = await connectChecked(configs.command.natsUrl, 'engine', {
      replicas: configs.command.natsReplicas,
      settleTimeoutSeconds: configs.command.natsSettleTimeoutSeconds,
    });
    // Made by the projector's start, which refuses another log's engine for all three: the POS API and ingest take
    // nothing before it (503 ENGINE_STARTING over HTTP, the NATS commands not yet subscribed), and ingest's workers
    // write nothing, the log not answering as the engine starts.
    const shared: SharedInfrastructure = {
      eventStore,
      nats,
      logName: 'engine',
      anotherLogCheck: new AnotherLogCheck(),
    };
    const start = async (module: DynamicModule, config: BaseAppConfig, options: HttpAppOptions) => {
      const app = await createHttpApp(module, config, options);
      apps.push(app);
      return listen(app, config.host, config.port);
    };
    // Dintero's side first, then the read models, then the POS API: when POS systems can reach it, the rest runs.
    const ingest = await start(IngestServiceModule.forRoot(configs.ingest, shared), configs.ingest, INGEST_HTTP_APP);
    const projections = await start(
      ProjectionsModule.forRoot(configs.projections, shared),
      configs.projections,
      PROJECTIONS_HTTP_APP,
    );
    const command = await start(
      CommandServiceModule.forRoot(configs.command, shared),
      configs.command,
      COMMAND_HTTP_APP,
    );
    // Closed in reverse of their start: the POS API stops taking requests first, then the read models,
    // then ingest, which answers Dintero until the last moment.
    apps.reverse();
    return { urls: { command, ingest, projections }, logger: apps[0]!.get(Logger), close: closeAll };
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }
}
