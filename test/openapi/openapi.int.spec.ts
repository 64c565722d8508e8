import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod, type INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startCommandService, type RunningCommandService } from '../support/command-service';
import { startIngestService, type RunningIngestService } from '../support/ingest-service';
import { startProjections, uniquePrefix, removeNatsState } from '../support/projections';
import { startSimulator, type RunningSimulator } from '../support/simulator';

interface Operation {
  readonly responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
  readonly requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
}
type Document = { paths: Record<string, Record<string, Operation>>; components?: unknown };

/** Every route Nest registered on the app: `METHOD /path/{param}`, as OpenAPI writes it. */
function registeredRoutes(app: INestApplication): string[] {
  const routes: string[] = [];
  const controllers = [...app.get(ModulesContainer).values()].flatMap((module) => [...module.controllers.values()]);
  for (const wrapper of controllers) {
    const controller = wrapper.metatype as (new () => object) | null;
    if (!controller) continue;
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue;
      const route = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
      const full = `/${[base, route].join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
      routes.push(`${RequestMethod[method]} ${full.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return routes;
}

interface Schema {
  readonly properties?: Record<string, { type?: string; description?: string; enum?: unknown[] }>;
}

/** Where a schema in `node` is `type: number` (not `integer`). */
function numbersIn(node: unknown, at = ''): string[] {
  if (Array.isArray(node)) return node.flatMap((item, index) => numbersIn(item, `${at}[${index}]`));
  if (node === null || typeof node !== 'object') return [];
  const here = (node as { type?: unknown }).type === 'number' ? [at] : [];
  return [...here, ...Object.entries(node).flatMap(([key, value]) => numbersIn(value, `${at}.${key}`))];
}

const isError = (status: string) => /^[45]\d\d$/.test(status);

describe('OpenAPI: each app’s document is valid and complete', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'openapi-'));
  const prefix = uniquePrefix();
  let command: RunningCommandService;
  let ingest: RunningIngestService;
  let projections: INestApplication;
  let simulator: RunningSimulator;
  beforeAll(async () => {
    command = await startCommandService({ NATS_PREFIX: prefix });
    ingest = await startIngestService({
      EVENT_STORE_URL: `sqlite:${path.join(dir, 'ingest.db')}`,
      NATS_PREFIX: prefix,
    });
    projections = await startProjections({
      EVENT_STORE_URL: `sqlite:${path.join(dir, 'projections.db')}`,
      NATS_PREFIX: prefix,
    });
    simulator = await startSimulator();
  });
  afterAll(async () => {
    await simulator?.close();
    await projections?.close();
    await ingest?.close();
    await command?.close();
    rmSync(dir, { recursive: true, force: true });
    await removeNatsState(prefix);
  });

  const apps = () => ({
    'command-service': command.app as INestApplication,
    'ingest-service': ingest.app as INestApplication,
    projections,
    'dintero-simulator': simulator.app as INestApplication,
  });

  it.each(['command-service', 'ingest-service', 'projections', 'dintero-simulator'] as const)(
    '%s: valid OpenAPI, every route in it with its error answers, amounts in minor units, statuses as enums',
    async (name) => {
      const app = apps()[name];
      const url = await app.getUrl();
      const document = (await (await fetch(`${url.replace('[::1]', '127.0.0.1')}/docs-json`)).json()) as Document;
      // Against the OpenAPI 3 schema, and every $ref resolved (the parser changes what it is given: a copy).
      await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();

      const missing: string[] = [];
      const withoutErrors: string[] = [];
      const routes = registeredRoutes(app);
      expect(routes).toContain('GET /health');
      for (const route of routes) {
        const [method, routePath] = route.split(' ') as [string, string];
        const operation = document.paths[routePath]?.[method.toLowerCase()];
        if (!operation) {
          missing.push(route);
          continue;
        }
        const errors = Object.keys(operation.responses ?? {}).filter(isError);
        if (errors.length === 0) withoutErrors.push(route);
        // A body is described field by field, not as an empty object.
        const ref = operation.requestBody?.content?.['application/json']?.schema?.$ref;
        const schemas = (document.components as { schemas?: Record<string, Schema> } | undefined)?.schemas ?? {};
        if (ref && Object.keys(schemas[ref.split('/').pop()!]?.properties ?? {}).length === 0)
          withoutErrors.push(`${route}: its body ${ref} has no fields`);
      }
      expect({ missing, withoutErrors }).toEqual({ missing: [], withoutErrors: [] });
      // Errors are described as they are sent: Problem Details (but /health's 503, terminus's own JSON, and the
      // simulator's, which are Dintero's own JSON errors).
      const errorTypes = new Set(
        Object.entries(document.paths)
          .filter(([route]) => route !== '/health')
          .flatMap(([, operations]) => Object.values(operations))
          .flatMap((operation) => Object.entries(operation.responses ?? {}))
          .filter(([status]) => isError(status))
          .flatMap(([, response]) => Object.keys(response.content ?? {})),
      );
      if (name !== 'dintero-simulator') expect([...errorTypes]).toEqual(['application/problem+json']);

      // Every amount says its unit, and every status field lists its values (a number is an HTTP status).
      const vague: string[] = [];
      const schemas = (document.components as { schemas?: Record<string, Schema> } | undefined)?.schemas ?? {};
      for (const [name, schema] of Object.entries(schemas)) {
        for (const [property, field] of Object.entries(schema.properties ?? {})) {
          if (/^amount$|Amount$/.test(property) && !/minor units/i.test(field.description ?? ''))
            vague.push(`${name}.${property}: no "minor units"`);
          if (/^status$|Status$/.test(property) && field.type === 'string' && !field.enum)
            vague.push(`${name}.${property}: no enum`);
        }
      }
      expect(vague).toEqual([]);
      // Amounts in minor units, counts, statuses, seconds: every number of ours is an integer (Terminus's health
      // answer, with its `responseTime`, is not ours).
      const { ['/health']: _health, ...paths } = document.paths;
      expect(numbersIn({ paths, components: document.components })).toEqual([]);
    },
  );

  it('command-service: types the amounts of a start, a refund and a payment as integers (minor units)', async () => {
    const url = await command.app.getUrl();
    const document = (await (await fetch(`${url.replace('[::1]', '127.0.0.1')}/docs-json`)).json()) as Document;
    const schemas = (document.components as { schemas: Record<string, Schema> }).schemas;
    for (const [schema, property] of [
      ['StartTerminalPaymentDto', 'amount'],
      ['RefundTerminalPaymentDto', 'amount'],
      ['PaymentView', 'amount'],
      ['PaymentView', 'capturedAmount'],
      ['RefundView', 'amount'],
    ] as const)
      expect({ schema, property, type: schemas[schema]!.properties![property]!.type }).toEqual({
        schema,
        property,
        type: 'integer',
      });
  });

  it('command-service: says every answer its routes give, as they give it', async () => {
    const url = await command.app.getUrl();
    const document = (await (await fetch(`${url.replace('[::1]', '127.0.0.1')}/docs-json`)).json()) as Document;
    const answers = (route: string, method: string) => Object.keys(document.paths[route]?.[method]?.responses ?? {});
    // A cancel Dintero has not confirmed is 202; a new store 201.
    expect(answers('/v1/terminal-payments/{paymentId}/cancel', 'post')).toEqual(expect.arrayContaining(['200', '202']));
    expect(answers('/v1/stores/{storeId}', 'put')).toEqual(expect.arrayContaining(['200', '201']));
    // The body limit, the content type and the rate limit hold for the operations as for the payments.
    for (const route of ['/v1/stores/{storeId}/terminals/{terminalId}/operations', '/v1/stores/{storeId}/operations'])
      expect(answers(route, 'post')).toEqual(expect.arrayContaining(['413', '415', '429', '500']));
    const schemas = (document.components as { schemas: Record<string, Schema> }).schemas;
    expect(schemas['StoreView']!.properties!['currencies']).toMatchObject({ type: 'array' });
    expect(
      (document.paths['/v1/terminal-payments']!['post']!.responses!['422'] as { description?: string }).description,
    ).toContain('TERMINAL_NOT_ACTIVE_AT_DINTERO');
  });

  // A POS author reads these to know when to stop waiting and what to show: each says what it means.
  it('command-service: says what a payment’s final, reason and expiry mean, and what waitFor and timeout do', async () => {
    const url = await command.app.getUrl();
    const document = (await (await fetch(`${url.replace('[::1]', '127.0.0.1')}/docs-json`)).json()) as Document;
    const payment = (document.components as { schemas: Record<string, Schema> }).schemas['PaymentView']!.properties!;
    const undescribed = ['final', 'reason', 'expiresAt'].filter((field) => !payment[field]?.description);
    const get = document.paths['/v1/terminal-payments/{paymentId}']!['get'] as {
      parameters?: { name: string; description?: string }[];
    };
    for (const name of ['waitFor', 'timeout'])
      if (!get.parameters?.find((parameter) => parameter.name === name)?.description) undescribed.push(`?${name}`);
    expect(undescribed).toEqual([]);
  });

  it('command-service: describes the card, the receipts and the start metadata a payment shows', async () => {
    const url = await command.app.getUrl();
    const document = (await (await fetch(`${url.replace('[::1]', '127.0.0.1')}/docs-json`)).json()) as Document;
    const schemas = (document.components as { schemas: Record<string, Schema> }).schemas;
    const payment = schemas['PaymentView']!.properties!;
    const fields = [
      ...['card', 'receipt', 'metadata'].map((field) => [payment, field] as const),
      ...['brand', 'maskedPan', 'type', 'entryMethod'].map(
        (field) => [schemas['CardView']?.properties, field] as const,
      ),
      ...['customerReceipt', 'customerReceiptPart2', 'merchantReceipt', 'merchantReceiptPart2'].map(
        (field) => [schemas['ReceiptView']?.properties, field] as const,
      ),
    ];
    const missing = fields.filter(([properties, field]) => properties?.[field] === undefined).map(([, f]) => f);
    expect(missing).toEqual([]);
    const undescribed = ['card', 'receipt', 'metadata'].filter((field) => !payment[field]?.description);
    expect(undescribed).toEqual([]);
  });
});
