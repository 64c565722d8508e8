import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NATS_URL, removeNatsState, uniquePrefix } from '../../../test/support/nats-state';
import { CloseStartFailures } from '../src/fleet/close-start-failures';

/**
 * The nightly close's notes in NATS KV: the give-up of a terminal day claimed once, whichever instance claims first
 * (the others get the first's, and record that one), and a busy terminal noted beside the failed starts' count.
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

  it('gives every instance claiming a terminal day’s give-up together the first claim', async () => {
    // Five instances, each with the bucket opened on its own, claim at once, each at an attempt of its own.
    const instances = await Promise.all(
      Array.from({ length: 5 }, () => CloseStartFailures.open(nats, prefix, 60_000, undefined)),
    );
    const claims = await Promise.all(
      instances.map((notes, i) =>
        notes.claimGiveUp('day-1', { operationId: `op-${i + 1}`, attempts: i + 1, at: `2026-01-0${i + 1}T00:00:00Z` }),
      ),
    );
    expect(new Set(claims.map((claim) => JSON.stringify(claim))).size).toBe(1);
    // A later claim, after a restart, gets the same.
    expect(await instances[0]!.claimGiveUp('day-1', { operationId: 'op-9', attempts: 9, at: 'later' })).toEqual(
      claims[0],
    );
    // Another terminal day's claim is its own.
    const other = { operationId: 'op-x', attempts: 1, at: '2026-01-09T00:00:00Z' };
    expect(await instances[1]!.claimGiveUp('day-2', other)).toEqual(other);
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
