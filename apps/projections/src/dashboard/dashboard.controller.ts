import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Controller, Get, Header, NotFoundException, Param, Res, Sse, type MessageEvent } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@app/platform';
import type { FastifyReply } from 'fastify';
import { concat, defer, map, of, type Observable } from 'rxjs';
import { DashboardService, type DashboardStore } from './dashboard.service';

/** The page's files, by name, with their content type: three small files known when the app is built. */
const ASSETS: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/**
 * The live store dashboard: the page at `/dashboard`, the stores' first view at `/v1/dashboard/stores`
 * and their changes as server-sent events at `/v1/dashboard/stream`. The three files are read once and
 * served from here rather than by @fastify/static: the dashboard then comes with this module wherever it
 * is mounted (the built app, the in-process test app) without each bootstrap registering a plugin.
 */
@ApiTags('dashboard')
@ApiProblems({ 429: 'RATE_LIMITED: more requests a minute than allowed; retry later' })
@Controller()
export class DashboardController {
  private readonly files = new Map(
    Object.entries(ASSETS).map(([name, type]) => [
      name,
      { type, body: readFileSync(path.join(__dirname, 'public', name), 'utf8') },
    ]),
  );

  constructor(private readonly dashboard: DashboardService) {}

  @Get('dashboard')
  @ApiOperation({ summary: 'The live store dashboard (HTML)' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The page' })
  page(@Res() reply: FastifyReply): void {
    this.send(reply, 'index.html');
  }

  @Get('dashboard/:file')
  @ApiOperation({ summary: 'A file of the dashboard (its script, its styles, its icon)' })
  @ApiProduces('text/javascript', 'text/css', 'image/svg+xml')
  @ApiOkResponse({ description: 'The file' })
  @ApiProblems({ 404: 'NOT_FOUND: no such file' })
  asset(@Param('file') name: string, @Res() reply: FastifyReply): void {
    this.send(reply, name);
  }

  @Get('v1/dashboard/stores')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Every store with its terminals and today’s figures, as the read models have them' })
  @ApiOkResponse({ description: 'An array of `{ store, terminals, today }`' })
  stores(): DashboardStore[] {
    return this.dashboard.snapshot();
  }

  @Sse('v1/dashboard/stream')
  @ApiOperation({
    summary: 'Server-sent events: `stores` (the first view) and then `changes` (changed read-model documents)',
  })
  stream(): Observable<MessageEvent> {
    return concat(
      defer(() => of<MessageEvent>({ type: 'stores', data: this.dashboard.snapshot() })),
      this.dashboard.live().pipe(map((changes): MessageEvent => ({ type: 'changes', data: changes }))),
    );
  }

  private send(reply: FastifyReply, name: string): void {
    const file = Object.hasOwn(ASSETS, name) ? this.files.get(name) : undefined;
    if (!file) throw new NotFoundException({ code: 'NOT_FOUND', detail: `No such file: ${name}` });
    void reply.header('content-type', file.type).header('cache-control', 'no-cache').send(file.body);
  }
}
