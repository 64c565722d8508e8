import { createHash } from 'node:crypto';
import { handleCommand, type EventStore } from '@app/event-store';
import { idempotencyDecider, idempotencyStream } from '@app/payment-domain';
import { canonicalJson } from '../../apps/command-service/src/idempotency/request-fingerprint';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * What a command service killed right after taking an Idempotency-Key leaves in the log: the key, taken at `at` for
 * `body` (as the service hashes it, and as versions before hashed an HTTP body as sent), naming `resourceId`, its lease over at `leaseUntil`.
 */
export async function takenKey(
  log: EventStore,
  taken: { scope: string; key: string; body: unknown; resourceId: string; at: Date; leaseUntil: Date },
): Promise<void> {
  await handleCommand(
    log,
    idempotencyStream(taken.scope, sha256(taken.key).slice(0, 40)),
    idempotencyDecider,
    {
      type: 'UseIdempotencyKey',
      data: {
        bodyHash: sha256(canonicalJson(taken.body)),
        at: taken.at.toISOString(),
        expiresAt: new Date(taken.at.getTime() + 86_400_000).toISOString(),
        resourceId: taken.resourceId,
        leaseUntil: taken.leaseUntil.toISOString(),
      },
    },
    { metadata: { correlationId: 'crashed' } },
  );
}
