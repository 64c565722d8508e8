import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readState, type EventStore } from '@app/event-store';
import { paymentDecider, paymentStream, type PaymentState } from '@app/payment-domain';
import { waitUntil } from './app-process';
import { startCommandService, type RunningCommandService } from './command-service';
import { startIngestService, type RunningIngestService } from './ingest-service';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NATS_URL, removeNatsState, startProjections, uniquePrefix } from './projections';
import { startSimulator, type RunningSimulator } from './simulator';
import type { TestPosClient } from './pos-clients';

export const CALLBACK_SECRET = 'callback-secret-for-tests';
export const WEBHOOK_SECRET = 'webhook-secret-for-tests';

export interface Engine {
  readonly sim: RunningSimulator;
  readonly ingest: RunningIngestService;
  readonly command: RunningCommandService;
  /** The shared log, as the ingest service sees it. */
  readonly log: EventStore;
  /** The SQLite file under it. */
  readonly eventStoreFile: string;
  /** This engine's NATS prefix (its own subjects, buckets and stream), and a connection for the test. */
  readonly prefix: string;
  readonly nats: NatsConnection;
  /** The projections app, when asked for. */
  readonly projections: NestFastifyApplication | undefined;
  /** Registers the store (once) and these terminals, here and at the simulator. */
  terminals(storeId: string, ...terminalIds: string[]): Promise<void>;
  /** Starts a payment through the POS API; the body's answer. */
  start(storeId: string, terminalId: string, amount: number): Promise<Record<string, unknown>>;
  /** Until the simulator has nothing left to deliver and the terminal's claim is released. */
  terminalFree(terminalId: string): Promise<void>;
  /** The payment's state once `until` holds, or a failure naming what was awaited. */
  waitForPayment(paymentId: string, until: (state: PaymentState) => boolean, what: string): Promise<PaymentState>;
  close(): Promise<void>;
}

/**
 * The simulator, the ingest service and the command service in this process, over one fresh SQLite file:
 * the simulator signs callbacks and webhooks, calls back to ingest, and sends webhooks there.
 */
export async function startEngine(
  options: {
    sim?: Record<string, string>;
    ingest?: Record<string, string>;
    command?: Record<string, string>;
    /** The projections app too; with variables of its own (OPERATORS_FILE, …) when given some. */
    projections?: boolean | Record<string, string>;
    /** The command service's POS clients (head office alone by default). */
    posClients?: readonly TestPosClient[];
    /**
     * Variables every app of the engine is given: another NATS (`NATS_URL`, `NATS_REPLICAS`), say. Another NATS is
     * the test's own (a server or cluster it starts and stops), whose state goes with it: `close` leaves it, where
     * removing it from a cluster the test had stopped a server of timed out waiting for JetStream's election.
     */
    everyApp?: Record<string, string>;
  } = {},
): Promise<Engine> {
  const prefix = uniquePrefix();
  const dir = mkdtempSync(path.join(tmpdir(), 'engine-'));
  const eventStoreFile = path.join(dir, 'events.db');
  const eventStoreUrl = `sqlite:${eventStoreFile}`;
  const everyApp = options.everyApp ?? {};
  const natsUrl = everyApp.NATS_URL ?? NATS_URL;
  const sim = await startSimulator({ DINTERO_CALLBACK_SECRET: CALLBACK_SECRET, ...options.sim });
  const ingest = await startIngestService({
    EVENT_STORE_URL: eventStoreUrl,
    DINTERO_API_URL: sim.url,
    DINTERO_CHECKOUT_URL: sim.url,
    DINTERO_CALLBACK_SECRET: CALLBACK_SECRET,
    DINTERO_WEBHOOK_SECRET: WEBHOOK_SECRET,
    NATS_PREFIX: prefix,
    ...everyApp,
    ...options.ingest,
  });
  await sim.control('POST', '/seed', {
    webhooks: [{ url: `${ingest.url}/v1/dintero/webhooks`, secret: WEBHOOK_SECRET }],
  });
  const command = await startCommandService(
    {
      EVENT_STORE_URL: eventStoreUrl,
      DINTERO_API_URL: sim.url,
      DINTERO_CHECKOUT_URL: sim.url,
      INGEST_PUBLIC_URL: ingest.url,
      NATS_PREFIX: prefix,
      ...everyApp,
      ...options.command,
    },
    options.posClients,
  );
  const projections = options.projections
    ? await startProjections({
        EVENT_STORE_URL: eventStoreUrl,
        NATS_PREFIX: prefix,
        ...everyApp,
        ...(options.projections === true ? {} : options.projections),
      })
    : undefined;
  const nats = await connect({ servers: natsUrl.split(',') });
  const registered = new Map<string, Promise<void>>();
  const json = { 'content-type': 'application/json' };
  return {
    sim,
    ingest,
    command,
    log: ingest.log,
    eventStoreFile,
    prefix,
    nats,
    projections,
    async terminals(storeId, ...terminalIds) {
      // Concurrent callers for one store wait for its one registration.
      let store = registered.get(storeId);
      if (!store) {
        store = (async () => {
          // Dintero has the payout destination (onboarded in its Backoffice); the engine creates the store there.
          await sim.control('POST', '/seed', { payoutDestinations: ['seller-1'] });
          const answer = await command.fetch(`/v1/stores/${storeId}`, {
            method: 'PUT',
            headers: json,
            body: JSON.stringify({ name: storeId, payoutDestinationId: 'seller-1', timeZone: 'Europe/Oslo' }),
          });
          if (answer.status >= 300) throw new Error(`registering ${storeId}: ${answer.status} ${await answer.text()}`);
        })();
        registered.set(storeId, store);
      }
      await store;
      // Terminals Dintero has under these ids (as if registered in its Backoffice), registered here by them.
      await sim.control('POST', '/seed', {
        terminals: terminalIds.map((terminal_id) => ({ terminal_id, store_id: storeId })),
      });
      for (const terminalId of terminalIds) {
        const answer = await command.fetch(`/v1/stores/${storeId}/terminals/${terminalId}`, {
          method: 'PUT',
          headers: json,
          body: '{}',
        });
        if (answer.status >= 300) throw new Error(`registering ${terminalId}: ${answer.status} ${await answer.text()}`);
      }
    },
    async start(storeId, terminalId, amount) {
      const response = await command.fetch('/v1/terminal-payments', {
        method: 'POST',
        headers: { ...json, 'idempotency-key': `${terminalId}-${amount}-${Math.random()}` },
        body: JSON.stringify({ storeId, terminalId, amount, currency: 'NOK', merchantReference: `REF-${terminalId}` }),
      });
      const body = (await response.json()) as Record<string, unknown>;
      if (response.status !== 201) throw new Error(`start answered ${response.status}: ${JSON.stringify(body)}`);
      return body;
    },
    async terminalFree(terminalId) {
      await sim.control('POST', '/idle');
      await waitUntil(
        async () => (await ingest.log.readStream(`terminal-${terminalId}`)).at(-1)?.type === 'TerminalReleased',
        20_000,
        `terminal ${terminalId} released`,
      );
    },
    async waitForPayment(paymentId, until, what) {
      let state: PaymentState = { status: 'none' };
      await waitUntil(
        async () => {
          state = (await readState(ingest.log, paymentStream(paymentId), paymentDecider)).state;
          return until(state);
        },
        20_000,
        `${what} (payment ${paymentId}, last status ${state.status})`,
      );
      return state;
    },
    async close() {
      await nats.close();
      await projections?.close();
      await command.close();
      await ingest.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
      if (everyApp.NATS_URL === undefined) await removeNatsState(prefix, natsUrl);
    },
  };
}
