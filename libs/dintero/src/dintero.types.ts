/** The parts of Dintero's payloads the engine reads (docs/dintero.md §2, §6). */
export interface TerminalSessionRequest {
  readonly profileId: string;
  readonly paymentId: string;
  readonly amount: number;
  readonly currency: string;
  readonly merchantReference: string;
  readonly storeId: string;
  readonly terminalId: string;
  readonly payoutDestinationId: string;
  readonly callbackUrl: string;
  readonly returnUrl: string;
  readonly expiresAt: string;
  readonly items?: readonly {
    id: string;
    line_id: string;
    description: string;
    quantity: number;
    amount: number;
    vat: number;
  }[];
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface SessionCreated {
  readonly id: string;
  readonly url?: string;
}

export interface DinteroSession {
  readonly id: string;
  readonly order: {
    readonly amount: number;
    readonly currency: string;
    readonly merchant_reference: string;
    readonly merchant_reference_2?: string;
  };
  /** The URLs the session was made with: `callback_url` names the engine and the payment that made it. */
  readonly url?: { readonly return_url?: string; readonly callback_url?: string };
  readonly expires_at?: string;
  readonly transaction_id?: string;
  readonly cancelled_at?: string;
  readonly cancelled_by?: string;
  /** Each of `name` and `created_at` optional, as in the specification's `SessionMeta.events`. */
  readonly events?: readonly {
    readonly name?: string;
    readonly created_at?: string;
    readonly details?: Record<string, unknown>;
  }[];
}

export interface DinteroTransaction {
  readonly id: string;
  readonly session_id?: string;
  /** Optional in the specification: read through `transactionStatus`, which falls back on the last event's. */
  readonly status?: string;
  readonly amount: number;
  readonly currency: string;
  /** Optional in the specification's `Transaction` (unlike a session's `order.merchant_reference`); not read. */
  readonly merchant_reference?: string;
  readonly merchant_reference_2?: string;
  readonly payout_destination_id?: string;
  readonly store?: { readonly id: string; readonly terminal_id?: string };
  /** The session's `callback_url`, carried on its transaction: it names the engine and the payment that made it. */
  readonly url?: { readonly callback_url?: string };
  readonly card?: {
    readonly brand?: string;
    readonly masked_pan?: string;
    readonly type?: string;
    readonly entry_method?: string;
  };
  readonly created_at?: string;
  readonly updated_at?: string;
  /** Every field optional, as in the specification's `TransactionEvent`: `id` and `event` too. */
  readonly events?: readonly {
    readonly id?: string;
    readonly event?: string;
    readonly transaction_status?: string;
    /** Optional in the specification: an event that does not say is taken as done unless it carries an error. */
    readonly success?: boolean;
    readonly amount?: number;
    readonly created_at?: string;
    /** Our `refund_reference`, on a refund's events (the specification's "refund reference for refunds"). */
    readonly event_reference?: string;
    /** The id of the request that made this event; on an `INITIATE_*` event, the 202's `event-request-id`. */
    readonly request_id?: string;
    /** On the `REFUND`, `CAPTURE` or `VOID` event that completes an accepted (202) request: its id. */
    readonly correlation_request_id?: string;
    readonly error?: { readonly code?: string; readonly message?: string; readonly type?: readonly string[] };
    readonly metadata?: Readonly<Record<string, string>>;
  }[];
}

export interface TransactionFilters {
  readonly status?: readonly string[];
  readonly merchantReference?: string;
  /** The transaction's second reference: this engine's payment id, which names one payment only. */
  readonly merchantReference2?: string;
  readonly sessionId?: readonly string[];
  readonly storeId?: readonly string[];
  readonly terminalId?: readonly string[];
  /** `payment_product_type`, e.g. `seitatech.in_person`. */
  readonly paymentProductType?: readonly string[];
  /** `created_at.gte`: transactions created at or after this ISO time. */
  readonly createdAtGte?: string;
  readonly limit?: number;
  readonly startingAfter?: string;
}

export interface RefundRequest {
  readonly amount: number;
  readonly terminalId: string;
  readonly refundReference: string;
  readonly reason?: string;
}

/** A terminal as the management API shows it (`GET /v1/accounts/{aid}/terminals/{terminal_id}`). */
export interface DinteroTerminal {
  /** Dintero's id, e.g. `T12233302-T0001`: what a session's `order.store.terminal_id` names. */
  readonly terminal_id: string;
  readonly device_serial_number: string;
  readonly device_model?: string;
  /** The merchant's own store id. Optional in the specification, as is `status`. */
  readonly store_id?: string;
  /**
   * As Dintero sends it: the engine knows the statuses of `DINTERO_TERMINAL_STATUSES` (`@app/payment-domain`) and
   * refuses to record another (`requireDinteroStatus`), so that a status Dintero adds is an error, not a guess.
   */
  readonly status?: string;
  /** With `ACTION_REQUIRED`: `CHECK_UPDATE` (the device must fetch its settings); with `ERROR`, what is wrong. */
  readonly status_reason?: string;
  readonly created_at?: string;
  readonly updated_at?: string;
}

/** A store as the management API shows it (`GET /v1/accounts/{aid}/stores/{store_id}`). */
export interface DinteroStore {
  /** Dintero's own id of the store, e.g. `P11223351-0026`. */
  readonly id: string;
  /** The merchant's own store id: `order.store.id` of its sessions. */
  readonly store_id: string;
  readonly store_name?: string;
  readonly payout_destination?: { readonly payout_destination_id: string };
}

export interface StoreCreation {
  readonly storeId: string;
  readonly name: string;
  readonly payoutDestinationId: string;
  readonly organizationNumber?: string;
}

/**
 * A device to register at Dintero. No model: since the account management API's changelog of 2026-06-03 Dintero
 * resolves it from the serial number (its manufacture data), and the create request has no `device_model`.
 */
export interface TerminalRegistration {
  readonly storeId: string;
  readonly deviceSerialNumber: string;
}

export interface TerminalFilters {
  readonly storeId?: string;
  readonly deviceSerialNumber?: string;
}

/** `end_of_day`, `send_logs`, `check_update` (Dintero's terminal operations). */
export type DinteroTerminalOperationName = 'end_of_day' | 'send_logs' | 'check_update';

export interface TerminalOperationRequest {
  /** Dintero's `terminal_id`. */
  readonly terminalId: string;
  readonly operation: DinteroTerminalOperationName;
  readonly operatorId?: string;
  /** A UUID: the same key runs the operation once. */
  readonly idempotencyKey: string;
}

/** A terminal operation as Dintero shows it (`POST`/`GET /v1/admin/terminals/operations`). */
export interface DinteroTerminalOperation {
  readonly id: string;
  readonly terminal_id: string;
  readonly operation: string;
  /** `PENDING` until the terminal answers; `COMPLETED`, `FAILED`, or `TIMEOUT` (no answer in time). */
  readonly status: 'PENDING' | 'COMPLETED' | 'FAILED' | 'TIMEOUT';
  readonly created_at?: string;
  readonly updated_at?: string;
  readonly parameters?: { readonly operator_id?: string };
  /** With `COMPLETED`: for `end_of_day`, the terminal's batch. */
  readonly result?: {
    readonly outcome?: string;
    readonly batch_id?: string;
    readonly start_of_day_at?: string;
    readonly last_end_of_day_at?: string;
    readonly purchases_count?: number;
    readonly purchases_amount?: number;
    readonly reversals_count?: number;
    readonly reversals_amount?: number;
    readonly sale_amount?: number;
    readonly tip_amount?: number;
  };
}
