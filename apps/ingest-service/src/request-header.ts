import type { FastifyRequest } from 'fastify';

/**
 * A request header's one value, or undefined: absent, repeated, empty, or over 100 characters (as the body's ids).
 * Dintero's delivery headers (`event`, `event-delivery`) only name things; one too long is left out, never
 * refused, since a refused delivery counts as failed at Dintero and can get the subscription deleted.
 */
export function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' && value.length <= 100 ? value : undefined;
}
