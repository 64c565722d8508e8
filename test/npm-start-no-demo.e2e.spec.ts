import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntil } from './support/app-process';
import { startNpmStart, type NpmStart } from './support/npm-start';
import { removeNatsState, uniquePrefix } from './support/projections';

const root = path.resolve(__dirname, '..');

/** The README's "A first payment by hand", its shell block as a reader would paste it. */
function readmeBlock(): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('**A first payment by hand**'));
  const start = section.indexOf('```sh\n') + 6;
  return section.slice(start, section.indexOf('```\n', start));
}

/**
 * `npm start -- --no-demo`, and the README's first payment by hand against it: no demo chain, but the simulator's
 * Backoffice seeded all the same (the payout destination the README names, ingest's webhook subscription).
 */
describe('npm start -- --no-demo: the README’s first payment by hand', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'npm-start-no-demo-'));
  const prefix = uniquePrefix();
  let started: NpmStart;
  const url = (app: Parameters<NpmStart['url']>[0]) => started.url(app);
  beforeAll(async () => {
    started = await startNpmStart(['--no-demo'], { DATA_DIR: dataDir, NATS_PREFIX: prefix });
  });

  afterAll(async () => {
    await started?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await removeNatsState(prefix);
  });

  /** The README's block as a reader pastes it, against this run: its answers, one JSON document a line. */
  const runReadmeBlock = () => {
    // As written, in a shell with npm start's DATA_DIR and COMMAND_SERVICE_PORT, as the README asks.
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', readmeBlock()], {
      cwd: root,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        COMMAND_SERVICE_PORT: new URL(url('command-service')).port,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    return run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  let firstPayment: unknown;

  it('runs the README’s first payment by hand as written: store, terminal, payment, refund, list', () => {
    expect(started.output()).not.toContain('demo: ');
    const [store, terminal, start, final, refund, list, ...rest] = runReadmeBlock();
    expect(rest).toEqual([]);
    expect(store).toMatchObject({ storeId: 'oslo-1', payoutDestinationId: 'demo-seller' });
    expect(terminal).toMatchObject({ terminals: [{ terminalId: 'till-1', dintero: { status: 'ACTIVE' } }] });
    // The start's own answer, which the comment above it promises: the reader sees the terminal prompt.
    expect(start).toMatchObject({ status: 'awaiting_card', final: false, amount: 39_900 });
    expect(final!.paymentId).toBe(start!.paymentId);
    expect(final).toMatchObject({ status: 'captured', final: true, amount: 39_900 });
    expect(refund).toMatchObject({ status: 'succeeded', amount: 10_000, paymentId: final!.paymentId });
    expect(list).toMatchObject({ payments: [{ paymentId: final!.paymentId, refundedAmount: 10_000 }] });
    firstPayment = final!.paymentId;
  });

  it('runs it again as a new sale and a new refund, not the first ones answered again', () => {
    const [, , , final, refund, list] = runReadmeBlock();
    expect(final).toMatchObject({ status: 'captured', final: true });
    expect(final!.paymentId).not.toBe(firstPayment);
    expect(refund).toMatchObject({ status: 'succeeded', paymentId: final!.paymentId });
    expect((list!.payments as unknown[]).length).toBe(2);
  });

  it('has Dintero’s webhooks delivered to ingest, its ping too: npm start subscribed it at the simulator', async () => {
    interface Delivery {
      readonly kind: string;
      readonly url: string;
      readonly outcome: string;
      readonly event?: string;
    }
    // The subscription's ping (sent when it was created) and the payments' checkout events, each answered 2xx.
    await waitUntil(
      async () => {
        const deliveries = (await (
          await fetch(`${url('dintero-simulator')}/_control/deliveries`)
        ).json()) as Delivery[];
        const delivered = (event: string) =>
          deliveries.some(
            (d) =>
              d.kind === 'webhook' &&
              d.event === event &&
              d.url === `${url('ingest-service')}/v1/dintero/webhooks` &&
              d.outcome === 'delivered',
          );
        return delivered('ping') && delivered('checkout_transaction');
      },
      30_000,
      'the ping and a checkout_transaction webhook delivered to ingest',
    );
  });

  it('holds its data folder while it runs, and stops cleanly on SIGHUP (its terminal closed), freeing it', async () => {
    const holder = path.join(dataDir, 'npm-start.pid');
    // Its process id, and on Linux when that process started (a later process given the id is not the holder).
    const [pid, startedAt] = readFileSync(holder, 'utf8').trim().split(' ');
    expect(pid).toBe(String(started.process.pid));
    if (process.platform === 'linux') expect(startedAt).toMatch(/^\d+$/);
    const engine = started.process;
    const exited = new Promise<number | null>((resolve) => engine.once('exit', resolve));
    engine.kill('SIGHUP');
    expect(await exited).toBe(0);
    expect(started.output().trim().split('\n').at(-1)).toBe('stopped: no payments open, no terminals claimed.');
    expect(existsSync(holder)).toBe(false);
  });

  it('takes a payment on the terminal registered by hand after a restart, with no PUT again: Dintero kept it', async () => {
    started = await startNpmStart(['--no-demo'], { DATA_DIR: dataDir, NATS_PREFIX: prefix });
    const key = readFileSync(path.join(dataDir, 'demo-pos-key'), 'utf8').trim();
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const answer = await fetch(`${url('command-service')}/v1/terminal-payments`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': randomUUID() },
      body: JSON.stringify({
        storeId: 'oslo-1',
        terminalId: 'till-1',
        amount: 12_300,
        currency: 'NOK',
        merchantReference: 'AFTER-RESTART',
      }),
    });
    expect(answer.status).toBe(201);
    const { paymentId } = (await answer.json()) as { paymentId: string };
    const final = await fetch(`${url('command-service')}/v1/terminal-payments/${paymentId}?waitFor=final&timeout=30`, {
      headers,
    });
    expect(await final.json()).toMatchObject({ status: 'captured', amount: 12_300 });
  });
});
