import { ApiPropertyOptional } from '@nestjs/swagger';
import { QueryInteger } from '@app/platform';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

/** How long a wait for the outcome lasts when the POS names no `timeout`, in seconds. */
export const DEFAULT_WAIT_SECONDS = 30;

/** `?waitFor=final&timeout=30` on a payment, refund or operation (and the same fields of a NATS query). */
export class GetPaymentQuery {
  @ApiPropertyOptional({
    enum: ['final'],
    description:
      'Answer once the outcome is known (`final: true`) or `timeout` seconds have passed (`final: false`: ask again); ' +
      'without it, the state as it is now',
  })
  @IsOptional()
  @IsIn(['final'])
  waitFor?: 'final';

  /** Seconds, at most 60. */
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 60,
    default: DEFAULT_WAIT_SECONDS,
    description: "With `waitFor=final`: how long to wait at most, in seconds; keep the client's own timeout longer",
  })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(60)
  timeout?: number;
}
