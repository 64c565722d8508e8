import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SqliteEventStore } from '@app/event-store';
import { testOperator, writeOperatorsFile } from './operators';
import { removeNatsState, startProjections, uniquePrefix } from './projections';

/** Debian's Chromium (`.ci/run` installs it); CHROMIUM_PATH for another. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The projections app on a log of its own, under a NATS prefix of its own, with one operator, and a real Chromium:
 * what a dashboard test needs. Registers its set-up and tear-down with the enclosing `describe`.
 */
export function dashboardInChromium(name: string) {
  const prefix = uniquePrefix();
  const operator = testOperator(`op-${name}`);
  let dir: string | undefined;
  let log: SqliteEventStore | undefined;
  let projections: NestFastifyApplication | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), `dashboard-${name}-`));
    const file = path.join(dir, 'events.db');
    log = new SqliteEventStore({ file });
    projections = await startProjections({
      EVENT_STORE_URL: `sqlite:${file}`,
      NATS_PREFIX: prefix,
      OPERATORS_FILE: writeOperatorsFile(path.join(dir, 'operators.json'), [operator]),
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await projections?.close();
    await log?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await removeNatsState(prefix);
  });
  return {
    /** The log the projections app follows: what a test appends, the dashboard shows. */
    get log(): SqliteEventStore {
      if (!log) throw new Error('the dashboard is not started yet');
      return log;
    },
    /** The dashboard in a new page, signed in as the operator; its clock from `clockAt` when given. */
    async signedIn(clockAt?: number): Promise<Page> {
      if (!browser || !projections) throw new Error('the dashboard is not started yet');
      const page = await browser.newPage();
      if (clockAt !== undefined) await page.clock.install({ time: clockAt });
      await page.goto(`${await projections.getUrl()}/dashboard`);
      await page.locator('#sign-in input[name="key"]').fill(operator.key);
      await page.locator('#sign-in button[type="submit"]').click();
      return page;
    },
  };
}
