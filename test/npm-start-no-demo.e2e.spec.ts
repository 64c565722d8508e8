import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitUntil } from './support/app-process';
import { removeNatsState, uniquePrefix } from './support/projections';

const root = path.resolve(__dirname, '..');

/** The JSON bodies (`-d '…'`) of the README's "A first payment by hand", in their order. */
function readmeBodies(): Record<string, unknown>[] {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('**A first payment by hand**'));
  const block = section.slice(section.indexOf('```sh'), section.indexOf('```\n', section.indexOf('```sh') + 5));
  return [...block.matchAll(/-d '([^']+)'/g)].map(([, body]) => JSON.parse(body!) as Record<string, unknown>);
}

/**
 * `npm start -- --no-demo`, and the README's first payment by hand against it: no demo chain, but the simulator's
 * Backoffice seeded all the same (the payout destination the README names, ingest's webhook subscription).
 */
describe('npm start -- --no-demo: the README’s first payment by hand', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'npm-start-no-demo-'));
  const prefix = uniquePrefix();
  const ports: Record<string, number> = {};
  let engine: ChildProcess;
  let output = '';
  const url = (app: string) => `http://127.0.0.1:${ports[app]}`;
  const pos = async (method: string, route: string, body?: unknown, idempotencyKey?: string) => {
    const posKey = readFileSync(path.join(dataDir, 'demo-pos-key'), 'utf8').trim();
    const response = await fetch(`${url('command-service')}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${posKey}`,
        'content-type': 'application/json',
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    for (const app of ['command-service', 'ingest-service', 'projections', 'dintero-simulator'])
      ports[app] = await freePort();
    engine = spawn(process.execPath, [path.join(root, 'scripts/start.mjs'), '--no-demo'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
        DATA_DIR: dataDir,
        NATS_PREFIX: prefix,
        ...Object.fromEntries(
          Object.entries(ports).map(([app, port]) => [`${app.toUpperCase().replace(/-/g, '_')}_PORT`, String(port)]),
        ),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    engine.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    engine.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitUntil(
      () => {
        if (engine.exitCode !== null) throw new Error(`npm start exited with ${engine.exitCode}:\n${output}`);
        return output.includes('Ctrl-C stops everything cleanly.');
      },
      120_000,
      'npm start -- --no-demo to be up',
    );
  });

  afterAll(async () => {
    if (engine.exitCode === null && engine.signalCode === null) engine.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    await removeNatsState(prefix);
  });

  it('registers the store and terminal, takes the payment, refunds part of it and lists it, with the README’s bodies', async () => {
    expect(output).not.toContain('demo: ');
    const [store, terminal, payment, refund] = readmeBodies();
    expect(refund).toBeDefined();

    const registered = await pos('PUT', '/v1/stores/oslo-1', store);
    expect(registered).toMatchObject({ status: 201, body: { payoutDestinationId: 'demo-seller' } });
    expect(await pos('PUT', '/v1/stores/oslo-1/terminals/till-1', terminal)).toMatchObject({
      status: 200,
      body: { terminals: [{ terminalId: 'till-1', dintero: { status: 'ACTIVE' } }] },
    });

    const started = await pos('POST', '/v1/terminal-payments', payment, 'pos-1-sale-1');
    expect(started).toMatchObject({ status: 201, body: { status: 'awaiting_card' } });
    const paymentId = String(started.body.paymentId);
    expect((await pos('POST', '/v1/terminal-payments', payment, 'pos-1-sale-1')).body.paymentId).toBe(paymentId);
    const final = await pos('GET', `/v1/terminal-payments/${paymentId}?waitFor=final&timeout=30`);
    expect(final).toMatchObject({ status: 200, body: { status: 'captured', final: true } });

    expect(await pos('POST', `/v1/terminal-payments/${paymentId}/refunds`, refund, 'pos-1-return-1')).toMatchObject({
      status: 201,
      body: { status: 'succeeded', amount: (refund as { amount: number }).amount },
    });
    const listed = await pos('GET', '/v1/terminal-payments?storeId=oslo-1');
    expect(listed).toMatchObject({ status: 200, body: { payments: [{ paymentId, refundedAmount: 10_000 }] } });
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

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => engine.once('exit', resolve));
    engine.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output.trim().split('\n').at(-1)).toBe('stopped: no payments open, no terminals claimed.');
  });
});
