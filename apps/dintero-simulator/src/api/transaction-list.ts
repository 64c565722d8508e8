import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsISO8601, IsOptional, IsString } from 'class-validator';
import type { SimTransaction } from '../state/simulator-state';
import { oneOrSeveral, OneOrSeveralStrings, PageQuery } from './dintero-api.dto';

/** An ISO 8601 time Dintero takes without a zone as UTC. */
const utc = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value}Z` : value;

/** The `status` values the specification's `transactions_get` lists (its enum): no other is a status at Dintero. */
export const TRANSACTION_STATUSES = [
  'AUTHORIZATION_VOIDED',
  'AUTHORIZED',
  'CAPTURED',
  'DECLINED',
  'FAILED',
  'INITIATED',
  'ON_HOLD',
  'PARTIALLY_CAPTURED',
  'PARTIALLY_REFUNDED',
  'PARTIALLY_CAPTURED_REFUNDED',
  'REFUNDED',
  'UNKNOWN',
] as const;

/**
 * `GET /v1/transactions`: every filter the specification lists (`transactions_get`). The simulator has no payment
 * tokens, customers, payment operations or payout correlation ids: a filter on one of those matches no transaction,
 * as it would match none of an in-person account's at Dintero.
 */
export class ListTransactionsQuery extends PageQuery {
  @OneOrSeveralStrings()
  id?: string[];

  /**
   * One status, or several, of the specification's enum: a misspelt one is refused (400), where matching none would
   * leave a caller's filter that can never match looking like an account without such transactions.
   */
  @ApiPropertyOptional({ type: [String], enum: TRANSACTION_STATUSES, description: 'One status, or several' })
  @IsOptional()
  @Transform(oneOrSeveral)
  @IsArray()
  @IsIn(TRANSACTION_STATUSES, { each: true })
  status?: (typeof TRANSACTION_STATUSES)[number][];

  @OneOrSeveralStrings()
  payment_product?: string[];

  @OneOrSeveralStrings()
  payment_product_type?: string[];

  @OneOrSeveralStrings()
  card_brand?: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  merchant_reference?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  merchant_reference_2?: string;

  @OneOrSeveralStrings('One session id, or several')
  session_id?: string[];

  @OneOrSeveralStrings('One store id, or several')
  store_id?: string[];

  @OneOrSeveralStrings('Not in the specification: a simulator filter for tests')
  terminal_id?: string[];

  @ApiPropertyOptional({ type: [String], description: '?payout_correlation_id=A,B' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    value === undefined
      ? undefined
      : [value].flat().flatMap((each: unknown) => (typeof each === 'string' ? each.split(',') : [each])),
  )
  @IsArray()
  @IsString({ each: true })
  payout_correlation_id?: string[];

  @OneOrSeveralStrings()
  currency?: string[];

  @ApiPropertyOptional({ type: 'integer', description: 'The amount authorised, exactly' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  amount?: number;

  @ApiPropertyOptional({ type: 'integer' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  'amount.gte'?: number;

  @ApiPropertyOptional({ type: 'integer' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  'amount.lte'?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(utc)
  @IsISO8601()
  'created_at.gte'?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(utc)
  @IsISO8601()
  'created_at.lte'?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(utc)
  @IsISO8601()
  'captured_at.gte'?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(utc)
  @IsISO8601()
  'captured_at.lte'?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(utc)
  @IsISO8601()
  'refunded_at.gte'?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(utc)
  @IsISO8601()
  'refunded_at.lte'?: string;

  @ApiPropertyOptional({ description: 'The transaction id, session id or a merchant reference' })
  @IsOptional()
  @IsString()
  search?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  payment_operation?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  customer_id?: string;

  @ApiPropertyOptional({ type: [String], enum: ['events.success.true'] })
  @IsOptional()
  @Transform(oneOrSeveral)
  @IsArray()
  @IsIn(['events.success.true'], { each: true })
  includes?: 'events.success.true'[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  payout_destination_id?: string;

  @OneOrSeveralStrings()
  token_id?: string[];
}

/** Whether a time is within a `.gte`/`.lte` pair (either may be absent). */
function within(time: string | undefined, gte: string | undefined, lte: string | undefined): boolean {
  if (gte === undefined && lte === undefined) return true;
  if (time === undefined) return false;
  const at = Date.parse(time);
  return (gte === undefined || at >= Date.parse(gte)) && (lte === undefined || at <= Date.parse(lte));
}

const oneOf = (values: readonly string[] | undefined, value: string | undefined) =>
  values === undefined || (value !== undefined && values.includes(value));

/** Whether a transaction is one the query lists. */
export function listedBy(query: ListTransactionsQuery): (tx: SimTransaction) => boolean {
  const brands = query.card_brand?.map((brand) => brand.toLowerCase());
  return (tx) => {
    const done = (event: string) =>
      tx.events.filter((each) => each.event === event && each.success).map((each) => each.created_at);
    const capturedAt = done('CAPTURE')[0];
    const refundedAt = done('REFUND');
    return (
      oneOf(query.id, tx.id) &&
      oneOf(query.status, tx.status) &&
      oneOf(query.payment_product, tx.payment_product) &&
      oneOf(query.payment_product_type, tx.payment_product_type) &&
      oneOf(brands, tx.card?.brand.toLowerCase()) &&
      (query.merchant_reference === undefined || tx.merchant_reference === query.merchant_reference) &&
      (query.merchant_reference_2 === undefined || tx.merchant_reference_2 === query.merchant_reference_2) &&
      oneOf(query.session_id, tx.session_id) &&
      oneOf(query.store_id, tx.store.id) &&
      oneOf(query.terminal_id, tx.store.terminal_id) &&
      oneOf(query.currency, tx.currency) &&
      (query.amount === undefined || tx.amount === query.amount) &&
      (query['amount.gte'] === undefined || tx.amount >= query['amount.gte']) &&
      (query['amount.lte'] === undefined || tx.amount <= query['amount.lte']) &&
      within(tx.created_at, query['created_at.gte'], query['created_at.lte']) &&
      within(capturedAt, query['captured_at.gte'], query['captured_at.lte']) &&
      (query['refunded_at.gte'] === undefined && query['refunded_at.lte'] === undefined
        ? true
        : refundedAt.some((at) => within(at, query['refunded_at.gte'], query['refunded_at.lte']))) &&
      (query.search === undefined ||
        [tx.id, tx.session_id, tx.merchant_reference, tx.merchant_reference_2].includes(query.search)) &&
      (query.payout_destination_id === undefined || tx.payout_destination_id === query.payout_destination_id) &&
      // None of these exists on the simulator's transactions: a filter on one matches none.
      query.payout_correlation_id === undefined &&
      query.payment_operation === undefined &&
      query.customer_id === undefined &&
      query.token_id === undefined
    );
  };
}

/** A listed transaction as `includes` asks: with only its successful events for `events.success.true`. */
export function asListed<T extends { readonly events: readonly { readonly success?: boolean }[] }>(
  tx: T,
  query: { readonly includes?: readonly string[] },
): T {
  return query.includes?.includes('events.success.true')
    ? { ...tx, events: tx.events.filter((event) => event.success === true) }
    : tx;
}
