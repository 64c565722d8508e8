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
  readonly expires_at?: string;
  readonly transaction_id?: string;
  readonly cancelled_at?: string;
  readonly cancelled_by?: string;
  readonly events?: readonly {
    readonly name: string;
    readonly created_at: string;
    readonly details?: Record<string, unknown>;
  }[];
}

export interface DinteroTransaction {
  readonly id: string;
  readonly session_id?: string;
  readonly status: string;
  readonly amount: number;
  readonly currency: string;
  readonly merchant_reference: string;
  readonly merchant_reference_2?: string;
  readonly payout_destination_id?: string;
  readonly store?: { readonly id: string; readonly terminal_id?: string };
  readonly card?: {
    readonly brand?: string;
    readonly masked_pan?: string;
    readonly type?: string;
    readonly entry_method?: string;
  };
  readonly created_at?: string;
  readonly updated_at?: string;
  readonly events?: readonly {
    readonly id: string;
    readonly event: string;
    readonly transaction_status?: string;
    readonly success: boolean;
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
  readonly sessionId?: readonly string[];
  readonly storeId?: readonly string[];
  readonly terminalId?: readonly string[];
  readonly limit?: number;
  readonly startingAfter?: string;
}

export interface RefundRequest {
  readonly amount: number;
  readonly terminalId: string;
  readonly refundReference: string;
  readonly reason?: string;
}
