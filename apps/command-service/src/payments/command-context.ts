import type { PosClient } from '../auth/pos-client';

/** Who asks and under which correlation id: the same for HTTP and NATS. */
export interface CommandContext {
  readonly correlationId: string;
  readonly client: PosClient;
}

/** The metadata of every event a command writes: who asked, under which correlation id, about what. */
export function commandMetadata(
  context: CommandContext,
  ids: {
    readonly paymentId: string;
    readonly storeId: string;
    readonly terminalId: string;
    readonly refundId?: string;
  },
  occurredAt: string = new Date().toISOString(),
): Readonly<Record<string, string>> {
  return {
    correlationId: context.correlationId,
    causationId: context.correlationId,
    occurredAt,
    paymentId: ids.paymentId,
    ...(ids.refundId ? { refundId: ids.refundId } : {}),
    storeId: ids.storeId,
    terminalId: ids.terminalId,
    posClientId: context.client.id,
  };
}
