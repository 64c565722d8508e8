import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { listen } from '@app/platform';

/**
 * The app listening on `port` of 127.0.0.1 (by default a free one), its URL. An app that refuses to start (its bootstrap threw) is
 * closed and `cleanUp` run, so that its NATS connection and timers do not keep Jest from exiting.
 */
export async function listenOrClose(
  app: NestFastifyApplication,
  cleanUp: () => Promise<void> | void = () => undefined,
  port = 0,
): Promise<string> {
  try {
    return await listen(app, '127.0.0.1', port);
  } catch (error) {
    await app.close().catch(() => undefined);
    await cleanUp();
    throw error;
  }
}
