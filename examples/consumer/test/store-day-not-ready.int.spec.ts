import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NATS_URL } from '../../../test/support/projections';
import { ConsumerModule } from '../src/consumer.module';
import { PaymentsConsumer, ReadModelsNotReadyError } from '../src/payments-consumer.service';

/**
 * The store-day query's answers other than a document, as docs/consuming.md gives them, on the real NATS server. The
 * engine answers 503 `READ_MODELS_NOT_READY` only while it folds a replaced log again from its start, which no test
 * can hold it in: a responder of this test's own prefix answers as the engine's queries do.
 */
describe('the consumer example: the store-day query answered other than with a document', () => {
  const prefix = `consumer-not-ready-${randomUUID().slice(0, 8)}`;
  let responder: NatsConnection;
  let consumerApp: INestApplicationContext;
  let answer: { status: number; body: unknown };

  beforeAll(async () => {
    responder = await connect({ servers: NATS_URL });
    responder.subscribe(`${prefix}.v1.query.store-day`, {
      callback: (_error, message) => void message.respond(JSON.stringify(answer)),
    });
    await responder.flush();
    consumerApp = await NestFactory.createApplicationContext(ConsumerModule.forRoot({ natsUrl: NATS_URL, prefix }), {
      logger: false,
    });
  });
  afterAll(async () => {
    await consumerApp.close();
    await responder.close();
  });

  it('is a ReadModelsNotReadyError, with what the engine said, for 503 READ_MODELS_NOT_READY: ask again', async () => {
    answer = {
      status: 503,
      body: { code: 'READ_MODELS_NOT_READY', detail: 'The read models cannot tell this day now: ask again' },
    };
    const asked = consumerApp.get(PaymentsConsumer).storeDay('oslo', '2026-12-06');
    await expect(asked).rejects.toBeInstanceOf(ReadModelsNotReadyError);
    await expect(asked).rejects.toMatchObject({ detail: 'The read models cannot tell this day now: ask again' });
  });

  it('is undefined for 404 (no such store), and an error naming the status for any other answer', async () => {
    const consumer = consumerApp.get(PaymentsConsumer);
    answer = { status: 404, body: { code: 'NOT_FOUND' } };
    await expect(consumer.storeDay('oslo', '2026-12-06')).resolves.toBeUndefined();
    answer = { status: 400, body: { code: 'VALIDATION_FAILED', detail: 'date must be YYYY-MM-DD' } };
    await expect(consumer.storeDay('oslo', '2026-12-06')).rejects.toThrow(
      'store-day query answered 400: {"code":"VALIDATION_FAILED","detail":"date must be YYYY-MM-DD"}',
    );
    answer = { status: 503, body: { code: 'OTHER' } };
    await expect(consumer.storeDay('oslo', '2026-12-06')).rejects.not.toBeInstanceOf(ReadModelsNotReadyError);
  });
});
