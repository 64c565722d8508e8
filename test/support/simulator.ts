import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DinteroClient, type TerminalSessionRequest } from '@app/dintero';
import { createHttpApp, listen, loadConfig } from '@app/platform';
import { DinteroSimulatorConfig } from '../../apps/dintero-simulator/src/dintero-simulator.config';
import { DinteroSimulatorModule } from '../../apps/dintero-simulator/src/dintero-simulator.module';
import { waitUntil } from './app-process';

export interface RunningSimulator {
  readonly url: string;
  readonly app: NestFastifyApplication;
  readonly config: DinteroSimulatorConfig;
  control<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** The simulator in this process, on a free port, over real HTTP. */
export async function startSimulator(env: Record<string, string> = {}): Promise<RunningSimulator> {
  const config = loadConfig(DinteroSimulatorConfig, {
    LOG_LEVEL: 'silent',
    SIM_TERMINAL_DELAY_MS: '60000',
    SIM_RETRY_BASE_MS: '5',
    SIM_HOLD_MS: '50',
    // A transaction left AUTHORIZED (amounts ending in 45) stays so for the test, as a prompt does; a test that wants
    // Dintero's automatic capture sets a short delay.
    SIM_CAPTURE_DELAY_MS: '60000',
    ...env,
  });
  const app = await createHttpApp(DinteroSimulatorModule.forRoot(config), config, {
    name: 'dintero-simulator',
    title: 'sim',
    description: 'sim',
  });
  const url = await listen(app, '127.0.0.1', 0);
  return {
    url,
    app,
    config,
    control: async <T>(method: string, path: string, body?: unknown) => {
      const response = await fetch(`${url}/_control${path}`, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      const json = (await response.json()) as T;
      if (!response.ok) throw new Error(`control ${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    },
    close: () => app.close(),
  };
}

/** The engine's Dintero client on the simulator, with the simulator's default credentials. */
export function simulatorClient(sim: Pick<RunningSimulator, 'url'>): DinteroClient {
  return new DinteroClient({
    accountId: 'T12345678',
    clientId: 'simulator-client',
    clientSecret: 'simulator-secret',
    apiUrl: sim.url,
    checkoutUrl: sim.url,
  });
}

export interface ReceivedRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: Buffer;
  /** When it had come in whole (`Date.now()`). */
  readonly receivedAt: number;
}

export interface Receiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** The status to answer each request with (default 200). */
  respond: (request: ReceivedRequest) => number;
  waitFor(count: number, what?: string, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** A real HTTP endpoint standing where ingest will, recording callbacks and webhooks with their raw bodies. */
export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const receiver: Receiver = {
    url: '',
    requests,
    respond: () => 200,
    waitFor: async (count, what = 'requests', timeoutMs = 10_000) => {
      await waitUntil(() => requests.length >= count, timeoutMs, `${count} ${what} (got ${requests.length})`);
      return requests;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received = {
        method: request.method ?? 'GET',
        url: new URL(request.url ?? '/', 'http://127.0.0.1'),
        headers: request.headers,
        rawBody: Buffer.concat(chunks),
        receivedAt: Date.now(),
      };
      requests.push(received);
      response.statusCode = receiver.respond(received);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  (receiver as { url: string }).url = `http://127.0.0.1:${port}`;
  return receiver;
}

/** One store with a payout destination and three active terminals. */
export const SEED = {
  stores: [{ id: 'oslo-center', payout_destination_id: 'seller-1', name: 'Oslo Center' }],
  terminals: [
    { terminal_id: 'T-1', store_id: 'oslo-center' },
    { terminal_id: 'T-2', store_id: 'oslo-center' },
    { terminal_id: 'T-3', store_id: 'oslo-center', status: 'INACTIVE' },
  ],
};

/** A terminal session request for the seeded store's T-1, as the command service sends one; `change` overrides. */
export function terminalSessionRequest(change: Partial<TerminalSessionRequest> = {}): TerminalSessionRequest {
  return {
    profileId: 'in-store',
    paymentId: randomUUID(),
    amount: 39_900,
    currency: 'NOK',
    merchantReference: 'POS-1',
    storeId: 'oslo-center',
    terminalId: 'T-1',
    payoutDestinationId: 'seller-1',
    callbackUrl: 'http://127.0.0.1:9/v1/dintero/callback?report_error=true',
    returnUrl: 'http://127.0.0.1:9/return',
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ...change,
  };
}
