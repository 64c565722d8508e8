import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

/**
 * `/dashboard/` (typed, or bookmarked, with a trailing slash) sent to `/dashboard` for good (301): one address for
 * the page, whose files it names from the root. Registered on Fastify itself, since Nest strips a route's trailing
 * slash (`@Get('dashboard/')` is `/dashboard` twice) and Fastify tells `/dashboard/` from `/dashboard`. Only this
 * address: the API's routes keep answering a trailing slash 404, as their documentation has none.
 */
@Injectable()
export class DashboardSlash implements OnModuleInit {
  constructor(private readonly adapter: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter?.getInstance<FastifyInstance>();
    // Without an HTTP server (a module compiled for a test of its providers alone) there is no address to answer.
    fastify?.get('/dashboard/', (_request, reply) => reply.redirect('/dashboard', 301));
  }
}
