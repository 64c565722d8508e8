import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request through the proxy and the answer it got. */
export interface Exchange {
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly requestHeaders: IncomingHttpHeaders;
  /** The JSON body, or undefined when there was none. */
  readonly requestBody: unknown;
  readonly status: number;
  readonly responseHeaders: Headers;
  readonly responseBody: unknown;
}

export interface RecordingProxy {
  readonly url: string;
  /** Where requests go; set once the target is listening. */
  target: string;
  readonly exchanges: Exchange[];
  close(): Promise<void>;
}

/**
 * A real HTTP hop between the engine and the simulator that keeps every request and answer, so that a
 * test can hold each against Dintero's specification. Written here rather than taken from a proxy library:
 * it only has to forward JSON and remember it, and the recording is the point.
 */
export async function startRecordingProxy(): Promise<RecordingProxy> {
  const exchanges: Exchange[] = [];
  const proxy = { target: '', exchanges };
  const server: Server = createServer((request, reply) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const url = new URL(request.url ?? '/', 'http://proxy');
        const headers = new Headers();
        for (const [name, value] of Object.entries(request.headers))
          if (value !== undefined && name !== 'host' && name !== 'content-length' && name !== 'connection')
            headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        try {
          const answer = await fetch(`${proxy.target}${request.url ?? '/'}`, {
            method: request.method ?? 'GET',
            headers,
            ...(raw.length > 0 ? { body: raw } : {}),
          });
          const text = await answer.text();
          exchanges.push({
            method: request.method ?? 'GET',
            path: url.pathname,
            query: url.searchParams,
            requestHeaders: request.headers,
            requestBody: raw.length > 0 ? parsed(raw.toString()) : undefined,
            status: answer.status,
            responseHeaders: answer.headers,
            responseBody: text ? parsed(text) : undefined,
          });
          const forwarded: Record<string, string> = {};
          answer.headers.forEach((value, name) => {
            if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection')
              forwarded[name] = value;
          });
          reply.writeHead(answer.status, forwarded).end(text);
        } catch (error) {
          reply.writeHead(502, { 'content-type': 'text/plain' }).end(String(error));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  });
}

/** JSON as parsed, or the text itself when it is not JSON (a schema then says what is wrong with it). */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
