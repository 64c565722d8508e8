/**
 * The engine's requests in Dintero's words: the bodies and queries of its API, kept apart from how they are sent
 * (`DinteroClient`), so that a field Dintero places elsewhere is changed here alone.
 */
import type {
  RefundRequest,
  StoreCreation,
  TerminalFilters,
  TerminalOperationRequest,
  TerminalRegistration,
  TerminalSessionRequest,
  TransactionFilters,
} from './dintero.types';

/**
 * Where the terminal goes in an in-person refund body: documented as required ("Refund in-person
 * payments", docs.dintero.com/docs/checkout/in-person), its position not shown there nor in the
 * specification. Top level until Dintero says otherwise; this constant is the one place to change.
 */
export const REFUND_TERMINAL_FIELD = 'terminal_id';

/** `POST /v1/sessions-profile`'s body. */
export function sessionBody(request: TerminalSessionRequest): unknown {
  return {
    profile_id: request.profileId,
    url: { return_url: request.returnUrl, callback_url: request.callbackUrl },
    order: {
      amount: request.amount,
      currency: request.currency,
      merchant_reference: request.merchantReference,
      // Every Dintero transaction then names its payment (docs/design.md, Dintero mapping).
      merchant_reference_2: request.paymentId,
      store: {
        id: request.storeId,
        terminal_id: request.terminalId,
        payout_destination_id: request.payoutDestinationId,
      },
      ...(request.items ? { items: request.items } : {}),
    },
    expires_at: request.expiresAt,
    ...(request.metadata ? { metadata: request.metadata } : {}),
  };
}

/** `GET /v1/transactions`'s query, with its `?`, or nothing without filters. */
export function transactionsSearch(filters: TransactionFilters): string {
  const query = new URLSearchParams();
  for (const status of filters.status ?? []) query.append('status', status);
  for (const id of filters.sessionId ?? []) query.append('session_id', id);
  for (const id of filters.storeId ?? []) query.append('store_id', id);
  for (const id of filters.terminalId ?? []) query.append('terminal_id', id);
  for (const type of filters.paymentProductType ?? []) query.append('payment_product_type', type);
  if (filters.createdAtGte !== undefined) query.set('created_at.gte', filters.createdAtGte);
  if (filters.merchantReference !== undefined) query.set('merchant_reference', filters.merchantReference);
  if (filters.merchantReference2 !== undefined) query.set('merchant_reference_2', filters.merchantReference2);
  if (filters.limit !== undefined) query.set('limit', String(filters.limit));
  if (filters.startingAfter !== undefined) query.set('starting_after', filters.startingAfter);
  const search = query.toString();
  return search ? `?${search}` : '';
}

/** `POST /v1/transactions/{id}/refund`'s body, the terminal at `REFUND_TERMINAL_FIELD`. */
export function refundBody(request: RefundRequest): unknown {
  return {
    amount: request.amount,
    refund_reference: request.refundReference,
    [REFUND_TERMINAL_FIELD]: request.terminalId,
    ...(request.reason ? { reason: request.reason } : {}),
  };
}

/** `POST /v1/accounts/{aid}/stores`'s body. */
export function storeBody(store: StoreCreation): unknown {
  return {
    store_id: store.storeId,
    store_name: store.name,
    payout_destination: { payout_destination_id: store.payoutDestinationId },
    ...(store.organizationNumber ? { organization: { organization_number: store.organizationNumber } } : {}),
  };
}

/** `GET /v1/accounts/{aid}/terminals`'s query for one page: a hundred terminals after `startingAfter`. */
export function terminalsQuery(filters: TerminalFilters, startingAfter: string | undefined): string {
  const query = new URLSearchParams({ limit: '100' });
  if (filters.storeId !== undefined) query.set('store_id', filters.storeId);
  if (filters.deviceSerialNumber !== undefined) query.set('device_serial_number', filters.deviceSerialNumber);
  if (startingAfter !== undefined) query.set('starting_after', startingAfter);
  return query.toString();
}

/** `POST /v1/accounts/{aid}/terminals`'s body. */
export function terminalRegistrationBody(terminal: TerminalRegistration): unknown {
  return { device_serial_number: terminal.deviceSerialNumber, store_id: terminal.storeId };
}

/** `POST /v1/admin/terminals/operations`'s body. */
export function terminalOperationBody(request: TerminalOperationRequest): unknown {
  return {
    terminal_id: request.terminalId,
    operation: request.operation,
    ...(request.operatorId ? { parameters: { operator_id: request.operatorId } } : {}),
  };
}
