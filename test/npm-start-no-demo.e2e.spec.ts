import { spawnSync } from 'node:child_process';
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

  it('runs the README’s first payment by hand as written: store, terminal, payment, refund, list', () => {
    expect(started.output()).not.toContain('demo: ');
    // Only where this run's data and command service are differ from the README's.
    const block = readmeBlock()
      .replace('data/demo-pos-key', path.join(dataDir, 'demo-pos-key'))
      .replace('http://127.0.0.1:3000', url('command-service'));
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', block], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const [store, terminal, final, refund, list, ...rest] = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rest).toEqual([]);
    expect(store).toMatchObject({ storeId: 'oslo-1', payoutDestinationId: 'demo-seller' });
    expect(terminal).toMatchObject({ terminals: [{ terminalId: 'till-1', dintero: { status: 'ACTIVE' } }] });
    expect(final).toMatchObject({ status: 'captured', final: true, amount: 39_900 });
    expect(refund).toMatchObject({ status: 'succeeded', amount: 10_000, paymentId: final!.paymentId });
    expect(list).toMatchObject({ payments: [{ paymentId: final!.paymentId, refundedAmount: 10_000 }] });
  });

  it('has Dintero’s webhooks delivered to ingest: npm start subscribed it at the simulator', async () => {
    interface Delivery {
      readonly kind: string;
      readonly url: string;
      readonly outcome: string;
    }
    await waitUntil(
      async () => {
        const deliveries = (await (
          await fetch(`${url('dintero-simulator')}/_control/deliveries`)
        ).json()) as Delivery[];
        return deliveries.some(
          (d) =>
            d.kind === 'webhook' &&
            d.url === `${url('ingest-service')}/v1/dintero/webhooks` &&
            d.outcome === 'delivered',
        );
      },
      30_000,
      'a webhook delivered to ingest',
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
});
