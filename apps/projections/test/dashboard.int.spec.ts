import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startEngine, type Engine } from '../../../test/support/engine';
import { startProjections } from '../../../test/support/projections';
import type { DashboardStore } from '../src/dashboard/dashboard.service';
import type { Change } from '../src/read-models/read-model.types';

interface ServerSentEvent {
  readonly type: string;
  readonly data: unknown;
}

/**
 * The events of a text/event-stream response as they arrive. Node 20 has no EventSource; the format is
 * blocks of `field: value` lines separated by a blank line.
 */
async function* serverSentEvents(response: Response): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
      }
      if (fields.has('data'))
        yield { type: fields.get('event') ?? 'message', data: JSON.parse(fields.get('data')!) as unknown };
    }
  }
}

describe('the live store dashboard (projections app)', () => {
  let engine: Engine;
  let url: string;

  beforeAll(async () => {
    engine = await startEngine({ projections: true });
    url = await (engine.projections as NestFastifyApplication).getUrl();
    await engine.terminals('bergen', 'D-1', 'D-2');
  });
  afterAll(() => engine.close());

  it('serves its page and files, and a clear 404 for any other file', async () => {
    const page = await fetch(`${url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<script src="/dashboard/dashboard.js"');
    expect(html).toContain('id="latest"');

    const script = await fetch(`${url}/dashboard/dashboard.js`);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(await script.text()).toContain("new EventSource('/v1/dashboard/stream')");
    expect((await fetch(`${url}/dashboard/dashboard.css`)).status).toBe(200);

    const missing = await fetch(`${url}/dashboard/..%2Fprojections.module.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('streams the stores first, then each payment’s outcome as it is projected', async () => {
    const abort = new AbortController();
    const response = await fetch(`${url}/v1/dashboard/stream`, { signal: abort.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = serverSentEvents(response);

    const first = (await events.next()).value as ServerSentEvent;
    expect(first.type).toBe('stores');
    const bergen = (first.data as DashboardStore[]).find((entry) => entry.store.storeId === 'bergen');
    expect(bergen?.terminals.map((terminal) => terminal.terminalId)).toEqual(['D-1', 'D-2']);

    const { paymentId } = await engine.start('bergen', 'D-1', 12_300);
    await engine.sim.control('POST', '/terminals/D-1/present', {});
    const seen = new Set<string>();
    for await (const event of events) {
      expect(event.type).toBe('changes');
      const changes = event.data as Change[];
      for (const change of changes) seen.add(`${change.model}:${change.key}`);
      const terminal = changes.find((change) => change.model === 'terminal' && change.key === 'bergen.D-1');
      if (terminal?.model === 'terminal' && terminal.doc.lastOutcome?.paymentId === paymentId) {
        expect(terminal.doc.lastOutcome).toMatchObject({ status: 'captured', amount: 12_300, currency: 'NOK' });
        break;
      }
    }
    abort.abort();
    expect(seen).toContain('store:bergen');

    // The first view, on its own: what a dashboard that reconnects starts from.
    const stores = (await (await fetch(`${url}/v1/dashboard/stores`)).json()) as DashboardStore[];
    const now = stores.find((entry) => entry.store.storeId === 'bergen')!;
    expect(now.terminals.find((terminal) => terminal.terminalId === 'D-1')?.lastOutcome?.paymentId).toBe(paymentId);
    expect(now.today?.currencies.NOK).toMatchObject({ capturedCount: 1, capturedAmount: 12_300 });
  });

  it('ends its event streams when the app stops, so that an open tab never holds the stop', async () => {
    const second = await startProjections({
      EVENT_STORE_URL: `sqlite:${engine.eventStoreFile}`,
      NATS_PREFIX: engine.prefix,
    });
    const response = await fetch(`${await second.getUrl()}/v1/dashboard/stream`);
    const events = serverSentEvents(response);
    expect(((await events.next()).value as ServerSentEvent).type).toBe('stores');

    await second.close();
    const rest: ServerSentEvent[] = [];
    for await (const event of events) rest.push(event);
    expect(rest.every((event) => event.type === 'changes')).toBe(true);
  });
});
