import { IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { DINTERO_ID } from '../dintero-input';

/**
 * The query of a callback: our `payment_id` (on the callback URL we gave Dintero) and what Dintero appends
 * (docs/dintero.md §4). Parameters Dintero may add later are ignored rather than refused, since a 4xx
 * makes Dintero give the callback up.
 */
export class CallbackQuery {
  @IsUUID()
  payment_id!: string;

  @IsOptional()
  @Matches(DINTERO_ID, { message: 'transaction_id: a Dintero transaction id' })
  transaction_id?: string;

  @IsOptional()
  @Matches(DINTERO_ID, { message: 'session_id: a Dintero session id' })
  session_id?: string;

  @IsOptional()
  @Matches(DINTERO_ID, { message: 'sid: a Dintero session id' })
  sid?: string;

  @IsOptional()
  @MaxLength(1_000)
  merchant_reference?: string;

  /**
   * With `report_error=true`: `cancelled`, `authorization`, `failed`, or (with a `transaction_id`) `capture`. A free
   * string in Dintero's specification: a code this engine does not know is taken, not refused (`PaymentFacts`).
   */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  error?: string;

  /** With `report_event`: the transaction event applied (`CAPTURE`, `REFUND`, `VOID`, …); a free string too. */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  event?: string;
}
