import 'reflect-metadata';
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { waitUntil } from '../../../test/support/app-process';
import { startEngine, type Engine } from '../../../test/support/engine';
import { NATS_URL } from '../../../test/support/projections';
import { localDate } from '@app/payment-domain';
import { ConsumerModule } from '../src/consumer.module';
import { PaymentsConsumer, type FeedEvent, type TerminalDoc } from '../src/payments-consumer.service';

/** docs/consuming.md's example, run against the engine: what the guide shows works. */
describe('the consumer example of docs/consuming.md', () => {
  let engine: Engine;
  let consumerApp: INestApplicationContext;

  beforeAll(async () => {
    engine = await startEngine({ projections: true });
    await engine.terminals('oslo', 'C-1');
    consumerApp = await NestFactory.createApplicationContext(
      ConsumerModule.forRoot({ natsUrl: NATS_URL, prefix: engine.prefix }),
      { logger: false },
    );
  });
  afterAll(async () => {
    await consumerApp.close();
    await engine.close();
  });

  it('watches a terminal, queries its store’s day and follows the store’s events', async () => {
    const consumer = consumerApp.get(PaymentsConsumer);
    const seen: TerminalDoc[] = [];
    const events: FeedEvent[] = [];
    await consumer.watchTerminal('oslo', 'C-1', (doc) => seen.push(doc));
    await consumer.followStoreEvents('oslo', (event) => events.push(event));

    const { paymentId } = await engine.start('oslo', 'C-1', 25_000);
    await engine.sim.control('POST', '/terminals/C-1/present', {});
    await waitUntil(() => seen.some((doc) => doc.lastOutcome?.paymentId === paymentId), 10_000, 'the terminal change');
    await waitUntil(() => events.some((e) => e.type === 'PaymentCaptured'), 10_000, 'the capture in the feed');

    // The store's local day (the engine's test stores are in Oslo): not the UTC date, which differs late at night.
    const date = localDate(seen.find((doc) => doc.lastOutcome)!.lastOutcome!.at, 'Europe/Oslo');
    const day = await consumer.storeDay('oslo', date);
    expect(day?.currencies.NOK).toMatchObject({ capturedCount: 1, capturedAmount: 25_000 });
    expect(await consumer.storeDay('oslo', '1999-01-01')).toMatchObject({ currencies: {}, position: '0' });
    expect(await consumer.storeDay('nowhere', '1999-01-01')).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['PaymentRequested', 'PaymentCaptured']));
  });

  it('says in one line, as `npm run example:consumer`, that no engine answers under its NATS_PREFIX, and what to do', () => {
    const run = spawnSync(
      process.execPath,
      ['-r', './scripts/register-ts.cjs', 'examples/consumer/src/main.ts', 'oslo', 'C-1', '1'],
      {
        cwd: path.resolve(__dirname, '../../..'),
        env: { PATH: process.env.PATH, NATS_URL, NATS_PREFIX: `${engine.prefix}x` },
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      `the example consumer stopped: no engine answers on ${NATS_URL} with NATS_PREFIX=${engine.prefix}x ` +
        `(no responders: '${engine.prefix}x.v1.query.store-day'): start it (npm start), or set NATS_PREFIX to the ` +
        'one it was started with (npm start prints it)',
    );
  });

  it('says in one line, as `npm run example:consumer`, that the engine knows no such store, rather than waiting', async () => {
    // Not spawnSync: the engine answering the example's query runs in this process.
    const run = await new Promise<{ status: number | null; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['-r', './scripts/register-ts.cjs', 'examples/consumer/src/main.ts', 'osloo', 'C-1', '1'],
        {
          cwd: path.resolve(__dirname, '../../..'),
          env: { PATH: process.env.PATH, NATS_URL, NATS_PREFIX: engine.prefix },
        },
        (error, _stdout, stderr) => resolve({ status: error ? Number(error.code) : 0, stderr }),
      ),
    );
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      "the example consumer stopped: the engine knows no store osloo (npm start's demo has demo-store-01 to " +
        'demo-store-20, with terminals DT-01-1 to DT-20-4)',
    );
  });

  it('says in one line, as `npm run example:consumer`, that NATS does not answer, without its password', () => {
    const run = spawnSync(
      process.execPath,
      ['-r', './scripts/register-ts.cjs', 'examples/consumer/src/main.ts', 'oslo', 'C-1', '1'],
      {
        cwd: path.resolve(__dirname, '../../..'),
        env: { PATH: process.env.PATH, NATS_URL: 'nats://consumer:s3/cr@t@127.0.0.1:1' },
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(
      /^the example consumer stopped: NATS does not answer at nats:\/\/127\.0\.0\.1:1 \(/,
    );
    expect(run.stderr).not.toMatch(/s3|cr@t/);
  });
});
