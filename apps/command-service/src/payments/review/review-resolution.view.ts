import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ReviewResolution } from '@app/payment-domain';

/** A review a person resolved: which, when it was handed over, and their word on it. */
export class ReviewResolutionView {
  @ApiProperty() paymentId!: string;
  @ApiPropertyOptional({ description: "The refund whose review it was; absent: the payment's own" })
  refundId?: string;
  @ApiProperty({ description: 'When it was handed to a person' }) flaggedAt!: string;
  @ApiProperty({ description: 'The POS client (back office) that resolved it' }) resolvedBy!: string;
  @ApiProperty({ description: 'When it was resolved' }) resolvedAt!: string;
  @ApiProperty({ description: 'What the person did' }) note!: string;
}

export function reviewResolutionView(
  ids: { readonly paymentId: string; readonly refundId?: string },
  flaggedAt: string,
  { by, note, at }: ReviewResolution,
): ReviewResolutionView {
  return { ...ids, flaggedAt, resolvedBy: by, resolvedAt: at, note };
}
