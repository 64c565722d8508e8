import 'reflect-metadata';
import { spawn, spawnSync } from 'node:child_process';
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

  it('waits STORE_WAIT_SECONDS for an engine under its NATS_PREFIX, saying so, then says none answers and what to do', () => {
    const started = Date.now();
    const run = spawnSync(
      process.execPath,
      ['-r', './scripts/register-ts.cjs', 'examples/consumer/src/main.ts', 'oslo', 'C-1', '1'],
      {
        cwd: path.resolve(__dirname, '../../..'),
        env: { PATH: process.env.PATH, NATS_URL, NATS_PREFIX: `${engine.prefix}x`, STORE_WAIT_SECONDS: '1' },
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(run.stderr.trim().split('\n')).toEqual([
      `no engine answers on ${NATS_URL} with NATS_PREFIX=${engine.prefix}x yet: waiting up to 1 s for one ` +
        '(STORE_WAIT_SECONDS sets how long)',
      `the example consumer stopped: no engine answers on ${NATS_URL} with NATS_PREFIX=${engine.prefix}x ` +
        `(no responders: '${engine.prefix}x.v1.query.store-day') after waiting 1 s: start it (npm start), or set ` +
        'NATS_PREFIX to the one it was started with (npm start prints it)',
    ]);
  });

  /** `npm run example:consumer -- <args>` on this engine, as a process of its own, with what it prints. */
  function exampleConsumer(args: readonly string[], env: Record<string, string> = {}) {
    const child = spawn(
      process.execPath,
      ['-r', './scripts/register-ts.cjs', 'examples/consumer/src/main.ts', ...args],
      {
        cwd: path.resolve(__dirname, '../../..'),
        env: { PATH: process.env.PATH, NATS_URL, NATS_PREFIX: engine.prefix, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const output = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, output, exited };
  }

  it('waits for a store the engine does not know yet, saying so, and follows it once the engine knows it', async () => {
    // Started before the store is onboarded, as beside `npm start` before its demo stores reach the read models.
    const run = exampleConsumer(['bergen', 'B-1', '600']);
    try {
      await waitUntil(() => run.output.stderr.includes('bergen'), 30_000, 'the line saying it waits');
      expect(run.output.stderr).toBe(
        'the engine knows no store bergen yet: waiting up to 60 s for it (STORE_WAIT_SECONDS sets how long)\n',
      );
      await engine.terminals('bergen', 'B-1');
      await waitUntil(() => /^terminal bergen\/B-1: /m.test(run.output.stdout), 30_000, 'the terminal’s document');
      expect(run.output.stdout).toMatch(/^store-day bergen \d{4}-\d{2}-\d{2}: \{\}\n/);
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
  });

  it('waits STORE_WAIT_SECONDS for a store the engine never comes to know, then says so in one line', async () => {
    const started = Date.now();
    // Not spawnSync: the engine answering the example's query runs in this process.
    const run = exampleConsumer(['osloo', 'C-1', '1'], { STORE_WAIT_SECONDS: '1' });
    expect(await run.exited).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(run.output.stderr.trim().split('\n')).toEqual([
      'the engine knows no store osloo yet: waiting up to 1 s for it (STORE_WAIT_SECONDS sets how long)',
      "the example consumer stopped: the engine knows no store osloo after waiting 1 s (npm start's demo has " +
        'demo-store-01 to demo-store-20, with terminals DT-01-1 to DT-20-4)',
    ]);
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
