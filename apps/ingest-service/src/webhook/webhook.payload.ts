import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { DINTERO_ID } from '../dintero-input';

export class WebhookTransaction {
  @ApiProperty({ description: 'Dintero transaction id' })
  @Matches(DINTERO_ID, { message: 'transaction.id: a Dintero transaction id' })
  id!: string;

  @ApiPropertyOptional({ description: "The engine's payment id, as it sent it to Dintero" })
  @IsOptional()
  @IsString()
  @MaxLength(1_000)
  merchant_reference_2?: string;
}

export class WebhookAuthorization {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(DINTERO_ID, { message: 'authorization.session_id: a Dintero session id' })
  session_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(DINTERO_ID, { message: 'authorization.transaction_id: a Dintero transaction id' })
  transaction_id?: string;

  @ApiPropertyOptional({ description: 'cancelled, authorization, failed, …: a free string in Dintero’s specification' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  error?: string;
}

/**
 * A webhook delivery (docs/dintero.md §5). Only what this service reads is checked; Dintero's other
 * fields are ignored, not refused, since refused deliveries can get the subscription deleted. The event is
 * named by the `event` header on every delivery; a checkout event names it in the body too, a `ping` does not
 * (its body is the subscription).
 */
export class WebhookPayload {
  @ApiPropertyOptional({
    example: 'checkout_transaction',
    description: 'The webhook event; when absent (a ping), the `event` header names it',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  event?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  event_delivery?: string;

  @ApiPropertyOptional({ type: () => WebhookTransaction })
  @IsOptional()
  @IsObject() // not an array: class-validator would pass an empty one
  @ValidateNested()
  @Type(() => WebhookTransaction)
  transaction?: WebhookTransaction;

  @ApiPropertyOptional({ type: () => WebhookAuthorization })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => WebhookAuthorization)
  authorization?: WebhookAuthorization;
}
