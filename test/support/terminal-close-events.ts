import type { RecordedEvent } from '@app/event-store';
import type { logOfEvents } from './recorded-events';

/** The terminal whose end-of-day closes these tests fold: `T-1` of store `oslo`, `d-T-1` at Dintero. */
const meta = { storeId: 'oslo', terminalId: 'T-1' } as const;

/**
 * The store day a close is for, in its metadata (and its request's data), as the command service records it. Left
 * out, the metadata names the terminal alone: some tests fold closes as a log written before the day was recorded.
 */
const metadataOf = (businessDay?: string) => (businessDay === undefined ? meta : { ...meta, businessDay });

export interface CloseRequest {
  /** `nightly-close`, or who closed by hand (`operator`). */
  readonly requestedBy: string;
  readonly requestedAt: string;
  /** Tests differ on it (the request's time, or 15 minutes on): the projector does not read it. */
  readonly expiresAt: string;
  readonly businessDay?: string;
  /** The device the close is sent to (`dinteroTerminalId`): `d-T-1` unless given. */
  readonly device?: string;
}

export interface CloseOutcome {
  /** When the outcome reached the log. */
  readonly at: string;
  /** When the terminal closed its batch, by Dintero; left out where a test has no such time. */
  readonly dinteroAt?: string;
  /** The terminal's totals for the batch it closed; left out for a close without totals (Dintero gave none). */
  readonly batch?: Record<string, unknown>;
  readonly businessDay?: string;
}

/**
 * The events of terminal `T-1`'s end-of-day closes and sales as the projector folds them, each built by `event`
 * (a `logOfEvents()`) at the log's next position, in the order they are called: tests that reorder the log by time
 * number it again themselves.
 */
export function terminalCloseEvents(event: ReturnType<typeof logOfEvents>) {
  return {
    storeRegistered: (at: string, timeZone = 'UTC'): RecordedEvent =>
      event('store-oslo', 'StoreRegistered', {
        storeId: 'oslo',
        name: 'Oslo',
        payoutDestinationId: 'p',
        timeZone,
        at,
      }),
    terminalRegistered: (at: string): RecordedEvent => event('store-oslo', 'TerminalRegistered', { ...meta, at }),
    /** Device `device` registered at Dintero under the terminal's name (another device, a swap, when it had one). */
    enrolled: (device: string, at: string): RecordedEvent =>
      event('store-oslo', 'TerminalEnrolled', {
        ...meta,
        dinteroTerminalId: device,
        deviceSerialNumber: `S-${device}`,
        status: 'ACTIVE',
        at,
      }),
    /** An end of day asked for (`OperationRequested`, `end_of_day`). */
    requested: (
      operationId: string,
      { requestedBy, requestedAt, expiresAt, businessDay, device = 'd-T-1' }: CloseRequest,
    ): RecordedEvent => ({
      ...event(`operation-${operationId}`, 'OperationRequested', {
        operationId,
        ...meta,
        dinteroTerminalId: device,
        operation: 'end_of_day',
        claimId: operationId,
        requestedBy,
        requestedAt,
        expiresAt,
        ...(businessDay === undefined ? {} : { businessDay }),
      }),
      metadata: metadataOf(businessDay),
    }),
    /** Its completion (`OperationCompleted`), with the batch's totals or without. */
    completed: (operationId: string, { at, dinteroAt, batch, businessDay }: CloseOutcome): RecordedEvent => ({
      ...event(`operation-${operationId}`, 'OperationCompleted', {
        operationId,
        dinteroOperationId: `d-${operationId}`,
        ...(batch === undefined ? {} : { batch }),
        at,
        ...(dinteroAt === undefined ? {} : { dinteroAt }),
      }),
      metadata: metadataOf(businessDay),
    }),
    /** Its end without an outcome to count (`OperationEnded`, `failed`): the terminal reported a failure. */
    failed: (
      operationId: string,
      { at, businessDay }: { readonly at: string; readonly businessDay?: string },
    ): RecordedEvent => ({
      ...event(`operation-${operationId}`, 'OperationEnded', { operationId, outcome: 'failed', reason: 'FAILED', at }),
      metadata: metadataOf(businessDay),
    }),
    /**
     * A card sale on the terminal, asked for and captured at `at` (no claim: the projector counts it without); sent to
     * `device` (`dinteroTerminalId`) when given, else naming none, as payments recorded before the registry mapped one.
     */
    sale: (paymentId: string, at: string, amount = 100, currency = 'NOK', device?: string): RecordedEvent[] => [
      event(`payment-${paymentId}`, 'PaymentRequested', {
        paymentId,
        ...meta,
        ...(device === undefined ? {} : { dinteroTerminalId: device }),
        amount,
        currency,
        requestedAt: at,
      }),
      event(`payment-${paymentId}`, 'PaymentCaptured', {
        transactionId: `tx-${paymentId}`,
        amount,
        currency,
        card: { brand: 'VISA', entryMethod: 'contactless' },
        source: 'callback',
        at,
      }),
    ],
    /**
     * A refund of sale `paymentId` done at the terminal at `at`, asked for and succeeded (its amount 100); sent to
     * `device` when given.
     */
    refund: (paymentId: string, refundId: string, at: string, device?: string): RecordedEvent[] => [
      event(`payment-${paymentId}`, 'RefundRequested', {
        refundId,
        amount: 100,
        terminalId: meta.terminalId,
        ...(device === undefined ? {} : { dinteroTerminalId: device }),
        claimId: refundId,
        by: 'operator',
        at,
      }),
      event(`payment-${paymentId}`, 'RefundSucceeded', { refundId, source: 'callback', at, dinteroAt: at }),
    ],
  };
}
