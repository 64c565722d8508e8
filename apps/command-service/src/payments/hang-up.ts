import type { FastifyReply } from 'fastify';

/** Aborted when the POS hangs up: a long wait for the outcome then ends early. */
export function hangUp(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.once('close', () => gone.abort());
  return gone.signal;
}
