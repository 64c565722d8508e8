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

/**
 * The apps a test starts in its own process, each closed by `stop` or, what is left, by `closeAll` at the test's end.
 */
export function startedApps() {
  const apps: NestFastifyApplication[] = [];
  return {
    /** `app` listening (`listenOrClose`), with its URL. */
    listen: async (app: NestFastifyApplication) => {
      const url = await listenOrClose(app);
      apps.push(app);
      return { app, url };
    },
    stop: async (app: NestFastifyApplication) => {
      apps.splice(apps.indexOf(app), 1);
      await app.close();
    },
    closeAll: async () => {
      for (const app of apps.splice(0)) await app.close();
    },
  };
}

/** An app's `/health`: its status and body. */
export async function healthOf(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}/health`);
  return { status: response.status, body: await response.text() };
}
