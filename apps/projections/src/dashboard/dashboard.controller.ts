import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  HttpException,
  Inject,
  NotFoundException,
  Param,
  Post,
  Redirect,
  Req,
  Res,
  Sse,
  UseGuards,
  type MessageEvent,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { serialize } from 'cookie';
import { ApiProblems } from '@app/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { concat, defer, map, of, type Observable } from 'rxjs';
import { OperatorGuard, ViewerSession } from '../operators/operator.guard';
import { OperatorSessions, SESSION_COOKIE, type OperatorSession } from '../operators/operator-sessions';
import { PROJECTIONS_CONFIG, type ProjectionsConfig } from '../projections.config';
import { DashboardService, type DashboardView } from './dashboard.service';
import { SessionView, SignInDto } from './sign-in.dto';

/** The page's files, by name, with their content type: three small files known when the app is built. */
const ASSETS: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/**
 * The live store dashboard: the page at `/dashboard`, a sign-in at `/v1/dashboard/session`, the viewer's
 * stores at `/v1/dashboard/stores` and their changes as server-sent events at `/v1/dashboard/stream`.
 * The page holds no data: everything under `/v1/dashboard` needs an operator session or key (401 without),
 * and shows only the operator's stores. The page's files are read once and
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

  constructor(
    private readonly dashboard: DashboardService,
    private readonly sessions: OperatorSessions,
    @Inject(PROJECTIONS_CONFIG) private readonly config: ProjectionsConfig,
  ) {}

  /** The app's address, as `npm start` prints it, opened in a browser: the page is all there is to see. */
  @Get()
  @Redirect('/dashboard', 302)
  @ApiOperation({ summary: 'Sends a browser to the dashboard' })
  @ApiResponse({ status: 302, description: 'To /dashboard' })
  root(): void {}

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

  @Post('v1/dashboard/session')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Sign in with an operator key: sets the session cookie (HttpOnly) the page and its stream use',
  })
  @ApiOkResponse({ type: SessionView })
  @ApiProblems({ 400: 'VALIDATION_FAILED: no key, or not a key', 401: 'UNAUTHENTICATED: unknown operator key' })
  signIn(@Body() body: SignInDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const session = this.sessions.signIn(body.key);
    void reply.header(
      'set-cookie',
      serialize(SESSION_COOKIE, session.token, {
        httpOnly: true,
        sameSite: 'strict',
        // Behind the TLS proxy the docs ask for, the request arrives as http: the proxy's header says https.
        // Trusting it costs nothing here: a forged one only makes the cookie stricter.
        secure: request.protocol === 'https' || forwardedAsHttps(request.headers),
        path: '/',
        maxAge: Math.floor((session.expiresAt - Date.now()) / 1000),
      }),
    );
    return this.view(session);
  }

  @Get('v1/dashboard/session')
  @UseGuards(OperatorGuard)
  @Header('cache-control', 'no-store')
  @ApiCookieAuth(SESSION_COOKIE)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Who is signed in, and which stores they see' })
  @ApiOkResponse({ type: SessionView })
  @ApiProblems({ 401: 'UNAUTHENTICATED: not signed in, or the session ended' })
  session(@ViewerSession() session: OperatorSession): SessionView {
    return this.view(session);
  }

  @Delete('v1/dashboard/session')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Sign out: the session ends on every instance (a copy of its cookie no longer signs in), and the cookie is cleared',
  })
  @ApiNoContentResponse({ description: 'Signed out' })
  @ApiProblems({ 503: 'SIGN_OUT_NOT_RECORDED: NATS did not take the sign-out; the cookie is cleared, send it again' })
  async signOut(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    void reply.header(
      'set-cookie',
      serialize(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'strict', path: '/', maxAge: 0 }),
    );
    try {
      await this.sessions.signOut(request.headers);
    } catch (error) {
      throw new HttpException(
        {
          code: 'SIGN_OUT_NOT_RECORDED',
          detail: `The session could not be ended everywhere (${(error as Error).message}): send the sign-out again`,
        },
        503,
      );
    }
  }

  @Get('v1/dashboard/stores')
  @UseGuards(OperatorGuard)
  @Header('cache-control', 'no-store')
  @ApiCookieAuth(SESSION_COOKIE)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The operator’s stores with their terminals, last seven days and latest payments' })
  @ApiOkResponse({
    description:
      '`{ stores: [{ store, terminals, today, days }], activity }`: the days before today without their breakdowns, and the latest 50 ended payments and refunds',
  })
  @ApiProblems({
    401: 'UNAUTHENTICATED: not signed in, or the session ended',
    503: 'READ_MODELS_NOT_READY: the read models are not loaded yet (the log did not answer as the app started); ask again',
  })
  stores(@ViewerSession() session: OperatorSession): DashboardView {
    return this.dashboard.snapshot(session);
  }

  @Sse('v1/dashboard/stream')
  @UseGuards(OperatorGuard)
  @ApiCookieAuth(SESSION_COOKIE)
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'Server-sent events of the operator’s stores: `stores` (the first view), then `changes` (changed read-model documents)',
  })
  @ApiProblems({
    401: 'UNAUTHENTICATED: not signed in, or the session ended',
    503: 'READ_MODELS_NOT_READY: the read models are not loaded yet (the log did not answer as the app started); ask again',
  })
  stream(@ViewerSession() session: OperatorSession): Observable<MessageEvent> {
    // Before the stream opens: once it has, an error could only end it.
    this.dashboard.refuseUntilLoaded();
    return concat(
      defer(() => of<MessageEvent>({ type: 'stores', data: this.dashboard.snapshot(session) })),
      this.dashboard.live(session).pipe(map((changes): MessageEvent => ({ type: 'changes', data: changes }))),
    );
  }

  private view({ operator, expiresAt }: OperatorSession): SessionView {
    return {
      operatorId: operator.id,
      stores: operator.stores === '*' ? '*' : [...operator.stores].sort(),
      ...(Number.isFinite(expiresAt) ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
      stuckAfterSeconds: this.config.dashboardStuckSeconds,
    };
  }

  private send(reply: FastifyReply, name: string): void {
    const file = Object.hasOwn(ASSETS, name) ? this.files.get(name) : undefined;
    if (!file) throw new NotFoundException({ code: 'NOT_FOUND', detail: `No such file: ${name}` });
    void reply
      .header('content-type', file.type)
      .header('cache-control', 'no-cache')
      // The page loads its own script, stylesheet and icon, and talks to its own origin; it has no inline code. So
      // nothing else may run in it, and it may not be framed (clickjacking) nor its files taken for another type.
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-frame-options', 'DENY')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(file.body);
  }
}

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Whether the proxy in front says the client came over https: `X-Forwarded-Proto` (its first entry, for chained
 * proxies: `https, http`), or the standard `Forwarded: proto=https` (RFC 7239).
 */
function forwardedAsHttps(headers: FastifyRequest['headers']): boolean {
  const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value)?.split(',')[0];
  if (first(headers['x-forwarded-proto'])?.trim().toLowerCase() === 'https') return true;
  return /(?:^|;)\s*proto="?https"?\s*(?:;|$)/i.test(first(headers.forwarded) ?? '');
}
