import { ApiPropertyOptional } from '@nestjs/swagger';
import { QueryInteger } from '@app/platform';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

export class GetPaymentQuery {
  @ApiPropertyOptional({ enum: ['final'] })
  @IsOptional()
  @IsIn(['final'])
  waitFor?: 'final';

  /** Seconds, at most 60. */
  @ApiPropertyOptional({ minimum: 1, maximum: 60, default: 30 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(60)
  timeout?: number;
}
