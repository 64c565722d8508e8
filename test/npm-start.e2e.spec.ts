import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { readState, SqliteEventStore } from '@app/event-store';
import { terminalDecider } from '@app/payment-domain';
import { waitUntil } from './support/app-process';
import { startNpmStart, type NpmStart } from './support/npm-start';
import { hashApiKey } from '@app/platform';
import { testOperator } from './support/operators';
import { removeNatsState, uniquePrefix } from './support/projections';

const root = path.resolve(__dirname, '..');
/** Debian's Chromium (`.ci/run` installs it); CHROMIUM_PATH for another. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where the screenshots go: kept after the run to look at, never committed (.gitignore). */
const ARTIFACTS = path.resolve(process.env.TEST_ARTIFACTS_DIR ?? path.join(root, 'test-artifacts'));
/** Seconds a prompt may last before the dashboard lists it as a problem, shortened for this run. */
const STUCK_SECONDS = 4;

interface Delivery {
  readonly kind: string;
  readonly url: string;
  readonly outcome: string;
  readonly deliveredAt?: string;
}

/**
 * `npm start` as a user runs it (the script after the build, which the e2e tier has just done): the four
 * apps, the demo chain paying, and the live store dashboard in a real headless Chromium; then Ctrl-C.
 * Its own data folder and NATS prefix, so that it never meets another run or a developer's `npm start`.
 */
describe('npm start: the engine, its demo chain and the live store dashboard', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'npm-start-'));
  const prefix = uniquePrefix();
  let started: NpmStart;
  let browser: Browser;
  let page: Page;
  let stuckPaymentId = '';
  const url = (app: Parameters<NpmStart['url']>[0]) => started.url(app);
  const output = () => started.output();
  const operatorKey = () => readFileSync(path.join(dataDir, 'demo-operator-key'), 'utf8').trim();
  const pos = async (method: string, route: string, body: unknown, headers: Record<string, string> = {}) => {
    const posKey = readFileSync(path.join(dataDir, 'demo-pos-key'), 'utf8').trim();
    const response = await fetch(`${url('command-service')}${route}`, {
      method,
      headers: { authorization: `Bearer ${posKey}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as Record<string, unknown>;
    if (response.status >= 300) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(answer)}`);
    return answer;
  };
  /** The e2e store, registered once: E2E-1 answers by itself, E2E-STUCK's customer never does. */
  let e2eStore: Promise<void> | undefined;
  const registerE2eStore = () =>
    (e2eStore ??= (async () => {
      // Two terminals Dintero has under these ids (E2E-STUCK's customer never answers), registered by them.
      const seeded = await fetch(`${url('dintero-simulator')}/_control/seed`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          stores: [{ id: 'e2e-store', payout_destination_id: 'demo-seller' }],
          terminals: [
            { terminal_id: 'E2E-1', store_id: 'e2e-store' },
            { terminal_id: 'E2E-STUCK', store_id: 'e2e-store', unattended: true },
          ],
        }),
      });
      expect(seeded.status).toBeLessThan(300);
      await pos('PUT', '/v1/stores/e2e-store', {
        name: 'E2E',
        payoutDestinationId: 'demo-seller',
        timeZone: 'UTC',
        currencies: ['NOK'],
      });
      await pos('PUT', '/v1/stores/e2e-store/terminals/E2E-1', {});
      await pos('PUT', '/v1/stores/e2e-store/terminals/E2E-STUCK', {});
    })());
  /** Opens the dashboard and signs in with the demo's operator key, as a person would. */
  const signIn = async (on: Page = page, key = operatorKey()) => {
    await on.goto(`${url('projections')}/dashboard`);
    await on.locator('#sign-in input[name="key"]').fill(key);
    await on.locator('#sign-in button[type="submit"]').click();
    await on.waitForSelector('#connection[data-state="live"]');
  };

  beforeAll(async () => {
    started = await startNpmStart([], {
      DATA_DIR: dataDir,
      NATS_PREFIX: prefix,
      DASHBOARD_STUCK_SECONDS: String(STUCK_SECONDS),
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // As root in CI, and without the background calls this closed network refuses.
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await started?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await removeNatsState(prefix);
  });

  it('prints where to look', () => {
    expect(output()).toContain(`projections        ${url('projections')}`);
    expect(output()).toContain(`Live store dashboard: ${url('projections')}/dashboard`);
    expect(output()).toContain(`(the demo's is in ${path.join(dataDir, 'demo-operator-key')})`);
    expect(output()).toContain('demo: 20 stores with 4 terminals each, paying');
  });

  it('onboards the demo chain at Dintero through the engine: stores created there, sandbox devices mapped to the names', async () => {
    const posKey = readFileSync(path.join(dataDir, 'demo-pos-key'), 'utf8').trim();
    const store = (await (
      await fetch(`${url('command-service')}/v1/stores/demo-store-02`, {
        headers: { authorization: `Bearer ${posKey}` },
      })
    ).json()) as { dinteroStoreId?: string; terminals: { terminalId: string; dintero?: Record<string, unknown> }[] };
    expect(store.dinteroStoreId).toMatch(/^T12345678-\d{4}$/);
    expect(store.terminals[0]).toEqual({
      terminalId: 'DT-02-1',
      active: true,
      dintero: {
        terminalId: expect.stringMatching(/^T12345678-T\d{4}$/),
        deviceSerialNumber: 'SIMULATED-T12345678-005',
        deviceModel: 'SATURN1000',
        status: 'ACTIVE',
      },
    });
    const fleet = (await (await fetch(`${url('dintero-simulator')}/_control/ground-truth/fleet`)).json()) as {
      stores: unknown[];
      terminals: { device_serial_number: string }[];
    };
    expect(fleet.stores.length).toBeGreaterThanOrEqual(20);
    expect(fleet.terminals.filter((t) => t.device_serial_number.startsWith('SIMULATED-T12345678-'))).toHaveLength(80);
  });

  it('asks for an operator key and shows nothing without one', async () => {
    const stranger = await browser.newPage();
    await stranger.goto(`${url('projections')}/dashboard`);
    await stranger.waitForSelector('#sign-in:not([hidden])');
    expect(await stranger.locator('#board').isHidden()).toBe(true);
    expect(await stranger.locator('[data-store-id]').count()).toBe(0);
    await stranger.locator('#sign-in input[name="key"]').fill('op_not-a-key');
    await stranger.locator('#sign-in button[type="submit"]').click();
    await stranger.waitForSelector('#sign-in-error:text("Unknown operator key")');
    expect(await stranger.locator('[data-store-id]').count()).toBe(0);
    await stranger.close();
    expect((await fetch(`${url('projections')}/v1/dashboard/stores`)).status).toBe(401);
  });

  it('shows an operator scoped to two stores exactly those two, on the page and live', async () => {
    // A regional manager's key, added to the demo's operator file as `npm run operator-key` prints it: the
    // projections app reads the file again within a second.
    const file = path.join(dataDir, 'operators.json');
    const { operators } = JSON.parse(readFileSync(file, 'utf8')) as { operators: unknown[] };
    const manager = testOperator('e2e-manager', 'demo-store-02', 'demo-store-05');
    writeFileSync(
      file,
      JSON.stringify({
        operators: [...operators, { id: manager.id, keySha256: hashApiKey(manager.key), stores: manager.stores }],
      }),
    );
    await waitUntil(
      async () =>
        (
          await fetch(`${url('projections')}/v1/dashboard/session`, {
            headers: { authorization: `Bearer ${manager.key}` },
          })
        ).status === 200,
      10_000,
      'the new operator key to be read',
    );
    const regional = await browser.newPage();
    await signIn(regional, manager.key);
    const shown = () =>
      regional.evaluate<string[]>(
        "[...document.querySelectorAll('[data-store-id]')].map((card) => card.dataset.storeId)",
      );
    expect(await shown()).toEqual(['demo-store-02', 'demo-store-05']);
    // Live: its activity fills with its own stores' payments only, while the demo pays in all twenty.
    await waitUntil(
      async () => (await regional.locator('#activity li').count()) >= 3,
      60_000,
      'three payments of its stores',
    );
    const places = await regional.locator('#activity li a').allTextContents();
    expect(places.every((place) => /^Demo store (2|5) · /.test(place))).toBe(true);
    expect(await shown()).toEqual(['demo-store-02', 'demo-store-05']);
    await regional.close();
  });

  it('shows the demo chain paying on the dashboard, live, in words', async () => {
    await signIn();
    await waitUntil(async () => (await page.locator('[data-store-id]').count()) === 20, 30_000, '20 stores shown');
    expect(await page.locator('[data-terminal-id]').count()).toBe(80);
    // The demo's terminals answer a few seconds after they prompt: outcomes arrive while the page is open.
    // The list keeps the latest 50: a new one is a payment id not shown before.
    const shownIds = () =>
      page.evaluate<string[]>("[...document.querySelectorAll('#activity li')].map((item) => item.dataset.paymentId)");
    const before = new Set(await shownIds());
    await waitUntil(
      async () => (await shownIds()).some((id) => !before.has(id)),
      30_000,
      'a demo payment to end on the page',
    );
    expect(await page.locator('#summary').textContent()).toMatch(/^20 stores · terminals: \d+ busy, \d+ ready/);
    const states = await page.locator('.terminal .state').allTextContents();
    expect(
      states.every((state) => /^(Ready|Starting payment|Waiting for card|Cancelling|Refunding)( for .+)?$/.test(state)),
    ).toBe(true);
    // Store names, not ids, and times with their zone.
    expect(await page.locator('#activity li a').first().textContent()).toMatch(/^Demo store \d+ · DT-/);
    expect(await page.locator('#activity li time').first().textContent()).toMatch(/\d{2}:\d{2}:\d{2}/);
  });

  it('lists a prompt nobody answers in the problem strip, with its age ticking', async () => {
    await registerE2eStore();
    const { paymentId } = (await pos(
      'POST',
      '/v1/terminal-payments',
      { storeId: 'e2e-store', terminalId: 'E2E-STUCK', amount: 12_000, currency: 'NOK', merchantReference: 'STUCK' },
      { 'idempotency-key': `stuck-${prefix}` },
    )) as { paymentId: string };
    stuckPaymentId = paymentId;
    const entry = page.locator('#problem-list li[data-kind="stuck"]', { hasText: 'E2E-STUCK' });
    await entry.waitFor({ timeout: 30_000 });
    const first = await entry.textContent();
    expect(first).toMatch(/^E2E · E2E-STUCK: Waiting for card for \d+ s$/);
    const seconds = (text: string | null) => Number(/for (\d+) s$/.exec(text ?? '')?.[1]);
    expect(seconds(first)).toBeGreaterThanOrEqual(STUCK_SECONDS);
    await waitUntil(async () => seconds(await entry.textContent()) > seconds(first), 5_000, 'the age to tick');
    expect(await entry.locator('a').getAttribute('href')).toBe('#terminal-e2e-store-E2E-STUCK');
  });

  it("closes the first store's day, and flags on the dashboard the close that disagrees with the log", async () => {
    await waitUntil(() => output().includes('demo: demo-store-01 closed its day:'), 120_000, 'the demo end of day');
    const line = output()
      .split('\n')
      .find((text) => text.startsWith('demo: demo-store-01 closed its day:'))!;
    expect(line).toMatch(/: DT-01-1 completed \(batch \d{6}\), DT-01-2 completed .*, DT-01-4 completed /);
    const entry = page.locator('#problem-list li[data-kind="close-mismatch"]', { hasText: 'DT-01-4' });
    await entry.waitFor({ timeout: 30_000 });
    expect(await entry.textContent()).toMatch(
      /^Demo store 1 · DT-01-4: its end of day \d{4}-\d{2}-\d{2} \(batch \d{6}\) differs from the log: the terminal: \d+ purchases? \(NOK\s[\d,.]+\), \d+ refunds? \(NOK\s[\d,.]+\); the log: \d+ purchases? \(NOK\s[\d,.]+\)/,
    );
    expect(await page.locator('#problem-list li[data-kind="close-mismatch"]').count()).toBe(1);
  });

  it('fits a phone and a wall display: no sideways scrolling from 360 to 1,920 px, the problems in view, and an icon', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const width of [360, 420, 1_400, 1_920]) {
      await page.setViewportSize({ width, height: 800 });
      await page.goto(`${url('projections')}/dashboard`);
      await page.waitForSelector('#connection[data-state="live"]');
      await waitUntil(async () => (await page.locator('[data-store-id]').count()) === 21, 30_000, '21 stores shown');
      // Evaluated in the page: a string, since this project's types have no DOM.
      const { scrollWidth, innerWidth } = await page.evaluate<{ scrollWidth: number; innerWidth: number }>(
        '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
      );
      expect({ width, scrollWidth }).toEqual({ width, scrollWidth: innerWidth });
      // The problem strip, with the stuck prompt in it, is on the first screen without scrolling.
      await page.locator('#problem-list li[data-kind="stuck"]', { hasText: 'E2E-STUCK' }).waitFor();
      const strip = (await page.locator('#problems').boundingBox())!;
      expect({ width, top: strip.y >= 0, bottom: strip.y + strip.height <= 800 }).toEqual({
        width,
        top: true,
        bottom: true,
      });
      await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${width}px.png`) });
    }
    const icon = await fetch(`${url('projections')}/dashboard/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    await page.setViewportSize({ width: 1_280, height: 720 });
  });

  it('shows a payment’s outcome within a second of its callback', async () => {
    await registerE2eStore();
    // The stuck prompt is cancelled by its POS: it leaves the problem strip.
    await pos('POST', `/v1/terminal-payments/${stuckPaymentId}/cancel`, {});
    await page
      .locator('#problem-list li[data-kind="stuck"]', { hasText: 'E2E-STUCK' })
      .waitFor({ state: 'detached', timeout: 30_000 });

    const { paymentId } = (await pos(
      'POST',
      '/v1/terminal-payments',
      { storeId: 'e2e-store', terminalId: 'E2E-1', amount: 39_900, currency: 'NOK', merchantReference: 'E2E-1' },
      { 'idempotency-key': `e2e-${prefix}` },
    )) as { paymentId: string };
    // The virtual terminal answers by itself, as the demo's do; the page is watched from now on.
    const shown = page
      .waitForSelector(`#activity li[data-payment-id="${paymentId}"][data-status="captured"]`, { timeout: 30_000 })
      .then(() => Date.now());

    let callback: Delivery | undefined;
    await waitUntil(
      async () => {
        const deliveries = (await (
          await fetch(`${url('dintero-simulator')}/_control/deliveries`)
        ).json()) as Delivery[];
        callback = deliveries.find(
          (d) => d.kind === 'callback' && d.url.includes(paymentId) && d.outcome === 'delivered',
        );
        return callback !== undefined;
      },
      30_000,
      `the callback of ${paymentId} delivered`,
    );
    const lag = (await shown) - Date.parse(callback!.deliveredAt!);
    expect(lag).toBeLessThan(1_000);
  });

  it('is what the consumer example reads, with the README’s command', async () => {
    // `npm run example:consumer -- demo-store-01 DT-01-1 6`, as docs/consuming.md tells a reader to run it.
    const consumer = spawn('npm', ['run', '--silent', 'example:consumer', '--', 'demo-store-01', 'DT-01-1', '6'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
        NATS_PREFIX: prefix,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let printed = '';
    consumer.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    consumer.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => consumer.once('exit', resolve));
    expect({ code, printed }).toMatchObject({ code: 0 });
    expect(printed).toMatch(/^store-day demo-store-01 \d{4}-\d{2}-\d{2}: /m);
    expect(printed).toMatch(/^terminal demo-store-01\/DT-01-1: /m);
    expect(printed).toMatch(/^event \w+ on (payment|terminal|store)-\S+ at position \d+$/m);
  });

  it('stops cleanly on SIGTERM, as Ctrl-C does: the demo’s payments ended, every terminal released, and said so', async () => {
    const engine = started.process;
    const exited = new Promise<number | null>((resolve) => engine.once('exit', resolve));
    // What a process manager sends; Ctrl-C (SIGINT) takes the same path.
    engine.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toMatch(/cancelled \d+ open payments/);
    expect(output().trim().split('\n').at(-1)).toBe('stopped: no payments open, no terminals claimed.');

    const log = new SqliteEventStore({ file: path.join(dataDir, 'events.db') });
    const terminals = new Set<string>();
    for (let page = await log.readAll({ streamPrefixes: ['terminal-'], limit: 10_000 }); page.length > 0;) {
      for (const event of page) terminals.add(event.streamName);
      page = await log.readAll({ streamPrefixes: ['terminal-'], after: page.at(-1)!.position, limit: 10_000 });
    }
    expect(terminals.size).toBe(82);
    const claimed = [];
    for (const stream of terminals) {
      const { state } = await readState(log, stream, terminalDecider);
      if (state.status === 'claimed') claimed.push(stream);
    }
    await log.close();
    expect(claimed).toEqual([]);
  });
});
