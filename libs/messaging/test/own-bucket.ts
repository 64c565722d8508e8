import { randomUUID } from 'node:crypto';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NATS_URL } from '../../../test/support/nats-state';

export interface OwnBucket {
  /** Its name: `stem` and a part of this run's own, so that runs never see each other's. */
  readonly name: string;
  readonly nats: NatsConnection;
  readonly kv: KV;
}

/** A KV bucket (history 1) of this test file's own, and a connection: made before its tests, gone after them. */
export function ownBucket(stem: string): OwnBucket {
  const own = { name: `${stem}${randomUUID().slice(0, 8)}` } as { name: string; nats: NatsConnection; kv: KV };
  beforeAll(async () => {
    own.nats = await connect({ servers: NATS_URL });
    own.kv = await new Kvm(own.nats).create(own.name, { history: 1 });
  });
  afterAll(async () => {
    await own.kv.destroy();
    await own.nats.close();
  });
  return own;
}
