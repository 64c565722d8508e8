import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { BaseAppConfig } from '../config/base-app.config';
import { ConfigError, loadConfig } from '../config/load-config';

export interface HttpAppOptions {
  readonly name: string;
  readonly title: string;
  readonly description: string;
}

/** Fastify, pino logs, OpenAPI at /docs. */
export async function createHttpApp(
  module: DynamicModule,
  config: BaseAppConfig,
  options: HttpAppOptions,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    new FastifyAdapter({ bodyLimit: config.bodyLimit }),
    {
      bufferLogs: true,
      // The raw bytes of each body on `request.rawBody`: webhook signatures are over them, not a re-serialisation.
      rawBody: true,
    },
  );
  app.useLogger(app.get(Logger));
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(options.title)
      .setDescription(options.description)
      .setVersion('1')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'POS API key',
        description: 'A POS API key (command service)',
      })
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
}

/** Listens and returns the base URL; port 0 picks a free one. */
export async function listen(app: INestApplication, host: string, port: number): Promise<string> {
  await app.listen(port, host);
  const server = app.getHttpServer() as { address(): { port: number } };
  const address = server.address();
  return `http://${host}:${address.port}`;
}

/**
 * The whole of an app's `main.ts`: parse the configuration (the only read of the environment), build
 * the module, listen. A bad configuration or an unreachable dependency ends the process with a
 * message that says which.
 */
export function bootstrap<Config extends BaseAppConfig>(
  schema: new () => Config,
  module: (config: Config) => DynamicModule,
  options: HttpAppOptions,
): void {
  const run = async () => {
    const config = loadConfig(schema, process.env);
    const app = await createHttpApp(module(config), config, options);
    const url = await listen(app, config.host, config.port);
    app.get(Logger).log(`${options.name} listening at ${url}`);
    // Rather than Nest's shutdown hooks, which re-raise the signal: close the app (stop taking requests,
    // flush the log's pending commits, drain NATS), then exit 0 so a supervisor sees a clean stop.
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      app.get(Logger).log(`${options.name} stopping on ${signal}`);
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`${options.name} did not stop cleanly`, error);
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  };
  run().catch((error: unknown) => {
    console.error(`${options.name} could not start: ${error instanceof ConfigError ? error.message : String(error)}`);
    if (!(error instanceof ConfigError)) console.error(error);
    process.exit(1);
  });
}
