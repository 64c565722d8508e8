import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/nats-state';
import { CloseStartFailures } from '../src/fleet/close-start-failures';

/**
 * The nightly close's notes in NATS KV: a busy terminal noted beside the failed starts' count.
 */
describe('the nightly close’s notes in NATS', () => {
  let nats: NatsConnection;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await nats.close();
    await removeNatsState(prefix);
  });

  it('notes a busy terminal beside the failed starts, keeping their count and reason', async () => {
    const notes = await CloseStartFailures.open(nats, prefix, 60_000, undefined);
    await notes.noteBusy('op-busy');
    expect(await notes.of('op-busy')).toEqual({ count: 0, reason: '', busy: true });
    expect(await notes.add('op-busy', 'could not be started: locked')).toBe(1);
    await notes.noteBusy('op-busy');
    expect(await notes.of('op-busy')).toEqual({ count: 1, reason: 'could not be started: locked', busy: true });
  });
});
