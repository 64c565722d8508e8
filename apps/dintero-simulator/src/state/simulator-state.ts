import { Injectable } from '@nestjs/common';

/**
 * A terminal session's payment configuration: its profile enables `seitatech.in_person` alone, so the
 * terminal prompts as soon as the session is created (the specification's `SeitatechConfiguration`).
 */
export const IN_PERSON_CONFIGURATION = {
  seitatech: { type: 'payment_type', in_person: { type: 'payment_product_type', enabled: true } },
} as const;

/** Shapes follow Dintero's API (docs/dintero.md §2, §6); only the fields the engine reads are kept. */
export interface SimStore {
  /** The merchant's own store id (`store_id` in the management API, `order.store.id` in a session). */
  readonly id: string;
  readonly payout_destination_id: string;
  readonly name?: string;
  /** Dintero's id of the store, e.g. `T12345678-0001` (management API `id`). */
  readonly dintero_id?: string;
  readonly organization_number?: string;
  readonly created_at?: string;
}

/** A terminal's status at Dintero (§10). */
export const TERMINAL_STATUSES = ['PENDING', 'ACTION_REQUIRED', 'ACTIVE', 'INACTIVE', 'ERROR', 'DELETED'] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export interface SimTerminal {
  readonly terminal_id: string;
  store_id: string;
  status: TerminalStatus;
  /** With `ACTION_REQUIRED`: `CHECK_UPDATE`; with `ERROR`, the reason `/_control` set. */
  status_reason?: string;
  readonly device_serial_number?: string;
  readonly device_model?: string;
  /** The management API's `id` (a UUID) and timestamps. */
  readonly id?: string;
  readonly created_at?: string;
  updated_at?: string;
  /** While `PENDING`: when provisioning ends (epoch ms), and what it ends in. */
  provisionedAt?: number;
  provisionsTo?: 'ACTIVE' | 'ACTION_REQUIRED';
  /** The session prompting on the terminal now. */
  activeSessionId?: string;
  /** Overrides the amount table for the next presentation only. */
  nextOutcome?: string;
  /** An accepted (202) refund the cardholder is doing at the terminal now: it is busy until it ends. */
  activeRefund?: { readonly transactionId: string; readonly requestId: string };
  /** How this terminal answers refunds, whatever the refund amount's table says (`/_control`). */
  refundMode?: RefundMode;
  /** Nobody answers its prompts by itself: only `/_control/terminals/{id}/present` does (or expiry). */
  unattended?: boolean;
  /** Receipts printed so far: the next receipt number. */
  receipts?: number;
  /** The terminal's open batch: what it approved since its last end-of-day close. */
  batch?: TerminalBatch;
  /** When its last end-of-day close ran, and how many it has run. */
  lastEndOfDayAt?: string;
  closes?: number;
  /** The operation pending on it now (one at a time). */
  pendingOperationId?: string;
  /** Knobs (`/_control`): how its next operations end, and what its closes add to the true totals. */
  operationOutcomes?: OperationStatus[];
  batchSkew?: Partial<Pick<TerminalBatch, 'purchasesCount' | 'purchasesAmount' | 'reversalsCount' | 'reversalsAmount'>>;
}

/** What a terminal approved since its last close: its batch (amounts in minor units). */
export interface TerminalBatch {
  readonly openedAt: string;
  purchasesCount: number;
  purchasesAmount: number;
  reversalsCount: number;
  reversalsAmount: number;
}

export const OPERATION_STATUSES = ['PENDING', 'COMPLETED', 'FAILED', 'TIMEOUT'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

/** A terminal operation as Dintero keeps it (`/v1/admin/terminals/operations`). */
export interface SimOperation {
  readonly id: string;
  readonly terminal_id: string;
  readonly operation: 'end_of_day' | 'send_logs' | 'check_update';
  status: OperationStatus;
  readonly account_id: string;
  readonly created_at: string;
  readonly created_by: string;
  updated_at: string;
  updated_by: string;
  readonly parameters?: { readonly operator_id?: string };
  result?: Record<string, unknown>;
}

/** `sync`: 200, done at once; `async_*`: 202, and the `REFUND` event comes later, approved or declined. */
export type RefundMode = 'sync' | 'async_approve' | 'async_decline' | 'async_stall';

export interface SessionEvent {
  readonly name: string;
  readonly created_at: string;
  readonly details?: Record<string, unknown>;
}

export interface SimSession {
  readonly id: string;
  readonly profile_id: string;
  readonly order: {
    readonly amount: number;
    readonly currency: string;
    readonly merchant_reference: string;
    readonly merchant_reference_2?: string;
    readonly store: { readonly id: string; readonly terminal_id: string; readonly payout_destination_id: string };
    readonly items?: unknown[];
  };
  readonly url: { readonly return_url: string; readonly callback_url?: string };
  /** What the session may be paid with: from its profile, in-person through Seitatech only. */
  readonly configuration: typeof IN_PERSON_CONFIGURATION;
  readonly expires_at: string;
  readonly created_at: string;
  readonly metadata?: Record<string, unknown>;
  transaction_id?: string;
  cancelled_at?: string;
  cancelled_by?: string;
  readonly events: SessionEvent[];
}

/**
 * A session as Dintero shows it: the specification's session read has no `profile_id` (the profile's
 * settings show as the session's `configuration`).
 */
export function sessionAsRead(session: SimSession): Omit<SimSession, 'profile_id'> {
  const { profile_id: _profile, ...read } = session;
  return read;
}

export interface TransactionEvent {
  readonly id: string;
  readonly event: string;
  readonly transaction_status: string;
  readonly success: boolean;
  readonly amount?: number;
  readonly created_at: string;
  /** Our `refund_reference` on a refund's events (the spec's "for refunds, this is `refund_reference`"). */
  readonly event_reference?: string;
  /** The request that made the event: an `INITIATE_*` event's is the 202's `event-request-id`. */
  readonly request_id?: string;
  /** On the event that completes an accepted request: that request's id. */
  readonly correlation_request_id?: string;
  readonly error?: { readonly code: string; readonly message: string; readonly type: string[] };
  /** The terminal's `seitatech:*` keys, on the events the terminal answered. */
  readonly metadata?: Record<string, string>;
}

export interface SimTransaction {
  readonly id: string;
  readonly session_id: string;
  status: string;
  readonly amount: number;
  readonly currency: string;
  readonly merchant_reference: string;
  readonly merchant_reference_2?: string;
  readonly payment_product: 'seitatech';
  readonly payment_product_type: 'seitatech.in_person';
  readonly channel: 'in_store';
  readonly payout_destination_id: string;
  readonly store: SimSession['order']['store'];
  readonly card?: {
    readonly brand: string;
    readonly masked_pan: string;
    readonly type: string;
    readonly entry_method: string;
  };
  readonly url: { readonly callback_url?: string };
  readonly created_at: string;
  updated_at: string;
  readonly events: TransactionEvent[];
  capturedAmount: number;
  refundedAmount: number;
  /** Refunds accepted (202) and not yet done: not refundable again meanwhile. */
  refundingAmount: number;
  /**
   * The `reason` sent with each refund, by its `refund_reference`: Dintero takes it, and shows it nowhere the
   * specification lists, so only the ground truth does.
   */
  refundReasons?: Record<string, string>;
  /**
   * When Dintero's automatic capture of a transaction left `AUTHORIZED` is due, in real milliseconds since the epoch
   * (not the simulator's moved clock): kept in the state file, so that a restart does not put the capture off again.
   */
  captureDueAt?: number;
}

/** The statuses a transaction may be refunded from: once captured, in full or in part (§6). */
export const REFUNDABLE: ReadonlySet<string> = new Set([
  'CAPTURED',
  'PARTIALLY_CAPTURED',
  'PARTIALLY_REFUNDED',
  'PARTIALLY_CAPTURED_REFUNDED',
]);

/**
 * A transaction's status once a refund is done: `PARTIALLY_CAPTURED_REFUNDED` when only part of its amount was
 * captured, else `REFUNDED` when all that was captured is refunded, `PARTIALLY_REFUNDED` otherwise.
 */
export function statusAfterRefund(tx: Pick<SimTransaction, 'amount' | 'capturedAmount' | 'refundedAmount'>) {
  if (tx.capturedAmount < tx.amount) return 'PARTIALLY_CAPTURED_REFUNDED' as const;
  return tx.refundedAmount === tx.capturedAmount ? ('REFUNDED' as const) : ('PARTIALLY_REFUNDED' as const);
}

/** The lists the state file keeps, each a map (or set) of `SimulatorState` by the record's id. */
export const STATE_LISTS = [
  'payoutDestinations',
  'stores',
  'terminals',
  'sessions',
  'transactions',
  'operations',
  'operationKeys',
] as const;
export type StateList = (typeof STATE_LISTS)[number];

/** What changed since the state file was last written: records by list, or everything (a reset). */
export interface StateChanges {
  readonly whole: boolean;
  readonly records: ReadonlyMap<StateList, ReadonlySet<string>>;
}

/**
 * Everything the simulator knows, in memory: Dintero's side of the world. Whatever changes a record marks it
 * (`touch`, `touchPayment`), so that the state file's journal writes that record again, and only it: a change the
 * file is not told of is lost to a SIGKILL (the e2e test `simulator-state-journal` guards the marks).
 */
@Injectable()
export class SimulatorState {
  readonly payoutDestinations = new Set<string>();
  readonly stores = new Map<string, SimStore>();
  readonly terminals = new Map<string, SimTerminal>();
  readonly sessions = new Map<string, SimSession>();
  readonly transactions = new Map<string, SimTransaction>();
  readonly tokens = new Map<string, number>();
  readonly operations = new Map<string, SimOperation>();
  /** Operations by the `Idempotency-Key` they were sent with. */
  readonly operationKeys = new Map<string, string>();
  private dirty = new Map<StateList, Set<string>>();
  private wholeChanged = false;
  /** Resets so far: a change of every record at once, which no journal holds. */
  private resetCount = 0;

  /** Marks a record changed (added, changed in place, or removed): the next write of the state file writes it. */
  touch(list: StateList, id: string | undefined): void {
    if (id === undefined) return;
    let ids = this.dirty.get(list);
    if (!ids) this.dirty.set(list, (ids = new Set()));
    ids.add(id);
  }

  /** A payment's records: its session, its transaction and its terminal (batch, receipts, what it prompts). */
  touchPayment(session: SimSession | undefined, tx?: SimTransaction): void {
    if (session) {
      this.touch('sessions', session.id);
      this.touch('transactions', session.transaction_id);
      this.touch('terminals', session.order.store.terminal_id);
    }
    if (tx) {
      this.touch('transactions', tx.id);
      this.touch('sessions', tx.session_id);
      this.touch('terminals', tx.store.terminal_id);
    }
  }

  /** Whether anything is marked changed that no write has taken yet. */
  hasChanges(): boolean {
    return this.wholeChanged || this.dirty.size > 0;
  }

  /** What changed since the last call, and forgets it: the write that takes it writes it. */
  takeChanges(): StateChanges {
    const changes = { whole: this.wholeChanged, records: this.dirty };
    this.dirty = new Map();
    this.wholeChanged = false;
    return changes;
  }

  /** A write that failed: what it took is marked again, for the next write. */
  giveBack(changes: StateChanges): void {
    if (changes.whole) this.wholeChanged = true;
    for (const [list, ids] of changes.records) for (const id of ids) this.touch(list, id);
  }

  /** Resets so far (`reset`). */
  resets(): number {
    return this.resetCount;
  }

  reset(): void {
    this.resetCount += 1;
    this.operations.clear();
    this.operationKeys.clear();
    this.payoutDestinations.clear();
    this.stores.clear();
    this.terminals.clear();
    this.sessions.clear();
    this.transactions.clear();
    this.tokens.clear();
    this.dirty.clear();
    this.wholeChanged = true;
  }
}
