import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SqliteEventStore } from '@app/event-store';
import { startApp, waitUntil, type RunningApp } from './support/app-process';
import { event, paymentEvents } from './support/payment-events';
import { bucketContents, foldFromScratch, NATS_URL, removeNatsState, uniquePrefix } from './support/projections';

const STORES = 6;
const TERMINALS_PER_STORE = 3;
const LEASE_SECONDS = 2;

/**
 * Two projections processes on one log and one NATS, under traffic: one writes the read models, the other
 * stands by. The writer is killed (SIGKILL) and the standby takes over; a new process takes its place; then the
 * new writer is frozen (SIGSTOP) for longer than its lease, the other takes over, and the frozen one is woken
 * (SIGCONT) still believing it writes. At the end KV equals a fold of the whole log from position 0, and no
 * document ever went back to an older position on the change subjects.
 */
describe('one active projector among several', () => {
  const prefix = uniquePrefix();
  const dir = mkdtempSync(path.join(tmpdir(), 'failover-'));
  const file = path.join(dir, 'events.db');
  const log = new SqliteEventStore({ file });
  const apps: RunningApp[] = [];
  let nats: NatsConnection;
  let stop = false;
  let paid = 0;
  let traffic: Promise<void> = Promise.resolve();
  const revisions = new Map<string, number>();
  const env = {
    EVENT_STORE_URL: `sqlite:${file}`,
    NATS_URL,
    NATS_PREFIX: prefix,
    PROJECTOR_LEASE_SECONDS: String(LEASE_SECONDS),
    PROJECTIONS_BATCH_SIZE: '20',
  };

  beforeAll(async () => {
    nats = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    stop = true;
    await traffic;
    for (const app of apps) {
      app.process.kill('SIGCONT');
      await app.stop();
    }
    await nats.close();
    await log.close();
    await removeNatsState(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  const storeId = (s: number) => `fo-${s}`;
  const terminalOf = (n: number) => {
    const t = n % (STORES * TERMINALS_PER_STORE);
    return { storeId: storeId(t % STORES), terminalId: `FO-${t}` };
  };
  /** Whether the app says it holds the lease; a frozen or dead one does not answer: false. */
  const leads = async (app: RunningApp) => {
    const metrics = await fetch(`${app.url}/metrics`, { signal: AbortSignal.timeout(1_000) })
      .then((response) => response.text())
      .catch(() => '');
    return /^payments_projector_leader(\{[^}]*\})? 1$/m.test(metrics);
  };
  const leaderAmong = async (candidates: RunningApp[]) => {
    const answers = await Promise.all(candidates.map(leads));
    return candidates.filter((_, i) => answers[i]);
  };
  const start = async () => {
    const app = await startApp('projections', env);
    apps.push(app);
    return app;
  };

  it('keeps one writer through a kill and a freeze, and ends equal to a fold from 0', async () => {
    const at = new Date().toISOString();
    for (let s = 0; s < STORES; s++) {
      const ids = { storeId: storeId(s) };
      await log.append(
        `store-${storeId(s)}`,
        [
          event(
            'StoreRegistered',
            { storeId: storeId(s), name: storeId(s), payoutDestinationId: 'p', timeZone: 'UTC', at },
            ids,
          ),
          ...Array.from({ length: TERMINALS_PER_STORE }, (_, k) =>
            event('TerminalRegistered', { storeId: storeId(s), terminalId: `FO-${s + k * STORES}`, at }, ids),
          ),
        ],
        { expectedRevision: 'no_stream' },
      );
    }

    // Every document published on a change subject, by subject: its position must only go up.
    const highest = new Map<string, bigint>();
    const backwards: string[] = [];
    let published = 0;
    for (const subject of [`${prefix}.v1.store.*`, `${prefix}.v1.terminal.*.*`, `${prefix}.v1.store-day.*.*`])
      nats.subscribe(subject, {
        callback: (error, msg) => {
          if (error) return;
          const position = BigInt(msg.json<{ position: string }>().position);
          const held = highest.get(msg.subject);
          if (held !== undefined && position < held) backwards.push(`${msg.subject}: ${held} then ${position}`);
          else highest.set(msg.subject, position);
          published += 1;
        },
      });

    const first = await start();
    const second = await start();

    // Payments all along, about 40 a second.
    traffic = (async () => {
      for (let n = 0; !stop; n++) {
        for (const { stream, events } of paymentEvents(n, terminalOf(n), Date.now())) {
          const expected = revisions.get(stream) ?? -1;
          const result = await log.append(stream, events, { expectedRevision: expected < 0 ? 'no_stream' : expected });
          revisions.set(stream, result.nextRevision);
        }
        paid += 1;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    const paidBy = async (count: number) => waitUntil(() => paid >= count, 30_000, `${count} payments`);

    await waitUntil(async () => (await leaderAmong([first, second])).length === 1, 15_000, 'one leader');
    const [killed] = await leaderAmong([first, second]);
    const standby = killed === first ? second : first;
    await paidBy(paid + 60);

    // 1. The writer dies without a word; the standby takes over once its lease lapses.
    killed!.process.kill('SIGKILL');
    await killed!.exited;
    const killedAt = Date.now();
    await waitUntil(() => leads(standby), 15_000, 'the standby to take over');
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).toBeLessThan((LEASE_SECONDS + 5) * 1_000);
    const third = await start(); // as a process manager restarts the dead one
    await paidBy(paid + 60);

    // 2. The new writer is frozen past its lease; the third takes over; the frozen one wakes up mid-work.
    standby.process.kill('SIGSTOP');
    await waitUntil(() => leads(third), 15_000, 'the third to take over from the frozen one');
    await paidBy(paid + 40);
    standby.process.kill('SIGCONT');
    await paidBy(paid + 60);
    stop = true;
    await traffic;

    // One writer in the end, and it catches up with the whole log.
    await waitUntil(async () => (await leaderAmong([standby, third])).length === 1, 15_000, 'exactly one leader');
    const head = await log.headPosition();
    const state = await new Kvm(nats).open(`${prefix}_projections`);
    await waitUntil(
      async () => {
        const entry = await state.get('checkpoint');
        return entry?.operation === 'PUT' && BigInt(entry.json<{ position: string }>().position) >= head;
      },
      30_000,
      'the checkpoint at the head of the log',
    );
    await nats.flush();

    const scratch = await foldFromScratch(log);
    const expected = { terminals: {}, stores: {}, storeDays: {} } as Record<string, Record<string, unknown>>;
    for (const { model, key, doc } of scratch.documents())
      expected[model === 'terminal' ? 'terminals' : model === 'store' ? 'stores' : 'storeDays']![key] = doc;
    for (const bucket of ['terminals', 'stores', 'storeDays'] as const)
      expect({ bucket, contents: await bucketContents(prefix, bucket) }).toEqual({
        bucket,
        contents: expected[bucket],
      });
    expect(backwards).toEqual([]);
    expect(published).toBeGreaterThan(paid);
  });
});
