import type { PosClient } from '../auth/pos-client';

/** Who asks and under which correlation id: the same for HTTP and NATS. */
export interface CommandContext {
  readonly correlationId: string;
  readonly client: PosClient;
}
